package h2

import (
	"bytes"
	"encoding/hex"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/golws/lws/hdr"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// block encodes fields with a fresh HPACK encoder, as a client would.
func block(fields ...string) []byte {
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	for i := 0; i+1 < len(fields); i += 2 {
		if err := enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]}); err != nil {
			panic(err)
		}
	}
	return buf.Bytes()
}

// get is the pseudo-headers of a plain GET of path.
func get(path string, more ...string) []string {
	return append([]string{":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", path}, more...)
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// RFC 7541 Appendix C.3 and C.4: three requests on one connection, without
// and with Huffman coding; the later blocks refer to the dynamic table the
// earlier ones filled.
func TestHeaderDecoderRFC7541Examples(t *testing.T) {
	for _, tc := range []struct {
		name   string
		blocks []string
	}{
		{"C.3", []string{
			"8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
			"8286 84be 5808 6e6f 2d63 6163 6865",
			"8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
		}},
		{"C.4", []string{
			"8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
			"8286 84be 5886 a8eb 1064 9cbf",
			"8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := NewHeaderDecoder(4096, 16384)
			tab := hdr.NewTable(0)
			for i, b := range tc.blocks {
				if err := d.Decode(unhex(t, b), tab); err != nil {
					t.Fatalf("block %d: %v", i, err)
				}
				wantPath := "/"
				if i == 2 {
					wantPath = "/index.html"
				}
				if tab.Method() != hdr.TokenGetURI || string(tab.Fragment(hdr.TokenGetURI, 0)) != wantPath {
					t.Fatalf("block %d: %v %q", i, tab.Method(), tab.Fragment(tab.Method(), 0))
				}
				if h := tab.Copy(nil, hdr.TokenHost); string(h) != "www.example.com" {
					t.Fatalf("block %d: host %q", i, h)
				}
				wantScheme := "http"
				if i == 2 {
					wantScheme = "https"
				}
				if d.Scheme() != wantScheme {
					t.Fatalf("block %d: scheme %q", i, d.Scheme())
				}
				cc := tab.Copy(nil, hdr.TokenCacheControl)
				ck, _ := tab.Custom("custom-key")
				switch i {
				case 0:
					if len(cc) != 0 || ck != nil {
						t.Fatalf("block 0: %q %q", cc, ck)
					}
				case 1:
					if string(cc) != "no-cache" {
						t.Fatalf("block 1: cache-control %q", cc)
					}
				case 2:
					if string(ck) != "custom-value" || len(cc) != 0 {
						t.Fatalf("block 2: %q %q", ck, cc)
					}
				}
			}
		})
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	client := hpack.NewEncoder(&buf)
	d := NewHeaderDecoder(4096, 16384)
	tab := hdr.NewTable(0)
	for i := range 3 {
		buf.Reset()
		for _, f := range [][2]string{
			{":method", "POST"}, {":scheme", "https"}, {":authority", "h.example:8443"}, {":path", "/up/./a/../b?x=1&y=2"},
			{"content-type", "text/plain"}, {"content-length", "12"}, {"cookie", "a=1"}, {"x-trace", "t" + string(rune('0'+i))},
			{"cookie", "b=2"}, {"accept", "text/html"}, {"accept", "*/*"}, {"te", "trailers"},
		} {
			_ = client.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
		}
		if err := d.Decode(buf.Bytes(), tab); err != nil {
			t.Fatal(i, err)
		}
		x, _ := tab.URLArg("y")
		tr, _ := tab.Custom("x-trace")
		got := []string{
			tab.Method().String(), string(tab.Fragment(tab.Method(), 0)), string(x),
			string(tab.Copy(nil, hdr.TokenHost)), string(tab.Copy(nil, hdr.TokenContentType)),
			string(tab.Copy(nil, hdr.TokenContentLength)), string(tab.Copy(nil, hdr.TokenCookie)),
			string(tr), string(tab.Copy(nil, hdr.TokenAccept)), string(tab.Copy(nil, hdr.TokenTE)),
		}
		want := []string{"post ", "/up/b", "2", "h.example:8443", "text/plain", "12", "a=1; b=2",
			"t" + string(rune('0'+i)), "text/html,*/*", "trailers"}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("round %d:\n got %q\nwant %q", i, got, want)
		}
		if tab.FragmentCount(hdr.TokenCookie) != 1 || tab.FragmentCount(hdr.TokenHost) != 1 {
			t.Fatalf("cookie %d host %d fragments", tab.FragmentCount(hdr.TokenCookie), tab.FragmentCount(hdr.TokenHost))
		}
	}
}

// The server's response heads, encoded by HeadEncoder, decode at the
// client as they were given, names in lowercase, connection-specific
// fields gone; the encoder's dynamic table stays in step with a decoder
// over several heads.
func TestHeadEncoderRoundTrip(t *testing.T) {
	e := NewHeadEncoder()
	client := hpack.NewDecoder(4096, nil)
	var buf []byte
	for i := range 4 {
		buf = e.AppendStatus(buf[:0], []int{200, 404, 101, 999}[i])
		buf = e.AppendField(buf, "Content-Type", "text/html")
		buf = e.AppendField(buf, "Connection", "close")
		buf = e.AppendField(buf, "transfer-encoding", "chunked")
		buf = e.AppendField(buf, "KEEP-ALIVE", "5")
		buf = e.AppendField(buf, "Upgrade", "websocket")
		buf = e.AppendField(buf, "Proxy-Connection", "x")
		buf = e.AppendField(buf, "x-n", strings.Repeat("n", i))
		buf = e.AppendField(buf, "server", "golws")
		fields, err := client.DecodeFull(buf)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range fields {
			got = append(got, f.Name+"="+f.Value)
		}
		want := []string{":status=" + []string{"200", "404", "101", "999"}[i], "content-type=text/html",
			"x-n=" + strings.Repeat("n", i), "server=golws"}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("head %d: %q", i, got)
		}
	}
}

// The peer's SETTINGS_HEADER_TABLE_SIZE binds the encoder: with 0 nothing
// enters its dynamic table, so a decoder whose table is 0 reads every
// head, and the first head after the setting carries the size update.
func TestHeadEncoderPeerTableSize(t *testing.T) {
	e := NewHeadEncoder()
	e.SetPeerTableSize(0)
	client := hpack.NewDecoder(0, nil)
	for range 3 {
		b := e.AppendStatus(nil, 200)
		b = e.AppendField(b, "x-custom", "value")
		fields, err := client.DecodeFull(b)
		if err != nil {
			t.Fatal(err)
		}
		if len(fields) != 2 || fields[1].Value != "value" {
			t.Fatalf("%v", fields)
		}
	}
	// an encoder whose table holds entries starts the next head with a
	// size update (0x20: size 0), which a client following it applies
	e = NewHeadEncoder()
	client = hpack.NewDecoder(4096, nil)
	if _, err := client.DecodeFull(e.AppendField(nil, "x-custom", "value")); err != nil { // enters both tables
		t.Fatal(err)
	}
	e.SetPeerTableSize(0)
	b := e.AppendField(nil, "x-custom", "value")
	if b[0] != 0x20 {
		t.Fatalf("head after the setting starts %#x, not a table size update to 0", b[0])
	}
	fields, err := client.DecodeFull(b)
	if err != nil || len(fields) != 1 || fields[0].Value != "value" {
		t.Fatalf("%v %v", fields, err)
	}
}

func TestHeadEncoderAllocatesNothing(t *testing.T) {
	e := NewHeadEncoder()
	buf := make([]byte, 0, 512)
	head := func() {
		buf = e.AppendStatus(buf[:0], 200)
		buf = e.AppendField(buf, "Content-Type", "text/html; charset=utf-8")
		buf = e.AppendField(buf, "content-length", "1234")
		buf = e.AppendField(buf, "Connection", "close")
		buf = e.AppendField(buf, "cache-control", "no-store")
		buf = e.AppendField(buf, "X-Powered-By", "golws")
	}
	head()
	if n := testing.AllocsPerRun(100, head); n != 0 {
		t.Fatalf("%v allocations per head", n)
	}
	// values that change with every head (a length, a date) enter the
	// dynamic table and push older entries out, allocating nothing
	vals := make([]string, 300)
	for i := range vals {
		vals[i] = strconv.Itoa(1000000 + i)
	}
	i := 0
	varying := func() {
		buf = e.AppendStatus(buf[:0], 200)
		buf = e.AppendField(buf, "Content-Length", vals[i%len(vals)])
		buf = e.AppendField(buf, "date", vals[(i*7)%len(vals)])
		i++
	}
	for range 2 * len(vals) {
		varying()
	}
	if n := testing.AllocsPerRun(200, varying); n != 0 {
		t.Fatalf("%v allocations per head with changing values", n)
	}
	if n := testing.AllocsPerRun(100, func() { buf = e.AppendStatus(buf[:0], 418) }); n != 0 {
		t.Fatalf("%v allocations per status", n)
	}
}

// hkind is what a decoding error must be.
type hkind int

const (
	kindOK hkind = iota
	kindStream
	kindConn
)

func checkKind(t *testing.T, err error, want hkind) *HeaderError {
	t.Helper()
	if want == kindOK {
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		return nil
	}
	var he *HeaderError
	if !errors.As(err, &he) {
		t.Fatalf("error %v, want a *HeaderError", err)
	}
	if he.Stream != (want == kindStream) {
		t.Fatalf("%v: stream %v", he, he.Stream)
	}
	if want == kindStream && he.Code != http2.ErrCodeProtocol {
		t.Fatalf("%v: code %v", he, he.Code)
	}
	if want == kindConn && he.Code != http2.ErrCodeCompression {
		t.Fatalf("%v: code %v", he, he.Code)
	}
	return he
}

// Requests RFC 9113 8.2 and 8.3 (and RFC 8441) call malformed, as
// h2spec's section 8 sends them: each a stream error PROTOCOL_ERROR, the
// connection's HPACK state intact for the next block.
func TestHeaderDecoderBadRequests(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fields []string
		status int
	}{
		{"uppercase name", get("/", "X-Upper", "1"), 0},
		{"uppercase in the middle", get("/", "x-uPper", "1"), 0},
		{"unknown pseudo", append([]string{":foo", "bar"}, get("/")...), 0},
		{"response pseudo", append([]string{":status", "200"}, get("/")...), 0},
		{"pseudo after regular", append(get("/", "accept", "*/*"), ":scheme", "http"), 0},
		{"repeated :method", append(get("/"), ":method", "GET"), 0},
		{"repeated :path", append([]string{":path", "/"}, get("/")...), 0},
		{"repeated :scheme", append([]string{":scheme", "http"}, get("/")...), 0},
		{"missing :method", []string{":scheme", "https", ":path", "/"}, 0},
		{"missing :scheme", []string{":method", "GET", ":path", "/"}, 0},
		{"missing :path", []string{":method", "GET", ":scheme", "https"}, 0},
		{"empty :path", get(""), 0},
		{"relative :path", get("index.html"), 0},
		{"* for GET", get("*"), 0},
		{"connection", get("/", "connection", "keep-alive"), 0},
		{"keep-alive", get("/", "keep-alive", "5"), 0},
		{"proxy-connection", get("/", "proxy-connection", "x"), 0},
		{"transfer-encoding", get("/", "transfer-encoding", "chunked"), 0},
		{"upgrade", get("/", "upgrade", "websocket"), 0},
		{"te gzip", get("/", "te", "gzip"), 0},
		{"te trailers, gzip", get("/", "te", "trailers, gzip"), 0},
		{"NUL in value", get("/", "x-a", "a\x00b"), 0},
		{"CR in value", get("/", "x-a", "a\rb"), 0},
		{"LF in value", get("/", "x-a", "a\nb"), 0},
		{"leading space", get("/", "x-a", " a"), 0},
		{"trailing tab", get("/", "x-a", "a\t"), 0},
		{"control in value", get("/", "x-a", "a\x01b"), 0},
		{"LF in pseudo", get("/a\nb"), 0},
		{"space in name", get("/", "x a", "1"), 0},
		{"empty name", get("/", "", "1"), 0},
		{"colon in name", get("/", "x:a", "1"), 0},
		{"host differs", get("/", "host", "other.example"), 0},
		{"two hosts without :authority", []string{":method", "GET", ":scheme", "http", ":path", "/", "host", "a.example", "host", "a.example"}, 400},
		{"userinfo", []string{":method", "GET", ":scheme", "https", ":authority", "u:p@example.com", ":path", "/"}, 0},
		{"CONNECT with :path", []string{":method", "CONNECT", ":authority", "a.example:443", ":path", "/"}, 0},
		{"CONNECT with :scheme", []string{":method", "CONNECT", ":authority", "a.example:443", ":scheme", "https"}, 0},
		{"CONNECT without :authority", []string{":method", "CONNECT"}, 0},
		{":protocol without CONNECT", append(get("/chat"), ":protocol", "websocket"), 0},
		{":protocol unannounced", []string{":method", "CONNECT", ":protocol", "websocket", ":scheme", "https", ":path", "/chat", ":authority", "a.example"}, 0},
		{"unknown method", []string{":method", "BREW", ":scheme", "https", ":path", "/"}, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fields := tc.fields
			d := NewHeaderDecoder(4096, 16384)
			tab := hdr.NewTable(0)
			// a literal with incremental indexing after the fault, so
			// that a block abandoned half-way would leave the table short
			fields = append(fields, "x-after", "kept")
			var buf bytes.Buffer
			enc := hpack.NewEncoder(&buf)
			for i := 0; i < len(fields); i += 2 {
				_ = enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
			}
			he := checkKind(t, d.Decode(buf.Bytes(), tab), kindStream)
			if he.Status != tc.status {
				t.Fatalf("%v: status %d, want %d", he, he.Status, tc.status)
			}
			buf.Reset()
			for _, f := range [][2]string{{":method", "GET"}, {":scheme", "https"}, {":path", "/next"}, {"x-after", "kept"}} {
				_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
			}
			if err := d.Decode(buf.Bytes(), tab); err != nil {
				t.Fatalf("next block: %v", err)
			}
			if v, _ := tab.Custom("x-after"); string(v) != "kept" || string(tab.Fragment(hdr.TokenGetURI, 0)) != "/next" {
				t.Fatalf("next block: x-after %q path %q", v, tab.Fragment(hdr.TokenGetURI, 0))
			}
		})
	}
}

func TestHeaderDecoderGoodRequests(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fields []string
		method hdr.Token
		target string
		host   string
	}{
		{"OPTIONS *", []string{":method", "OPTIONS", ":scheme", "https", ":path", "*"}, hdr.TokenOptionsURI, "*", ""},
		{"CONNECT", []string{":method", "CONNECT", ":authority", "proxy.example:443"}, hdr.TokenConnect, "proxy.example:443", "proxy.example:443"},
		{"no :authority", []string{":method", "HEAD", ":scheme", "http", ":path", "/x", "host", "h.example"}, hdr.TokenHeadURI, "/x", "h.example"},
		{"host equal to :authority", get("/", "host", "example.com"), hdr.TokenGetURI, "/", "example.com"},
		{"te trailers", get("/", "te", "trailers"), hdr.TokenGetURI, "/", "example.com"},
		{"empty value", get("/", "x-e", ""), hdr.TokenGetURI, "/", "example.com"},
		{"inner space", get("/", "x-e", "a b\tc"), hdr.TokenGetURI, "/", "example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := NewHeaderDecoder(4096, 16384)
			tab := hdr.NewTable(0)
			if err := d.Decode(block(tc.fields...), tab); err != nil {
				t.Fatal(err)
			}
			if tab.Method() != tc.method || string(tab.Fragment(tc.method, 0)) != tc.target {
				t.Fatalf("%v %q", tab.Method(), tab.Fragment(tab.Method(), 0))
			}
			if h := tab.Copy(nil, hdr.TokenHost); string(h) != tc.host || tab.FragmentCount(hdr.TokenHost) > 1 {
				t.Fatalf("host %q (%d)", h, tab.FragmentCount(hdr.TokenHost))
			}
			if d.ExtendedConnect() {
				t.Fatal("extended CONNECT")
			}
		})
	}
}

// RFC 8441: once the server has sent SETTINGS_ENABLE_CONNECT_PROTOCOL, a
// CONNECT with :protocol reads as the GET of its :path; it needs :scheme,
// :path and :authority.
func TestHeaderDecoderExtendedConnect(t *testing.T) {
	d := NewHeaderDecoder(4096, 16384)
	d.SetExtendedConnect(true)
	tab := hdr.NewTable(0)
	ws := []string{":method", "CONNECT", ":protocol", "websocket", ":scheme", "https", ":path", "/chat?room=1", ":authority", "a.example", "sec-websocket-version", "13"}
	if err := d.Decode(block(ws...), tab); err != nil {
		t.Fatal(err)
	}
	room, _ := tab.URLArg("room")
	if !d.ExtendedConnect() || d.Protocol() != "websocket" || d.Scheme() != "https" || tab.Method() != hdr.TokenGetURI ||
		string(tab.Fragment(hdr.TokenGetURI, 0)) != "/chat" || string(room) != "1" ||
		string(tab.Copy(nil, hdr.TokenHost)) != "a.example" || string(tab.Copy(nil, hdr.TokenWSVersion)) != "13" {
		t.Fatalf("ext %v protocol %q scheme %q method %v target %q host %q", d.ExtendedConnect(), d.Protocol(), d.Scheme(),
			tab.Method(), tab.Fragment(tab.Method(), 0), tab.Copy(nil, hdr.TokenHost))
	}
	for _, drop := range []string{":scheme", ":path", ":authority"} {
		var f []string
		for i := 0; i < len(ws); i += 2 {
			if ws[i] != drop {
				f = append(f, ws[i], ws[i+1])
			}
		}
		checkKind(t, d.Decode(block(f...), tab), kindStream)
	}
	// a plain request after it is no extended CONNECT
	if err := d.Decode(block(get("/")...), tab); err != nil || d.ExtendedConnect() || d.Protocol() != "" {
		t.Fatalf("%v %v %q", err, d.ExtendedConnect(), d.Protocol())
	}
}

func TestHeaderDecoderTrailers(t *testing.T) {
	d := NewHeaderDecoder(4096, 16384)
	tab := hdr.NewTable(0)
	if err := d.DecodeTrailers(block("x-checksum", "abc", "grpc-status", "0"), tab); err != nil {
		t.Fatal(err)
	}
	if v, _ := tab.Custom("x-checksum"); string(v) != "abc" {
		t.Fatalf("%q", v)
	}
	checkKind(t, d.DecodeTrailers(block("x-a", "1", ":path", "/"), tab), kindStream)
	checkKind(t, d.DecodeTrailers(block(":method", "GET"), tab), kindStream)
	checkKind(t, d.DecodeTrailers(block("connection", "close"), tab), kindStream)
}

// Blocks HPACK cannot decode are connection errors of type
// COMPRESSION_ERROR.
func TestHeaderDecoderCompressionErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    string
	}{
		{"index 0", "80"},
		{"index beyond the tables", "ff00"},
		{"truncated literal", "400a637573"},
		{"truncated integer", "82ff"},
		{"size update above the setting", "3fe21f"},         // 4097
		{"size update after a field", "82 4001 6101 62 20"}, // after a literal that entered the table
		{"bad huffman padding", "82 0085ffffffffff"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := NewHeaderDecoder(4096, 16384)
			checkKind(t, d.Decode(unhex(t, tc.b), hdr.NewTable(0)), kindConn)
			d = NewHeaderDecoder(4096, 16384)
			checkKind(t, d.Discard(unhex(t, tc.b)), kindConn)
		})
	}
	// a size update to a smaller table, at the start, is fine
	d := NewHeaderDecoder(4096, 16384)
	if err := d.Decode(append(unhex(t, "3f e1 0f"), block(get("/")...)...), hdr.NewTable(0)); err != nil { // 4096
		t.Fatal(err)
	}
	d.SetMaxTableSize(100)
	checkKind(t, d.Decode(append(unhex(t, "3f e1 0f"), block(get("/")...)...), hdr.NewTable(0)), kindConn)
}

// The block of a refused stream is decoded all the same: what it adds to
// the dynamic table is there for the next block.
func TestHeaderDecoderDiscard(t *testing.T) {
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	write := func(fields ...string) []byte {
		buf.Reset()
		for i := 0; i < len(fields); i += 2 {
			_ = enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
		}
		return append([]byte(nil), buf.Bytes()...)
	}
	d := NewHeaderDecoder(4096, 16384)
	tab := hdr.NewTable(0)
	if err := d.Discard(write(get("/refused", "x-session", "s1")...)); err != nil {
		t.Fatal(err)
	}
	// the second block refers to the entries the first one added
	b := write(get("/refused", "x-session", "s1")...)
	if len(b) > 8 {
		t.Fatalf("second block of %d bytes does not refer to the table", len(b))
	}
	if err := d.Decode(b, tab); err != nil {
		t.Fatal(err)
	}
	if v, _ := tab.Custom("x-session"); string(v) != "s1" || string(tab.Fragment(hdr.TokenGetURI, 0)) != "/refused" {
		t.Fatalf("%q %q", v, tab.Fragment(hdr.TokenGetURI, 0))
	}
}

// The header list size counts name, value and 32 bytes a field; beyond
// it the request is refused (431), the block still decoded to its end.
func TestHeaderDecoderListSize(t *testing.T) {
	fields := get("/", "x-a", strings.Repeat("a", 100))
	size := 0
	for i := 0; i < len(fields); i += 2 {
		size += len(fields[i]) + len(fields[i+1]) + 32
	}
	tab := hdr.NewTable(0)
	if err := NewHeaderDecoder(4096, uint32(size)).Decode(block(fields...), tab); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	d := NewHeaderDecoder(4096, uint32(size-1))
	he := checkKind(t, d.Decode(block(fields...), tab), kindStream)
	if he.Status != 431 {
		t.Fatalf("status %d", he.Status)
	}
	if err := d.Decode(block(get("/")...), tab); err != nil {
		t.Fatal(err)
	}
	// a string longer than the list size is refused by HPACK itself
	d = NewHeaderDecoder(4096, 64)
	checkKind(t, d.Decode(block("x", strings.Repeat("b", 65)), tab), kindConn)
	// a table too small for the request is a 431 too
	small := hdr.NewTable(64)
	he = checkKind(t, NewHeaderDecoder(4096, 16384).Decode(block(get("/", "x-a", strings.Repeat("a", 100))...), small), kindStream)
	if he.Status != 431 {
		t.Fatalf("status %d", he.Status)
	}
}

// A decompression bomb, one large entry in the dynamic table referred to
// thousands of times, is refused once the list size is passed, without
// memory growing with the references.
func TestHeaderDecoderBomb(t *testing.T) {
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	for _, f := range [][2]string{{":method", "GET"}, {":scheme", "https"}, {":path", "/"}, {"x-bomb", strings.Repeat("b", 4000)}} {
		_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	b := append([]byte(nil), buf.Bytes()...)
	// 0xbe refers to the newest dynamic entry: the bomb
	for range 100000 {
		b = append(b, 0xbe)
	}
	d := NewHeaderDecoder(4096, 16384)
	tab := hdr.NewTable(hdr.MaxDataLimit) // the list size, not the table, must stop it
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := d.Decode(b, tab)
	runtime.ReadMemStats(&after)
	if he := checkKind(t, err, kindStream); he != errListTooLarge {
		t.Fatalf("%v, want the header list size refusal", he)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<10 {
		t.Fatalf("decoding the bomb allocated %d bytes", grew)
	}
}

// A decoder given no header list size takes DefaultMaxHeaderListSize.
func TestHeaderDecoderDefaultListSize(t *testing.T) {
	d := NewHeaderDecoder(4096, 0)
	tab := hdr.NewTable(hdr.MaxDataLimit)
	v := strings.Repeat("v", 15000)
	if err := d.Decode(block(get("/", "x-a", v, "x-b", v, "x-c", v, "x-d", v)...), tab); err != nil {
		t.Fatal(err)
	}
	err := d.Decode(block(get("/", "x-a", v, "x-b", v, "x-c", v, "x-d", v, "x-e", v)...), tab)
	if he := checkKind(t, err, kindStream); he != errListTooLarge {
		t.Fatalf("%v, want the header list size refusal", he)
	}
}

// A request whose fields the dynamic table already holds, as a browser's
// next requests on a connection are, decodes without allocating.
func TestHeaderDecoderAllocatesNothing(t *testing.T) {
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	fields := get("/index.html?a=1", "user-agent", "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
		"accept", "text/html,application/xhtml+xml,*/*;q=0.8", "cookie", "sid=0123456789abcdef0123456789", "cookie", "x=1",
		"x-requested-with", "XMLHttpRequest with a long value")
	d := NewHeaderDecoder(4096, 65536)
	tab := hdr.NewTable(0)
	var b []byte
	for range 2 {
		buf.Reset()
		for i := 0; i < len(fields); i += 2 {
			_ = enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
		}
		b = append(b[:0], buf.Bytes()...)
		if err := d.Decode(b, tab); err != nil {
			t.Fatal(err)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = d.Decode(b, tab) }); n != 0 {
		t.Fatalf("%v allocations per request", n)
	}
	if ua := tab.Copy(nil, hdr.TokenUserAgent); string(ua) != fields[9] {
		t.Fatalf("user-agent %q", ua)
	}
}

// A request refused once its block has ended (a pseudo-header missing,
// known only at the end) leaves the decoder ready for the next block.
func TestHeaderDecoderRefusedAtEnd(t *testing.T) {
	d := NewHeaderDecoder(4096, 16384)
	tab := hdr.NewTable(0)
	checkKind(t, d.Decode(block(":method", "GET", ":path", "/"), tab), kindStream)
	if err := d.Decode(block(get("/next")...), tab); err != nil {
		t.Fatal(err)
	}
	checkKind(t, d.Decode([]byte{0x30}, tab), kindStream) // a table size update alone
	if err := d.Decode([]byte{0x82, 0x86, 0x84}, tab); err != nil {
		t.Fatal(err)
	}
}
