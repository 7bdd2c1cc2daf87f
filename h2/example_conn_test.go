package h2_test

import (
	"bytes"
	"fmt"

	"github.com/golws/lws/h2"
	"github.com/golws/lws/hdr"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// How the loop drives a connection: it feeds what it read, handles one
// event at a time, and writes what the connection queued.
func ExampleConn() {
	// what a client sends: preface, SETTINGS, a POST with a body
	var in bytes.Buffer
	in.WriteString(h2.Preface)
	cf := http2.NewFramer(&in, nil)
	_ = cf.WriteSettings()
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for _, f := range [][2]string{{":method", "POST"}, {":scheme", "https"}, {":authority", "example.com"}, {":path", "/up"}} {
		_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	_ = cf.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block.Bytes(), EndHeaders: true})
	_ = cf.WriteData(1, true, []byte("hello"))

	c := h2.NewConn(h2.Config{})
	dec := h2.NewHeaderDecoder(4096, 65536)
	head := h2.NewHeadEncoder()
	t := hdr.NewTable(0)
	for p := in.Bytes(); len(p) > 0; {
		n, ev := c.Feed(p)
		p = p[n:]
		switch ev.Kind {
		case h2.EventHeaders:
			if ev.Discard {
				_ = dec.Discard(ev.Block)
				continue
			}
			t.Reset()
			if err := dec.Decode(ev.Block, t); err != nil {
				if he, ok := err.(*h2.HeaderError); ok {
					c.RefuseHeaders(ev.Stream, he)
				}
				continue
			}
			fmt.Printf("stream %d: %s%s\n", ev.Stream, t.Method(), t.Fragment(t.Method(), 0))
		case h2.EventData:
			fmt.Printf("stream %d: %q end %v\n", ev.Stream, ev.Data, ev.EndStream)
			c.Consumed(ev.Stream, len(ev.Data))
			_ = c.WriteHeaders(ev.Stream, head.AppendStatus(nil, 204), true)
		case h2.EventConnError:
			fmt.Println(ev.Err)
		}
	}
	// the loop writes c.Output() and reports it with c.Sent
	out := http2.NewFramer(nil, bytes.NewReader(c.Output()))
	for {
		f, err := out.ReadFrame()
		if err != nil {
			break
		}
		fmt.Println(f.Header().Type, f.Header().StreamID)
	}
	c.Sent(len(c.Output()))
	fmt.Println(c.State(1))
	// Output:
	// stream 1: post /up
	// stream 1: "hello" end true
	// SETTINGS 0
	// WINDOW_UPDATE 0
	// SETTINGS 0
	// HEADERS 1
	// closed
}

// An HTTP/1.1 request upgrading to h2c: the server checks its
// HTTP2-Settings field, answers 101, and the connection goes on as
// HTTP/2, the request being stream 1.
func ExampleNewUpgradedConn() {
	// GET / HTTP/1.1, Upgrade: h2c, HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA
	set, err := h2.DecodeSettingsHeader([]byte("AAMAAABkAAQCAAAAAAIAAAAA"))
	if err != nil {
		fmt.Println("serve as HTTP/1.1:", err)
		return
	}
	// the loop writes "HTTP/1.1 101 Switching Protocols" and then the
	// connection's output
	c, err := h2.NewUpgradedConn(h2.Config{}, set)
	if err != nil {
		return
	}
	fmt.Println(c.State(1), c.Peer().InitialWindowSize, c.SendAllowance(1))

	// the client's preface follows, then its SETTINGS
	var in bytes.Buffer
	in.WriteString(h2.Preface)
	_ = http2.NewFramer(&in, nil).WriteSettings()
	for p := in.Bytes(); len(p) > 0; {
		n, ev := c.Feed(p)
		p = p[n:]
		fmt.Println("event", ev.Kind == h2.EventSettings)
	}
	// the response to the upgraded request
	head := h2.NewHeadEncoder()
	head.SetPeerTableSize(c.Peer().HeaderTableSize)
	_ = c.WriteHeaders(1, head.AppendStatus(nil, 200), false)
	_, _ = c.WriteData(1, []byte("hello"), true)
	fmt.Println(c.State(1), c.Streams())
	// Output:
	// half-closed (remote) 33554432 65535
	// event true
	// closed 0
}
