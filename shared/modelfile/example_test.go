package modelfile_test

import (
	"context"
	"fmt"
	"os"

	"github.com/hubsec/trustlayer/shared/modelfile"
)

// Example shows the shape of a call: in the scanner, r is an S3 object read
// with ranged GETs and size comes from HeadObject.
func Example() {
	f, err := os.CreateTemp("", "model-*.pkl")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.Remove(f.Name())
	f.WriteString("cos\nsystem\n(S'id'\ntR.")

	rep, err := modelfile.Analyze(context.Background(), f, 22, "model.pkl", modelfile.Options{})
	fmt.Println(rep.Kind, rep.Highest, rep.Imports(), len(rep.Problems), err)
	// Output: pickle dangerous [os.system (dangerous)] 0 <nil>
}
