package pickle

import (
	"strings"
	"sync"
)

type ruleIndex map[string]map[string]bool // module -> names (AnyName for all)

var (
	indexOnce sync.Once
	allowIdx  ruleIndex
	denyIdx   ruleIndex
)

func buildIndex(rules []Rule) ruleIndex {
	idx := ruleIndex{}
	for _, r := range rules {
		names := idx[r.Module]
		if names == nil {
			names = map[string]bool{}
			idx[r.Module] = names
		}
		for _, n := range r.Names {
			names[n] = true
		}
	}
	return idx
}

func indexes() (allow, deny ruleIndex) {
	indexOnce.Do(func() {
		allowIdx = buildIndex(allowRules)
		denyIdx = buildIndex(denyRules)
	})
	return allowIdx, denyIdx
}

// Rate returns the safety of importing name from module.
//
// An import is Dangerous if either part is Unknown, if its module or any
// parent package is denied as a whole, or if its name (or a dotted attribute
// path starting with it) is denied for its module. It is Innocuous if the
// allow list names it exactly, and Suspicious otherwise. Python 2 names are
// also judged under the names Python 3's unpickler maps them to.
func Rate(module, name string) Safety {
	allow, deny := indexes()
	candidates := [][2]string{{module, name}}
	if m, ok := compatNames[[2]string{module, name}]; ok {
		candidates = append(candidates, m)
	} else if m, ok := compatModules[module]; ok {
		candidates = append(candidates, [2]string{m, name})
	}
	for _, c := range candidates {
		if c[0] == Unknown || c[1] == Unknown || denied(deny, c[0], c[1]) || deniedPath(deny, c[0], c[1]) {
			return Dangerous
		}
	}
	for _, c := range candidates {
		if allow[c[0]][c[1]] {
			return Innocuous
		}
	}
	return Suspicious
}

// deniedPath judges a dotted name the way the unpickler resolves it
// (protocol 4+, and STACK_GLOBAL always can be): attribute by attribute from
// module. Any attribute on the path may be a module the first one imported
// (posixpath.os is os), so every run of segments is also tried as a module
// name with the rest as its attribute: "posixpath", "os.system" is denied
// as os.system. Dunder segments reach interpreter internals (__globals__,
// __builtins__, __loader__) and are denied outright.
func deniedPath(deny ruleIndex, module, name string) bool {
	segs := strings.Split(name, ".")
	if len(segs) < 2 {
		return false
	}
	for _, s := range segs[1:] {
		if strings.HasPrefix(s, "__") {
			return true
		}
	}
	for i := 1; i < len(segs); i++ {
		if denied(deny, module+"."+strings.Join(segs[:i], "."), strings.Join(segs[i:], ".")) {
			return true
		}
		for j := 0; j < i; j++ {
			if denied(deny, strings.Join(segs[j:i], "."), strings.Join(segs[i:], ".")) {
				return true
			}
		}
	}
	return false
}

func denied(deny ruleIndex, module, name string) bool {
	if names := deny[module]; names != nil {
		if names[AnyName] {
			return true
		}
		for n := name; ; {
			if names[n] {
				return true
			}
			i := strings.LastIndexByte(n, '.')
			if i < 0 {
				break
			}
			n = n[:i]
		}
	}
	for m := module; ; {
		i := strings.LastIndexByte(m, '.')
		if i < 0 {
			return false
		}
		m = m[:i]
		if deny[m][AnyName] {
			return true
		}
	}
}
