package infra_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/infra/gateway"
	"github.com/hubsec/trustlayer/infra/samtemplate"
	table "github.com/hubsec/trustlayer/shared/platform/ddb"
)

func loadTemplate(t *testing.T) *samtemplate.Template {
	t.Helper()
	tmpl, err := samtemplate.Load("../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// keySchema is a comparable form of a table or index key.
type keySchema struct{ Hash, Range string }

type tableShape struct {
	Keys       keySchema
	Attributes []string // "name:S", sorted
	Indexes    map[string]keySchema
	Projection map[string]string
}

func shapeFromCode() tableShape {
	s := tableShape{Keys: keySchema{table.Shape.HashKey, table.Shape.RangeKey}, Indexes: map[string]keySchema{}, Projection: map[string]string{}}
	for _, a := range table.Shape.AttributeNames() {
		s.Attributes = append(s.Attributes, a+":S")
	}
	sort.Strings(s.Attributes)
	for _, ix := range table.Shape.Indexes {
		s.Indexes[ix.Name] = keySchema{ix.HashKey, ix.RangeKey}
		s.Projection[ix.Name] = projection(string(ix.ProjectionType()), ix.Include)
	}
	return s
}

// projection is a comparable form of an index's projection: its type
// and its non-key attributes, sorted.
func projection(typ string, include []string) string {
	sorted := append([]string(nil), include...)
	sort.Strings(sorted)
	return typ + ":" + strings.Join(sorted, ",")
}

// shapeFromCFN reads CloudFormation-shaped table properties (the template's
// and table.json's spelling are the same).
func shapeFromCFN(p map[string]any) tableShape {
	keys := func(v any) keySchema {
		var k keySchema
		list, _ := v.([]any)
		for _, e := range list {
			m := samtemplate.Map(e)
			switch samtemplate.String(m["KeyType"]) {
			case "HASH":
				k.Hash = samtemplate.String(m["AttributeName"])
			case "RANGE":
				k.Range = samtemplate.String(m["AttributeName"])
			}
		}
		return k
	}
	s := tableShape{Keys: keys(p["KeySchema"]), Indexes: map[string]keySchema{}, Projection: map[string]string{}}
	defs, _ := p["AttributeDefinitions"].([]any)
	for _, d := range defs {
		m := samtemplate.Map(d)
		s.Attributes = append(s.Attributes, samtemplate.String(m["AttributeName"])+":"+samtemplate.String(m["AttributeType"]))
	}
	sort.Strings(s.Attributes)
	gsis, _ := p["GlobalSecondaryIndexes"].([]any)
	for _, g := range gsis {
		m := samtemplate.Map(g)
		name := samtemplate.String(m["IndexName"])
		s.Indexes[name] = keys(m["KeySchema"])
		pr := samtemplate.Map(m["Projection"])
		var include []string
		list, _ := pr["NonKeyAttributes"].([]any)
		for _, a := range list {
			include = append(include, samtemplate.String(a))
		}
		s.Projection[name] = projection(samtemplate.String(pr["ProjectionType"]), include)
	}
	return s
}

func TestTemplateTableMatchesShape(t *testing.T) {
	tmpl := loadTemplate(t)
	tables := tmpl.OfType(samtemplate.TypeDynamoDBTable)
	if len(tables) != 1 {
		t.Fatalf("template has %d tables, want 1", len(tables))
	}
	p := tables[0].Properties
	if got, want := shapeFromCFN(p), shapeFromCode(); !reflect.DeepEqual(got, want) {
		t.Errorf("template.yaml Table drifted from shared/platform/ddb.Shape:\n got  %+v\n want %+v", got, want)
	}
	ttl := samtemplate.Map(p["TimeToLiveSpecification"])
	if samtemplate.String(ttl["AttributeName"]) != table.Shape.TTLAttribute || ttl["Enabled"] != true {
		t.Errorf("TTL: got %v, want %s enabled", ttl, table.Shape.TTLAttribute)
	}
	if samtemplate.String(p["BillingMode"]) != "PAY_PER_REQUEST" {
		t.Errorf("BillingMode %v, want PAY_PER_REQUEST", p["BillingMode"])
	}
	if samtemplate.Map(p["PointInTimeRecoverySpecification"])["PointInTimeRecoveryEnabled"] != true {
		t.Error("point-in-time recovery is not enabled")
	}
	if samtemplate.Map(p["SSESpecification"])["SSEEnabled"] != true {
		t.Error("SSE is not enabled")
	}
}

func TestLocalstackMatchesShape(t *testing.T) {
	raw, err := os.ReadFile("../localstack/ready.d/table.json")
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	if got, want := shapeFromCFN(p), shapeFromCode(); !reflect.DeepEqual(got, want) {
		t.Errorf("localstack/ready.d/table.json drifted from shared/platform/ddb.Shape:\n got  %+v\n want %+v", got, want)
	}
	if p["BillingMode"] != "PAY_PER_REQUEST" || p["TableName"] != "trustlayer" {
		t.Errorf("table.json: BillingMode %v TableName %v", p["BillingMode"], p["TableName"])
	}
	script, err := os.ReadFile("../localstack/ready.d/01-resources.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"TRUSTLAYER_BUCKET:-trustlayer-uploads", "TRUSTLAYER_TABLE:-trustlayer", "Status=Enabled", "ttl"} {
		if !strings.Contains(string(script), want) {
			t.Errorf("01-resources.sh does not contain %q", want)
		}
	}
}

func TestFunctionsWiring(t *testing.T) {
	tmpl := loadTemplate(t)
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not on PATH")
	}
	inTemplate := map[string]bool{}
	for _, f := range tmpl.Functions() {
		folder := samtemplate.Folder(f.LogicalID)
		inTemplate[folder] = true
		if f.CodeURI != "." {
			t.Errorf("%s: CodeUri %q, want .", f.LogicalID, f.CodeURI)
		}
		if f.BuildMethod != "makefile" {
			t.Errorf("%s: Metadata.BuildMethod %q, want makefile", f.LogicalID, f.BuildMethod)
		}
		if _, err := os.Stat(filepath.Join("..", "functions", folder, "main.go")); err != nil {
			t.Errorf("%s: functions/%s/main.go: %v", f.LogicalID, folder, err)
		}
		cmd := exec.Command("make", "-n", "build-"+f.LogicalID, "ARTIFACTS_DIR=/tmp/x")
		cmd.Dir = ".."
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "./functions/"+folder) || !strings.Contains(string(out), "/tmp/x/bootstrap") {
			t.Errorf("make -n build-%s: %v\n%s", f.LogicalID, err, out)
		}
	}
	mains, _ := filepath.Glob("../functions/*/main.go")
	for _, m := range mains {
		folder := filepath.Base(filepath.Dir(m))
		if !inTemplate[folder] {
			t.Errorf("functions/%s has no function in template.yaml (expected %sFunction)", folder, strings.ToUpper(folder[:1])+folder[1:])
		}
	}
}

func TestRoutesParseWithoutCollisions(t *testing.T) {
	routes, err := loadTemplate(t).HTTPRoutes()
	if err != nil {
		t.Fatal(err)
	}
	if len(routes) == 0 {
		t.Fatal("template has no HttpApi routes")
	}
	if err := gateway.CheckRoutes(routes); err != nil {
		t.Error(err)
	}
}
