package h2_test

import (
	"bytes"
	"fmt"

	"github.com/golws/lws/h2"
	"github.com/golws/lws/hdr"
	"golang.org/x/net/http2/hpack"
)

// A connection's header blocks go through its one decoder in the order
// they came; the table then reads as an HTTP/1 request's. The response
// head is encoded by the connection's one encoder.
func ExampleHeaderDecoder() {
	// what a client sends
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for _, f := range [][2]string{
		{":method", "GET"}, {":scheme", "https"}, {":authority", "example.com"}, {":path", "/a/../docs?lang=go"},
		{"cookie", "a=1"}, {"cookie", "b=2"},
	} {
		_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}

	d := h2.NewHeaderDecoder(4096, 65536)
	t := hdr.NewTable(0)
	if err := d.Decode(block.Bytes(), t); err != nil {
		fmt.Println(err)
		return
	}
	lang, _ := t.URLArg("lang")
	fmt.Printf("%s%s lang=%s host %s cookie %q\n", t.Method(), t.Fragment(t.Method(), 0), lang,
		t.Copy(nil, hdr.TokenHost), t.Copy(nil, hdr.TokenCookie))

	e := h2.NewHeadEncoder()
	head := e.AppendStatus(nil, 200)
	head = e.AppendField(head, "Content-Type", "text/html")
	head = e.AppendField(head, "Connection", "close") // dropped
	fields, _ := hpack.NewDecoder(4096, nil).DecodeFull(head)
	fmt.Println(fields[0].Name, fields[0].Value, fields[1].Name, fields[1].Value, len(fields))
	// Output:
	// get /docs lang=go host example.com cookie "a=1; b=2"
	// :status 200 content-type text/html 2
}
