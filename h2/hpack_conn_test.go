package h2

import (
	"bytes"
	"testing"

	"github.com/golws/lws/hdr"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// The contract between the connection and the header decoder: Conn
// assembles a block split over HEADERS and CONTINUATION, the decoder of
// the connection decodes it, a malformed request's block included, whose
// refusal RefuseHeaders turns into RST_STREAM, and the head HeadEncoder
// makes for the response goes out through WriteHeaders
// and decodes at the client.
func TestHeaderBlocksThroughConn(t *testing.T) {
	c := NewConn(Config{})
	var in bytes.Buffer
	fr := http2.NewFramer(&in, nil)
	var hbuf bytes.Buffer
	enc := hpack.NewEncoder(&hbuf)
	encode := func(fields ...string) []byte {
		hbuf.Reset()
		for i := 0; i < len(fields); i += 2 {
			_ = enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
		}
		return append([]byte(nil), hbuf.Bytes()...)
	}
	in.WriteString(Preface)
	_ = fr.WriteSettings()
	// stream 1: a request with a dynamic-table entry, split in two frames
	b1 := encode(get("/one", "x-session", "abc", "cookie", "a=1", "cookie", "b=2")...)
	_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: b1[:5], EndStream: true})
	_ = fr.WriteContinuation(1, true, b1[5:])
	// stream 3: malformed, its entries still needed by stream 5
	_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: encode(get("/three", "X-Bad", "1", "x-later", "kept")...), EndStream: true, EndHeaders: true})
	_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 5, BlockFragment: encode(get("/five", "x-later", "kept", "x-session", "abc")...), EndStream: true, EndHeaders: true})

	d := NewHeaderDecoder(4096, 65536)
	tab := hdr.NewTable(0)
	p := in.Bytes()
	var got []string
	for {
		n, ev := c.Feed(p)
		p = p[n:]
		if ev.Kind == EventNone {
			break
		}
		if ev.Kind != EventHeaders {
			continue
		}
		err := d.Decode(ev.Block, tab)
		switch ev.Stream {
		case 1, 5:
			if err != nil {
				t.Fatalf("stream %d: %v", ev.Stream, err)
			}
			s, _ := tab.Custom("x-session")
			l, _ := tab.Custom("x-later")
			got = append(got, string(tab.Fragment(hdr.TokenGetURI, 0))+" "+string(s)+" "+string(l)+" "+string(tab.Copy(nil, hdr.TokenCookie)))
		case 3:
			c.RefuseHeaders(3, checkKind(t, err, kindStream))
		}
	}
	want := []string{"/one abc  a=1; b=2", "/five abc kept "}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %q, want %q", got, want)
	}

	// the response head
	e := NewHeadEncoder()
	e.SetPeerTableSize(c.Peer().HeaderTableSize)
	head := e.AppendStatus(nil, 200)
	head = e.AppendField(head, "Content-Type", "text/plain")
	head = e.AppendField(head, "Connection", "close")
	if err := c.WriteHeaders(1, head, true); err != nil {
		t.Fatal(err)
	}
	out := http2.NewFramer(nil, bytes.NewReader(c.Output()))
	out.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	reset, head1 := false, false
	for !reset || !head1 {
		f, err := out.ReadFrame()
		if err != nil {
			t.Fatalf("reset %v, response head %v: %v", reset, head1, err)
		}
		switch f := f.(type) {
		case *http2.RSTStreamFrame:
			if f.StreamID != 3 || f.ErrCode != http2.ErrCodeProtocol {
				t.Fatalf("RST_STREAM %d %v", f.StreamID, f.ErrCode)
			}
			reset = true
		case *http2.MetaHeadersFrame:
			if f.StreamID != 1 || len(f.Fields) != 2 || f.PseudoValue("status") != "200" || f.Fields[1].Name != "content-type" {
				t.Fatalf("stream %d: %v", f.StreamID, f.Fields)
			}
			head1 = true
		}
	}
}
