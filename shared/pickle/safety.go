package pickle

import (
	"encoding/json"
	"fmt"
)

// Safety rates an import. The zero value is Innocuous; higher values are
// worse, so the highest of several ratings is their maximum.
type Safety int

// The three ratings, in the words the Hub API uses.
const (
	Innocuous Safety = iota
	Suspicious
	Dangerous
)

var safetyNames = [...]string{"innocuous", "suspicious", "dangerous"}

// String returns "innocuous", "suspicious" or "dangerous".
func (s Safety) String() string {
	if s < 0 || int(s) >= len(safetyNames) {
		return fmt.Sprintf("Safety(%d)", int(s))
	}
	return safetyNames[s]
}

// MarshalJSON encodes the rating as its word.
func (s Safety) MarshalJSON() ([]byte, error) {
	if s < 0 || int(s) >= len(safetyNames) {
		return nil, fmt.Errorf("marshal safety: invalid value %d", int(s))
	}
	return json.Marshal(s.String())
}

// UnmarshalJSON decodes a rating from its word.
func (s *Safety) UnmarshalJSON(b []byte) error {
	var word string
	if err := json.Unmarshal(b, &word); err != nil {
		return fmt.Errorf("unmarshal safety: %w", err)
	}
	v, err := ParseSafety(word)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSafety returns the rating named by word.
func ParseSafety(word string) (Safety, error) {
	for i, n := range safetyNames {
		if n == word {
			return Safety(i), nil
		}
	}
	return 0, fmt.Errorf("unknown safety %q", word)
}

// Import is one global a pickle would import, with its rating.
type Import struct {
	Module string `json:"module"`
	Name   string `json:"name"`
	Safety Safety `json:"safety"`
}

// String returns "module.name (safety)".
func (i Import) String() string {
	return fmt.Sprintf("%s.%s (%s)", i.Module, i.Name, i.Safety)
}
