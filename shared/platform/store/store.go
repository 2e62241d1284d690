// Package store names the conditions every store reports, so that domain
// packages can tell "not found" from "taken" from "changed under us" without
// knowing which database is behind them. Adapters wrap these sentinels.
package store

import "errors"

// The conditions a store reports.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	ErrConflict = errors.New("changed concurrently")
)

// ExistsError says which unique value was taken. errors.Is(err, ErrExists)
// holds for it.
type ExistsError struct{ Field string }

func (e *ExistsError) Error() string        { return e.Field + " already exists" }
func (e *ExistsError) Is(target error) bool { return target == ErrExists }
