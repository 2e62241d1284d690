package ddb

import (
	"runtime"
	"sort"
	"strings"
	"sync"
)

// KeySpace is what a store touches on the table, by partition key: the
// patterns of the table's partition keys it reads or writes (Table) and of
// gsi1's partition keys it queries (Index). A pattern is an IAM StringLike
// pattern of the one shape the stores need: a literal, optionally ending
// in "*" ("TOKEN#*": every key starting with TOKEN#).
//
// The declaration is the one place a store's reach is stated:
//   - template.yaml's dynamodb:LeadingKeys conditions of every function
//     that links the store are derived from it (infra/iam_test.go holds
//     each function's conditions to the union of its stores' KeySpaces);
//   - every test on DynamoDB Local checks each key a store touches against
//     it (ddbtest records the keys at the client), so a store that starts
//     using a new prefix fails its tests until the declaration, and so the
//     policy, name it;
//   - infra/iam_test.go checks that every key-prefix literal in a store's
//     source is named by a declaration.
type KeySpace struct {
	Table []string
	Index []string
	// IndexReads are the non-key attributes the store's gsi1 readers
	// decode: gsi1 projects their union (GSI1Include), nothing else.
	IndexReads []string
}

var (
	declMu   sync.Mutex
	declared = map[string]KeySpace{}
)

// Declare records the calling package's KeySpace; a store calls it from
// its package initialisation.
func Declare(ks KeySpace) KeySpace {
	pc, _, _, _ := runtime.Caller(1)
	pkg := FuncPackage(runtime.FuncForPC(pc).Name())
	declMu.Lock()
	defer declMu.Unlock()
	declared[pkg] = ks
	return ks
}

// Declared returns every declared KeySpace by package import path.
func Declared() map[string]KeySpace {
	declMu.Lock()
	defer declMu.Unlock()
	out := make(map[string]KeySpace, len(declared))
	for k, v := range declared {
		out[k] = v
	}
	return out
}

// Union merges key spaces, sorted and without duplicates.
func Union(spaces ...KeySpace) KeySpace {
	merge := func(get func(KeySpace) []string) []string {
		seen := map[string]bool{}
		var out []string
		for _, s := range spaces {
			for _, p := range get(s) {
				if !seen[p] {
					seen[p] = true
					out = append(out, p)
				}
			}
		}
		sort.Strings(out)
		return out
	}
	return KeySpace{
		Table:      merge(func(s KeySpace) []string { return s.Table }),
		Index:      merge(func(s KeySpace) []string { return s.Index }),
		IndexReads: merge(func(s KeySpace) []string { return s.IndexReads }),
	}
}

// MatchKey reports whether key matches one of patterns (a literal, or a
// prefix followed by "*").
func MatchKey(patterns []string, key string) bool {
	for _, p := range patterns {
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			if strings.HasPrefix(key, prefix) {
				return true
			}
		} else if key == p {
			return true
		}
	}
	return false
}

// FuncPackage is the import path of the package of a function name as
// runtime reports it ("example.com/a/b.T.m" -> "example.com/a/b").
func FuncPackage(fn string) string {
	slash := strings.LastIndexByte(fn, '/')
	if dot := strings.IndexByte(fn[slash+1:], '.'); dot >= 0 {
		return fn[:slash+1+dot]
	}
	return fn
}
