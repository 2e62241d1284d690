package scanner_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hubsec/trustlayer/shared/pickle"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/scan"
)

// manyImports is a crafted pickle naming os.system and then n-1 other
// distinct globals with long names, each popped: 10,000 imports whose
// list alone is far over DynamoDB's 400 KB item.
func manyImports(n int) []byte {
	var b bytes.Buffer
	b.WriteString("\x80\x02cos\nsystem\n0")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "cmodule_%05d_with_a_long_enough_name\nfunction_%05d_with_a_long_enough_name_too\n0", i, i)
	}
	b.WriteString("N.")
	return b.Bytes()
}

// TestHugeReportStoredAsSummary: a pickle with 10,000 imports gets its
// verdict stored (a summary with counts in the item, the whole report in
// the bucket), is served whole through scan.LoadReport, and a second
// delivery is not scanned again.
func TestHugeReportStoredAsSummary(t *testing.T) {
	e := newEnv(t, scan.ModeFull)
	const n = 10000
	data := manyImports(n)
	ref, ev := e.put(data)
	sum := e.handle(ev)
	r := e.result(ref)
	if r.Status != scan.StatusInfected {
		t.Fatalf("got %s (%s), want infected (os.system)", r.Status, r.Reason)
	}
	if r.ReportKey == "" || r.Counts.Imports != n || len(r.Imports) >= n || len(r.Imports) == 0 {
		t.Fatalf("got report %q, counts %+v, %d imports in the item: want a summary of %d", r.ReportKey, r.Counts, len(r.Imports), n)
	}
	if r.Imports[0].Module != "os" || r.Imports[0].Safety != pickle.Dangerous {
		t.Errorf("the summary's first import is %+v, want the dangerous os.system", r.Imports[0])
	}
	// The stored item, as DynamoDB holds it, is within the cap with room.
	out, err := e.store.DB.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(e.store.Name),
		Key: ddb.Key("SCAN#"+ref.Bucket+"/"+ref.Key, "V#"+r.Object.Version())})
	if err != nil || out.Item == nil {
		t.Fatalf("read item: %v", err)
	}
	if size := approxItemSize(out.Item); size > 100<<10 {
		t.Errorf("the result item is ~%d bytes, want under 100 KB", size)
	}
	full, err := scan.LoadReport(context.Background(), e.objects, ref.Bucket, r)
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Imports) != n || full.Imports[n-1].Name != fmt.Sprintf("function_%05d_with_a_long_enough_name_too", n-1) {
		t.Fatalf("the report has %d imports, want all %d", len(full.Imports), n)
	}
	t.Logf("%d imports: %d in the item, the report %s; event %+v", n, len(r.Imports), r.ReportKey, sum)
	// Delivered again: already scanned, not rescanned.
	again := e.handle(ev)
	if len(again.Objects) != 1 || again.Objects[0].Skipped != "already scanned" {
		t.Errorf("second delivery: %+v, want already scanned", again)
	}
}

// approxItemSize sums the attribute names and string/number values, as
// DynamoDB sizes an item (near enough for a bound).
func approxItemSize(item map[string]types.AttributeValue) int {
	n := 0
	var size func(v types.AttributeValue) int
	size = func(v types.AttributeValue) int {
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			return len(v.Value)
		case *types.AttributeValueMemberN:
			return len(v.Value)
		case *types.AttributeValueMemberL:
			s := 3
			for _, x := range v.Value {
				s += size(x) + 1
			}
			return s
		case *types.AttributeValueMemberM:
			s := 3
			for k, x := range v.Value {
				s += len(k) + size(x) + 1
			}
			return s
		case *types.AttributeValueMemberSS:
			s := 0
			for _, x := range v.Value {
				s += len(x)
			}
			return s
		}
		return 1
	}
	for k, v := range item {
		n += len(k) + size(v)
	}
	return n
}
