package infra

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/infra/samtemplate"
	"github.com/hubsec/trustlayer/shared/platform/ddb"

	// Every store, so its ddb.Declare runs in this test binary
	// (TestEveryStoreDeclaresItsKeys fails on a store missing here).
	_ "github.com/hubsec/trustlayer/shared/commitverify/commitverifyddb"
	_ "github.com/hubsec/trustlayer/shared/files/filesddb"
	_ "github.com/hubsec/trustlayer/shared/gitref/gitrefddb"
	_ "github.com/hubsec/trustlayer/shared/identity/identityddb"
	_ "github.com/hubsec/trustlayer/shared/keyring/keyringddb"
	_ "github.com/hubsec/trustlayer/shared/lfs/lfsddb"
	_ "github.com/hubsec/trustlayer/shared/modelsig/modelsigddb"
	_ "github.com/hubsec/trustlayer/shared/org/orgddb"
	_ "github.com/hubsec/trustlayer/shared/repo/repoddb"
	_ "github.com/hubsec/trustlayer/shared/scan/scanddb"
)

// leadingKeys is a statement's dynamodb:LeadingKeys patterns
// (ForAllValues:StringLike), sorted, or nil.
func leadingKeys(st map[string]any) []string {
	v := samtemplate.Map(samtemplate.Map(st["Condition"])["ForAllValues:StringLike"])["dynamodb:LeadingKeys"]
	if v == nil {
		return nil
	}
	items, ok := v.([]any)
	if !ok {
		items = []any{v}
	}
	out := []string{}
	for _, it := range items {
		out = append(out, samtemplate.String(it))
	}
	sort.Strings(out)
	return out
}

var storeRe = regexp.MustCompile(`^shared/([a-z]+)/([a-z]+)ddb$`)

func isStore(rel string) bool {
	m := storeRe.FindStringSubmatch(rel)
	return m != nil && m[1] == m[2]
}

// TestEveryStoreDeclaresItsKeys: every store package declares its
// ddb.KeySpace, with patterns of the one supported shape.
func TestEveryStoreDeclaresItsKeys(t *testing.T) {
	decl := ddb.Declared()
	n := 0
	for _, rel := range sharedPackages(t) {
		if !isStore(rel) {
			continue
		}
		n++
		ks, ok := decl[module+rel]
		if !ok {
			t.Errorf("%s declares no ddb.KeySpace (or infra/keys_test.go does not import it)", rel)
			continue
		}
		if len(ks.Table) == 0 {
			t.Errorf("%s declares no table keys", rel)
		}
		for _, p := range append(append([]string{}, ks.Table...), ks.Index...) {
			if p == "" || p == "*" || strings.Contains(strings.TrimSuffix(p, "*"), "*") || strings.ContainsAny(p, "?") {
				t.Errorf("%s: pattern %q: a literal, or a non-empty prefix ending in *", rel, p)
			}
		}
	}
	if n != len(decl) {
		t.Errorf("%d stores under shared/, %d declarations", n, len(decl))
	}
}

// sortKeyPrefixes are the key-prefix literals of the stores' source that
// only ever begin a sort key (or gsi1's sort key), never a partition key:
// they need no LeadingKeys pattern. A literal that is neither here nor
// matched by a declared pattern fails TestStoreKeyLiteralsAreDeclared.
var sortKeyPrefixes = map[string]bool{
	"P#": true, "REF#": true, "LOG#": true, "OBJ#": true, "OID#": true, "COMMIT#": true, "SIGNER#": true,
	"MEMBER#": true, "GPGKEY#": true, "SSHKEY#": true, "GPGFPR#": true, "V#": true, "TOKENUSE#": true,
}

var keyLiteral = regexp.MustCompile(`^([A-Z][A-Z0-9_]*#)`)

// TestStoreKeyLiteralsAreDeclared reads every store's source (and the
// platform's shared items): a string literal that starts a key
// ("TOKEN#…") is either matched by a declared partition pattern of some
// store or a known sort-key prefix. With the runtime check of every
// test on DynamoDB Local (ddbtest.KeyChecker), a store's new partition
// key cannot reach a function without its LeadingKeys condition saying so.
func TestStoreKeyLiteralsAreDeclared(t *testing.T) {
	var all []ddb.KeySpace
	for _, ks := range ddb.Declared() {
		all = append(all, ks)
	}
	u := ddb.Union(all...)
	patterns := append(append([]string{}, u.Table...), u.Index...)
	dirs := []string{"../shared/platform/ddb"}
	for _, rel := range sharedPackages(t) {
		if isStore(rel) {
			dirs = append(dirs, "../"+rel)
		}
	}
	found := 0
	for _, dir := range dirs {
		fset := token.NewFileSet()
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(fset, f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(file, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					return true
				}
				m := keyLiteral.FindStringSubmatch(s)
				if m == nil {
					return true
				}
				found++
				if !sortKeyPrefixes[m[1]] && !ddb.MatchKey(patterns, m[1]) {
					t.Errorf("%s: key literal %q is neither a declared partition pattern (ddb.Declare) nor a known sort-key prefix", fset.Position(lit.Pos()), s)
				}
				return true
			})
		}
	}
	if found < 20 {
		t.Errorf("found %d key literals in the stores; the reader is broken", found)
	}
}

// TestLeadingKeysDerivedFromStores: every function's DynamoDB statements
// in template.yaml carry dynamodb:LeadingKeys conditions, and they are
// exactly the union of the declared KeySpaces of the stores the function
// links (go list -deps): the table's statements together name every
// table pattern and none other, an index statement only gsi1's patterns
// (and only dynamodb:Query). A function that links no store gets no item
// access at all.
func TestLeadingKeysDerivedFromStores(t *testing.T) {
	tmpl, err := samtemplate.Load("../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	decl := ddb.Declared()
	for _, r := range tmpl.OfType(samtemplate.TypeFunction) {
		dir := strings.ToLower(strings.TrimSuffix(r.LogicalID, "Function"))
		var linked []ddb.KeySpace
		var stores []string
		for _, dep := range goList(t, "-deps", "../functions/"+dir) {
			rel := strings.TrimPrefix(dep, module)
			if isStore(rel) {
				linked = append(linked, decl[dep])
				stores = append(stores, path.Base(rel))
			}
		}
		want := ddb.Union(linked...)
		if reason, ok := noIndex[r.LogicalID]; ok {
			t.Logf("%s: no index access (%s)", r.LogicalID, reason)
			want.Index = nil
		}
		var gotTable, gotIndex []string
		pols, _ := r.Properties["Policies"].([]any)
		for _, p := range pols {
			list, _ := samtemplate.Map(p)["Statement"].([]any)
			for _, st := range list {
				m := samtemplate.Map(st)
				var actions []string
				for _, a := range anyList(m["Action"]) {
					if s := samtemplate.String(a); strings.HasPrefix(s, "dynamodb:") && s != "dynamodb:DescribeTable" {
						actions = append(actions, s)
					}
				}
				if len(actions) == 0 {
					continue
				}
				keys := leadingKeys(m)
				if keys == nil {
					t.Errorf("%s: %v without a dynamodb:LeadingKeys condition", r.LogicalID, actions)
					continue
				}
				res := anyList(m["Resource"])
				onIndex := len(res) > 0 && strings.Contains(resourceName(res[0]), "/index/")
				for _, r1 := range res {
					if strings.Contains(resourceName(r1), "/index/") != onIndex {
						t.Errorf("%s: one statement on the table and an index; split it", r.LogicalID)
					}
				}
				if onIndex {
					if strings.Join(actions, ",") != "dynamodb:Query" {
						t.Errorf("%s: %v on the index; only dynamodb:Query reads it", r.LogicalID, actions)
					}
					gotIndex = append(gotIndex, keys...)
					for _, k := range keys {
						if !contains(want.Index, k) {
							t.Errorf("%s: index pattern %q: none of its stores (%v) queries it", r.LogicalID, k, stores)
						}
					}
					continue
				}
				gotTable = append(gotTable, keys...)
				for _, k := range keys {
					if !contains(want.Table, k) {
						t.Errorf("%s: table pattern %q: none of its stores (%v) declares it", r.LogicalID, k, stores)
					}
				}
			}
		}
		gt, gi := ddb.Union(ddb.KeySpace{Table: gotTable, Index: gotIndex}), want
		if strings.Join(gt.Table, ",") != strings.Join(gi.Table, ",") {
			t.Errorf("%s links %v: its table statements' LeadingKeys name %q, the stores declare %q", r.LogicalID, stores, gt.Table, gi.Table)
		}
		if strings.Join(gt.Index, ",") != strings.Join(gi.Index, ",") {
			t.Errorf("%s links %v: its index statements' LeadingKeys name %q, the stores query %q", r.LogicalID, stores, gt.Index, gi.Index)
		}
	}
}

// resourceName is a Resource entry as written: a string, a !Sub's text or
// a !GetAtt/!Ref's target.
func resourceName(v any) string {
	if s := samtemplate.String(v); s != "" {
		return s
	}
	if sub, ok := samtemplate.Map(v)["Fn::Sub"].(string); ok {
		return sub
	}
	return samtemplate.RefTarget(v)
}

// noIndex: functions that link stores with index queries but never call
// them, so they are granted no index access at all (the one manual
// narrowing below the store's declaration, each with its reason).
var noIndex = map[string]string{
	"AuthorizerFunction": "the decision reads token, repository, membership and policy by key; no index query is on its path",
}

func anyList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestIndexProjectionIsWhatReadersDecode: gsi1 projects exactly the union
// of the stores' IndexReads (each store's own test holds its readers'
// items to its list), so no attribute rides on the index that no reader
// decodes, and none a reader decodes is missing.
func TestIndexProjectionIsWhatReadersDecode(t *testing.T) {
	var all []ddb.KeySpace
	for _, ks := range ddb.Declared() {
		all = append(all, ks)
	}
	want := ddb.Union(all...).IndexReads
	var got []string
	for _, ix := range ddb.Shape.Indexes {
		if ix.Name == ddb.GSI1 {
			got = append(got, ix.Include...)
		}
	}
	sort.Strings(got)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("gsi1 projects %q; its readers decode %q", got, want)
	}
}
