package samtemplate

import "strings"

// Condition evaluates the template's condition name with parameter values
// from vars, then parameter defaults, as CloudFormation would with those
// values. It understands Fn::Equals, Fn::Not, Fn::And, Fn::Or, Fn::Join,
// Ref to a parameter and Condition; anything else evaluates to false.
func (t *Template) Condition(name string, vars map[string]string) bool {
	b, _ := t.eval(Map(t.Conditions)[name], vars).(bool)
	return b
}

func (t *Template) eval(v any, vars map[string]string) any {
	m := Map(v)
	if len(m) != 1 {
		return v
	}
	args, _ := func() ([]any, bool) {
		for _, a := range m {
			l, ok := a.([]any)
			return l, ok
		}
		return nil, false
	}()
	switch {
	case m["Ref"] != nil:
		name := String(m["Ref"])
		val, ok := vars[name]
		if !ok {
			val = t.ParameterDefault(name)
		}
		if strings.HasPrefix(String(Map(t.Parameters[name])["Type"]), "CommaDelimitedList") || strings.HasPrefix(String(Map(t.Parameters[name])["Type"]), "List<") {
			var out []any
			for _, p := range strings.Split(val, ",") {
				if p != "" {
					out = append(out, p)
				}
			}
			return out
		}
		return val
	case m["Condition"] != nil:
		return t.Condition(String(m["Condition"]), vars)
	case m["Fn::Equals"] != nil && len(args) == 2:
		return String(t.eval(args[0], vars)) == String(t.eval(args[1], vars))
	case m["Fn::Not"] != nil && len(args) == 1:
		b, ok := t.eval(args[0], vars).(bool)
		return ok && !b
	case m["Fn::And"] != nil || m["Fn::Or"] != nil:
		and := m["Fn::And"] != nil
		for _, a := range args {
			b, _ := t.eval(a, vars).(bool)
			if and && !b {
				return false
			}
			if !and && b {
				return true
			}
		}
		return and
	case m["Fn::Join"] != nil && len(args) == 2:
		var parts []string
		list, _ := t.eval(args[1], vars).([]any)
		for _, p := range list {
			parts = append(parts, String(t.eval(p, vars)))
		}
		return strings.Join(parts, String(args[0]))
	}
	return v
}
