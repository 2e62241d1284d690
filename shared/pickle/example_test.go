package pickle_test

import (
	"fmt"
	"strings"

	"github.com/hubsec/trustlayer/shared/pickle"
)

func ExampleScan() {
	// A protocol 0 pickle that calls os.system("id") when loaded.
	res := pickle.Scan(strings.NewReader("cos\nsystem\n(S'id'\ntR."), pickle.Options{})
	fmt.Println(res.Highest, res.Imports, res.Err)
	// Output: dangerous [os.system (dangerous)] <nil>
}

func ExampleRate() {
	fmt.Println(pickle.Rate("torch._utils", "_rebuild_tensor_v2"))
	fmt.Println(pickle.Rate("mypackage", "Model"))
	fmt.Println(pickle.Rate("asyncio.unix_events", "_UnixSelectorEventLoop"))
	// Output:
	// innocuous
	// suspicious
	// dangerous
}
