package ddbtest

import (
	"context"
	"fmt"
	"reflect"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hubsec/trustlayer/shared/platform/ddb"
)

// KeyChecker is a ddb.DB that holds every partition key a store touches
// to the store's declared ddb.KeySpace: the table's pk of every item read,
// written, deleted, checked or queried, and gsi1's pk of every index
// query. The store is the innermost shared/<d>/<d>ddb package on the
// caller's stack; a call made in a goroutine of the platform's helpers
// (ddb.Table.QueryShards, BatchGet), whose stack no longer shows the
// store, is held to the union of every declaration; a call from test code
// alone is not checked. What does not match is reported by Violations.
type KeyChecker struct {
	ddb.DB
	mu         sync.Mutex
	violations []string
	seen       map[string]bool // "store table|index key-prefix" touched
}

// NewKeyChecker wraps db.
func NewKeyChecker(db ddb.DB) *KeyChecker { return &KeyChecker{DB: db, seen: map[string]bool{}} }

// Check wraps tb's client in a KeyChecker whose violations fail t at its
// end.
func Check(t testing.TB, tb ddb.Table) ddb.Table {
	kc := NewKeyChecker(tb.DB)
	t.Cleanup(func() {
		for _, v := range kc.Violations() {
			t.Errorf("key outside the store's declared KeySpace (ddb.Declare; template.yaml's LeadingKeys derive from it): %s", v)
		}
	})
	return ddb.Table{DB: kc, Name: tb.Name}
}

// Violations lists the keys that matched no declaration.
func (k *KeyChecker) Violations() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.violations...)
}

// Touched lists "store table|index key" for every distinct key checked.
func (k *KeyChecker) Touched() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []string
	for s := range k.seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

var storePkg = regexp.MustCompile(`/shared/([a-z]+)/([a-z]+)ddb$`)

// caller is the store package on the stack: the innermost
// shared/<d>/<d>ddb, else "platform" if the platform's ddb package is
// there (a helper's goroutine), else "".
func caller() string {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	platform := false
	for {
		f, more := frames.Next()
		pkg := ddb.FuncPackage(f.Function)
		if m := storePkg.FindStringSubmatch(pkg); m != nil && m[1] == m[2] && !strings.HasSuffix(f.File, "_test.go") {
			return pkg
		}
		if strings.HasSuffix(pkg, "/shared/platform/ddb") {
			platform = true
		}
		if !more {
			break
		}
	}
	if platform {
		return "platform"
	}
	return ""
}

func (k *KeyChecker) check(index bool, keys ...string) {
	store := caller()
	if store == "" {
		return
	}
	decl := ddb.Declared()
	var ks ddb.KeySpace
	if store == "platform" {
		var all []ddb.KeySpace
		for _, s := range decl {
			all = append(all, s)
		}
		ks = ddb.Union(all...)
	} else {
		var ok bool
		if ks, ok = decl[store]; !ok {
			k.add(fmt.Sprintf("%s touches %v and declares no KeySpace", store, keys))
			return
		}
	}
	patterns, where := ks.Table, "table"
	if index {
		patterns, where = ks.Index, "gsi1"
	}
	for _, key := range keys {
		k.mu.Lock()
		k.seen[store+" "+where+" "+key] = true
		k.mu.Unlock()
		if !ddb.MatchKey(patterns, key) {
			k.add(fmt.Sprintf("%s: %s partition key %q matches none of %q", store, where, key, patterns))
		}
	}
}

func (k *KeyChecker) add(v string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.violations = append(k.violations, v)
}

func pkOf(m map[string]types.AttributeValue) string {
	if s, ok := m[ddb.PK].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

var keyEq = regexp.MustCompile(`(#?[A-Za-z0-9_]+)\s*=\s*(:[A-Za-z0-9_]+)`)

// queryPK is the partition key value a query's key condition names.
func queryPK(in *dynamodb.QueryInput) string {
	if in.KeyConditionExpression == nil {
		return ""
	}
	want := ddb.PK
	if in.IndexName != nil {
		want = ddb.GSI1PK
	}
	for _, m := range keyEq.FindAllStringSubmatch(*in.KeyConditionExpression, -1) {
		name := m[1]
		if strings.HasPrefix(name, "#") {
			name = in.ExpressionAttributeNames[name]
		}
		if name == want {
			if s, ok := in.ExpressionAttributeValues[m[2]].(*types.AttributeValueMemberS); ok {
				return s.Value
			}
		}
	}
	return ""
}

func (k *KeyChecker) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	k.check(false, pkOf(in.Key))
	return k.DB.GetItem(ctx, in, o...)
}

func (k *KeyChecker) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	k.check(false, pkOf(in.Item))
	return k.DB.PutItem(ctx, in, o...)
}

func (k *KeyChecker) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	k.check(false, pkOf(in.Key))
	return k.DB.UpdateItem(ctx, in, o...)
}

func (k *KeyChecker) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	k.check(false, pkOf(in.Key))
	return k.DB.DeleteItem(ctx, in, o...)
}

func (k *KeyChecker) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	k.check(in.IndexName != nil, queryPK(in))
	return k.DB.Query(ctx, in, o...)
}

func (k *KeyChecker) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	var keys []string
	for _, it := range in.TransactItems {
		switch {
		case it.Put != nil:
			keys = append(keys, pkOf(it.Put.Item))
		case it.Update != nil:
			keys = append(keys, pkOf(it.Update.Key))
		case it.Delete != nil:
			keys = append(keys, pkOf(it.Delete.Key))
		case it.ConditionCheck != nil:
			keys = append(keys, pkOf(it.ConditionCheck.Key))
		}
	}
	k.check(false, keys...)
	return k.DB.TransactWriteItems(ctx, in, o...)
}

func (k *KeyChecker) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	var keys []string
	for _, ka := range in.RequestItems {
		for _, key := range ka.Keys {
			keys = append(keys, pkOf(key))
		}
	}
	k.check(false, keys...)
	return k.DB.BatchGetItem(ctx, in, o...)
}

func (k *KeyChecker) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	var keys []string
	for _, reqs := range in.RequestItems {
		for _, r := range reqs {
			if r.PutRequest != nil {
				keys = append(keys, pkOf(r.PutRequest.Item))
			}
			if r.DeleteRequest != nil {
				keys = append(keys, pkOf(r.DeleteRequest.Key))
			}
		}
	}
	k.check(false, keys...)
	return k.DB.BatchWriteItem(ctx, in, o...)
}

// Scan passes through unchecked: no function is granted dynamodb:Scan;
// stores scan only in test helpers.
func (k *KeyChecker) Scan(ctx context.Context, in *dynamodb.ScanInput, o ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	sc, ok := k.DB.(interface {
		Scan(context.Context, *dynamodb.ScanInput, ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	})
	if !ok {
		return nil, fmt.Errorf("scan not supported by the wrapped client")
	}
	return sc.Scan(ctx, in, o...)
}

// CheckIndexReads holds a store's gsi1 readers to its declared
// KeySpace.IndexReads, which gsi1 projects: items are the structs the
// readers decode, omitted the attributes of those structs a reader
// deliberately does not use (they are not on the index and decode as zero).
// Every other attribute must be declared, every declared one decoded, and
// every omitted one a field, so a field added to an indexed item fails here
// until it is projected or stated as not read.
func CheckIndexReads(t testing.TB, ks ddb.KeySpace, omitted []string, items ...any) {
	t.Helper()
	keys := map[string]bool{ddb.PK: true, ddb.SK: true, ddb.GSI1PK: true, ddb.GSI1SK: true}
	skip := map[string]bool{}
	for _, o := range omitted {
		skip[o] = true
	}
	fields := map[string]bool{}
	var walk func(reflect.Type)
	walk = func(typ reflect.Type) {
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				walk(f.Type)
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("dynamodbav"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fields[name] = true
		}
	}
	for _, it := range items {
		walk(reflect.TypeOf(it))
	}
	declared := map[string]bool{}
	for _, a := range ks.IndexReads {
		declared[a] = true
		if !fields[a] || skip[a] {
			t.Errorf("IndexReads declares %q, which no reader decodes", a)
		}
	}
	for f := range fields {
		if !keys[f] && !skip[f] && !declared[f] {
			t.Errorf("an index reader decodes %q: declare it in IndexReads (gsi1 projects it) or list it as not read", f)
		}
	}
	for o := range skip {
		if !fields[o] {
			t.Errorf("omitted %q is no field of the readers' items", o)
		}
	}
}
