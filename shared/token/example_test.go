package token_test

import (
	"errors"
	"fmt"

	"github.com/hubsec/trustlayer/shared/token"
)

func Example() {
	s, err := token.Generate(token.KindUser)
	if err != nil {
		panic(err)
	}
	// Show s.Reveal() to the user once; store only s.Hash().
	kind, err := token.Parse(s.Reveal())
	fmt.Println(kind, err, len(s.Hash()))
	// Output: user <nil> 64
}

func ExampleParse() {
	for _, s := range []string{
		"hf_abcdefghijklmnopqrstuvwxyzABCrIyhP",
		"hf_abcdefghijklmnopqrstuvwxyzABCrIyhQ", // last letter mistyped
		"hf_short",
	} {
		kind, err := token.Parse(s)
		fmt.Println(kind, err, errors.Is(err, token.ErrMalformed))
	}
	// Output:
	// user <nil> false
	// invalid token: checksum mismatch (mistyped or not a token) true
	// invalid token: wrong length true
}

func ExampleHint() {
	fmt.Println(token.Hint("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"))
	// Output: api_org_...jbVt
}

func ExampleRedact() {
	fmt.Println(token.Redact("auth failed for Bearer hf_abcdefghijklmnopqrstuvwxyzABCrIyhP"))
	// Output: auth failed for Bearer hf_...IyhP
}
