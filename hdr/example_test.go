package hdr_test

import (
	"fmt"

	"github.com/golws/lws/hdr"
)

// A decoder that has a request's fields whole, as an HPACK decoder has,
// fills a table with the builder; the request then reads as one the
// HTTP/1 parser filled.
func ExampleTable_SetPath() {
	t := hdr.NewTable(0)
	fields := [][2]string{{"host", "example.com"}, {"accept", "text/html"}, {"accept", "*/*"}, {"x-trace", "7"}}
	err := t.SetMethod([]byte("GET"))
	if err == nil {
		err = t.SetPath([]byte("/docs/./a/../b%20c?lang=go&q=a+b"))
	}
	for _, f := range fields {
		if err == nil {
			err = t.AddHeaderByName([]byte(f[0]), []byte(f[1]))
		}
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	q, _ := t.URLArg("q")
	trace, _ := t.Custom("X-Trace")
	fmt.Printf("%s%s\n", t.Method(), t.Fragment(t.Method(), 0))
	fmt.Printf("host %s, accept %s, q %q, x-trace %s\n", t.Copy(nil, hdr.TokenHost), t.Copy(nil, hdr.TokenAccept), q, trace)
	fmt.Println(t.SetPath([]byte("/%zz")))
	// Output:
	// get /docs/b c
	// host example.com, accept text/html,*/*, q "a b", x-trace 7
	// http: 403 bad %-escape in request target
}
