package conformance

// permessage-deflate (RFC 7692) as the fuzzing peer does it, for groups 12
// and 13: the negotiation (the client's offers, the server's answer, each
// checked against the RFC) and the peer's own compression, built on the
// standard library's compress/flate alone so that it shares nothing with
// the implementation under test.

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// pmdName is the extension token of RFC 7692.
const pmdName = "permessage-deflate"

// deflateOffer is one permessage-deflate offer of a client (RFC 7692
// section 7.1).
type deflateOffer struct {
	clientNoContextTakeover bool // client_no_context_takeover
	clientMaxWindow         bool // client_max_window_bits is present
	clientMaxWindowBits     int  // its value, 0 when it has none
	serverNoContextTakeover bool // server_no_context_takeover
	serverMaxWindowBits     int  // server_max_window_bits, 0 when absent
}

// String is the offer as a Sec-WebSocket-Extensions element.
func (o deflateOffer) String() string {
	s := pmdName
	if o.clientNoContextTakeover {
		s += "; client_no_context_takeover"
	}
	if o.clientMaxWindow {
		s += "; client_max_window_bits"
		if o.clientMaxWindowBits > 0 {
			s += "=" + strconv.Itoa(o.clientMaxWindowBits)
		}
	}
	if o.serverNoContextTakeover {
		s += "; server_no_context_takeover"
	}
	if o.serverMaxWindowBits > 0 {
		s += "; server_max_window_bits=" + strconv.Itoa(o.serverMaxWindowBits)
	}
	return s
}

// deflateParams are the parameters of an agreed permessage-deflate: the
// server's answer (RFC 7692 section 7.1). A window size of 0 is the
// parameter's absence, which means 15.
type deflateParams struct {
	serverNoContextTakeover bool
	clientNoContextTakeover bool
	serverMaxWindowBits     int
	clientMaxWindowBits     int
}

// String is the answer as a Sec-WebSocket-Extensions element.
func (a deflateParams) String() string {
	s := pmdName
	if a.serverNoContextTakeover {
		s += "; server_no_context_takeover"
	}
	if a.clientNoContextTakeover {
		s += "; client_no_context_takeover"
	}
	if a.serverMaxWindowBits > 0 {
		s += "; server_max_window_bits=" + strconv.Itoa(a.serverMaxWindowBits)
	}
	if a.clientMaxWindowBits > 0 {
		s += "; client_max_window_bits=" + strconv.Itoa(a.clientMaxWindowBits)
	}
	return s
}

// extParam is one parameter of a Sec-WebSocket-Extensions element.
type extParam struct {
	name, value string
	hasValue    bool
}

// extElement is one element of a Sec-WebSocket-Extensions list.
type extElement struct {
	name   string
	params []extParam
}

// isTokenChar reports whether c may appear in an HTTP token (RFC 7230
// section 3.2.6).
func isTokenChar(c byte) bool {
	if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// extScanner reads a Sec-WebSocket-Extensions value (RFC 6455 section
// 9.1).
type extScanner struct {
	s string
	i int
}

func (x *extScanner) space() {
	for x.i < len(x.s) && (x.s[x.i] == ' ' || x.s[x.i] == '\t') {
		x.i++
	}
}

func (x *extScanner) token() string {
	start := x.i
	for x.i < len(x.s) && isTokenChar(x.s[x.i]) {
		x.i++
	}
	return x.s[start:x.i]
}

// value reads a parameter value: a token, or a quoted string whose
// content must itself be a token (RFC 6455 section 9.1).
func (x *extScanner) value() (string, error) {
	if x.i < len(x.s) && x.s[x.i] == '"' {
		x.i++
		var b strings.Builder
		for x.i < len(x.s) && x.s[x.i] != '"' {
			c := x.s[x.i]
			if c == '\\' && x.i+1 < len(x.s) {
				x.i++
				c = x.s[x.i]
			}
			b.WriteByte(c)
			x.i++
		}
		if x.i == len(x.s) {
			return "", errors.New("unterminated quoted string")
		}
		x.i++
		v := b.String()
		for j := 0; j < len(v); j++ {
			if !isTokenChar(v[j]) {
				return "", fmt.Errorf("quoted value %q is not a token", v)
			}
		}
		if v == "" {
			return "", errors.New("empty quoted value")
		}
		return v, nil
	}
	v := x.token()
	if v == "" {
		return "", fmt.Errorf("missing value at %q", x.s[x.i:])
	}
	return v, nil
}

// parseExtensionList parses the values of Sec-WebSocket-Extensions
// headers, failing on anything RFC 6455's grammar does not allow.
func parseExtensionList(values []string) ([]extElement, error) {
	var out []extElement
	for _, v := range values {
		x := &extScanner{s: v}
		for {
			x.space()
			if x.i == len(x.s) {
				break
			}
			if x.s[x.i] == ',' { // empty list elements are allowed
				x.i++
				continue
			}
			e := extElement{name: x.token()}
			if e.name == "" {
				return nil, fmt.Errorf("extension list %q: expected an extension token at %q", v, x.s[x.i:])
			}
			for {
				x.space()
				if x.i == len(x.s) || x.s[x.i] == ',' {
					break
				}
				if x.s[x.i] != ';' {
					return nil, fmt.Errorf("extension list %q: unexpected %q", v, x.s[x.i:])
				}
				x.i++
				x.space()
				p := extParam{name: x.token()}
				if p.name == "" {
					return nil, fmt.Errorf("extension list %q: expected a parameter at %q", v, x.s[x.i:])
				}
				x.space()
				if x.i < len(x.s) && x.s[x.i] == '=' {
					x.i++
					x.space()
					val, err := x.value()
					if err != nil {
						return nil, fmt.Errorf("extension list %q: parameter %s: %v", v, p.name, err)
					}
					p.value, p.hasValue = val, true
				}
				e.params = append(e.params, p)
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// windowBits reads a window size parameter's value: 8 to 15 (RFC 7692
// sections 7.1.2.1 and 7.1.2.2).
func windowBits(p extParam) (int, error) {
	n, err := strconv.Atoi(p.value)
	if err != nil || n < 8 || n > 15 || p.value[0] == '0' || p.value[0] == '+' {
		return 0, fmt.Errorf("%s=%q: the value must be a decimal from 8 to 15", p.name, p.value)
	}
	return n, nil
}

// parseDeflateOffer reads the parameters of a client's permessage-deflate
// offer. An error is what makes RFC 7692 section 7.1 decline the offer.
func parseDeflateOffer(e extElement) (deflateOffer, error) {
	var o deflateOffer
	seen := map[string]bool{}
	for _, p := range e.params {
		if seen[p.name] {
			return o, fmt.Errorf("parameter %s appears twice", p.name)
		}
		seen[p.name] = true
		var err error
		switch p.name {
		case "client_no_context_takeover", "server_no_context_takeover":
			if p.hasValue {
				return o, fmt.Errorf("parameter %s takes no value (got %q)", p.name, p.value)
			}
			if p.name == "client_no_context_takeover" {
				o.clientNoContextTakeover = true
			} else {
				o.serverNoContextTakeover = true
			}
		case "client_max_window_bits":
			o.clientMaxWindow = true
			if p.hasValue {
				o.clientMaxWindowBits, err = windowBits(p)
			}
		case "server_max_window_bits":
			if !p.hasValue {
				return o, errors.New("parameter server_max_window_bits needs a value")
			}
			o.serverMaxWindowBits, err = windowBits(p)
		default:
			return o, fmt.Errorf("unknown parameter %s", p.name)
		}
		if err != nil {
			return o, err
		}
	}
	return o, nil
}

// parseDeflateAnswer reads the parameters of a server's permessage-deflate
// answer, failing on what RFC 7692 section 7.1 makes a client fail the
// connection for.
func parseDeflateAnswer(e extElement) (deflateParams, error) {
	var a deflateParams
	seen := map[string]bool{}
	for _, p := range e.params {
		if seen[p.name] {
			return a, fmt.Errorf("parameter %s appears twice", p.name)
		}
		seen[p.name] = true
		var err error
		switch p.name {
		case "client_no_context_takeover", "server_no_context_takeover":
			if p.hasValue {
				return a, fmt.Errorf("parameter %s takes no value (got %q)", p.name, p.value)
			}
			if p.name == "client_no_context_takeover" {
				a.clientNoContextTakeover = true
			} else {
				a.serverNoContextTakeover = true
			}
		case "client_max_window_bits", "server_max_window_bits":
			if !p.hasValue {
				return a, fmt.Errorf("parameter %s needs a value in an answer", p.name)
			}
			n, werr := windowBits(p)
			err = werr
			if p.name == "client_max_window_bits" {
				a.clientMaxWindowBits = n
			} else {
				a.serverMaxWindowBits = n
			}
		default:
			return a, fmt.Errorf("unknown parameter %s", p.name)
		}
		if err != nil {
			return a, err
		}
	}
	return a, nil
}

// answers reports whether a is a valid answer to offer o (RFC 7692
// sections 7.1.1 and 7.1.2), and why not.
func (a deflateParams) answers(o deflateOffer) error {
	switch {
	case o.serverNoContextTakeover && !a.serverNoContextTakeover:
		return errors.New("server_no_context_takeover was offered but is not in the answer")
	case o.serverMaxWindowBits > 0 && a.serverMaxWindowBits == 0:
		return fmt.Errorf("server_max_window_bits=%d was offered but is not in the answer", o.serverMaxWindowBits)
	case o.serverMaxWindowBits > 0 && a.serverMaxWindowBits > o.serverMaxWindowBits:
		return fmt.Errorf("server_max_window_bits=%d answers an offer of %d", a.serverMaxWindowBits, o.serverMaxWindowBits)
	case a.clientMaxWindowBits > 0 && !o.clientMaxWindow:
		return errors.New("client_max_window_bits is in the answer but was not offered")
	case a.clientMaxWindowBits > 0 && o.clientMaxWindowBits > 0 && a.clientMaxWindowBits > o.clientMaxWindowBits:
		return fmt.Errorf("client_max_window_bits=%d answers an offer of %d", a.clientMaxWindowBits, o.clientMaxWindowBits)
	}
	return nil
}

// checkDeflateAnswer checks a server's Sec-WebSocket-Extensions against
// the client's offers. It returns the agreed parameters, nil when the
// server declined, or what is wrong with the answer.
func checkDeflateAnswer(values []string, offers []deflateOffer) (*deflateParams, error) {
	elems, err := parseExtensionList(values)
	if err != nil {
		return nil, err
	}
	if len(elems) == 0 {
		return nil, nil
	}
	if len(offers) == 0 {
		return nil, fmt.Errorf("the server accepted extensions %q the client did not offer", strings.Join(values, ", "))
	}
	if len(elems) > 1 {
		return nil, fmt.Errorf("the answer %q has %d extensions, but only %s was offered", strings.Join(values, ", "), len(elems), pmdName)
	}
	if elems[0].name != pmdName {
		return nil, fmt.Errorf("the answer accepts %q, which was not offered", elems[0].name)
	}
	a, err := parseDeflateAnswer(elems[0])
	if err != nil {
		return nil, fmt.Errorf("the answer %q: %v", strings.Join(values, ", "), err)
	}
	var why []string
	for _, o := range offers {
		if err := a.answers(o); err == nil {
			return &a, nil
		} else {
			why = append(why, err.Error())
		}
	}
	return nil, fmt.Errorf("the answer %q answers no offer: %s", strings.Join(values, ", "), strings.Join(why, "; "))
}

// clientOffers reads a client's permessage-deflate offers from the
// request's Sec-WebSocket-Extensions, in order. Other extensions are left
// out; a malformed offer is an error.
func clientOffers(values []string) ([]deflateOffer, error) {
	elems, err := parseExtensionList(values)
	if err != nil {
		return nil, err
	}
	var offers []deflateOffer
	for _, e := range elems {
		if e.name != pmdName {
			continue
		}
		o, err := parseDeflateOffer(e)
		if err != nil {
			return nil, fmt.Errorf("the offer %q: %v", strings.Join(values, ", "), err)
		}
		offers = append(offers, o)
	}
	return offers, nil
}

// deflateCase is what a compression case negotiates.
type deflateCase struct {
	// offers are the fuzzing client's offers, in order.
	offers []deflateOffer
	// accept chooses the fuzzing server's answer to a client's offers;
	// false declines them all.
	accept func(offers []deflateOffer) (deflateParams, bool)
}

// acceptWith is the answer a server gives to offer o when it asks the
// client for no context takeover (noContext) and for a window of
// windowBits (0 for no request), as Autobahn's server does: it grants
// what the client asked for its server side. Asking the client for a
// window needs client_max_window_bits in the offer.
func acceptWith(o deflateOffer, noContext bool, windowBits int) (deflateParams, bool) {
	if windowBits > 0 && !o.clientMaxWindow {
		return deflateParams{}, false
	}
	if windowBits > 0 && o.clientMaxWindowBits > 0 {
		windowBits = min(windowBits, o.clientMaxWindowBits)
	}
	return deflateParams{
		serverNoContextTakeover: o.serverNoContextTakeover,
		serverMaxWindowBits:     o.serverMaxWindowBits,
		clientNoContextTakeover: noContext,
		clientMaxWindowBits:     windowBits,
	}, true
}

// acceptFirst answers the first offer acceptWith accepts.
func acceptFirst(noContext bool, windowBits int) func([]deflateOffer) (deflateParams, bool) {
	return func(offers []deflateOffer) (deflateParams, bool) {
		for _, o := range offers {
			if a, ok := acceptWith(o, noContext, windowBits); ok {
				return a, true
			}
		}
		return deflateParams{}, false
	}
}

// The end of a sync flush (an empty stored block), which RFC 7692 section
// 7.2.1 removes from every compressed message, and an empty final stored
// block that ends the stream the decompressor reads.
var (
	flushTail = []byte{0x00, 0x00, 0xff, 0xff}
	endTail   = []byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}
)

// deflater compresses the peer's messages (RFC 7692 section 7.2.1).
type deflater struct {
	// noContext: a fresh compressor for every message.
	noContext bool
	// level is flate.HuffmanOnly when the agreed window is below 15 bits:
	// compress/flate cannot keep its back references within a smaller
	// window, and Huffman coding alone makes none.
	level int
	w     *flate.Writer
	buf   bytes.Buffer
}

func newDeflater(noContext bool, windowBits int) *deflater {
	d := &deflater{noContext: noContext, level: flate.DefaultCompression}
	if windowBits > 0 && windowBits < 15 {
		d.level = flate.HuffmanOnly
	}
	return d
}

// deflate returns the compressed form of a message's payload.
func (d *deflater) deflate(p []byte) []byte {
	d.buf.Reset()
	switch {
	case d.w == nil:
		d.w, _ = flate.NewWriter(&d.buf, d.level) // the level is valid
	case d.noContext:
		d.w.Reset(&d.buf)
	}
	_, _ = d.w.Write(p) // writes to a bytes.Buffer do not fail
	_ = d.w.Flush()
	out := d.buf.Bytes()
	if !bytes.HasSuffix(out, flushTail) {
		panic("conformance: compress/flate's sync flush did not end in 00 00 ff ff")
	}
	return bytes.Clone(out[:len(out)-len(flushTail)])
}

// inflater decompresses the messages of the end under test (RFC 7692
// section 7.2.2). With context takeover it carries the last window of
// output from one message to the next as the dictionary of the next, so
// that a back reference further than the agreed window into an earlier
// message is an error; without, a reference into an earlier message is.
type inflater struct {
	noContext bool
	window    int // octets of history the sender may refer to
	hist      []byte
	r         io.ReadCloser
	src       bytes.Reader
	tail      bytes.Reader
}

func newInflater(noContext bool, windowBits int) *inflater {
	if windowBits == 0 {
		windowBits = 15
	}
	return &inflater{noContext: noContext, window: 1 << windowBits}
}

// inflate returns the payload of a compressed message.
func (f *inflater) inflate(data []byte) ([]byte, error) {
	if f.window < 1<<15 {
		longest, err := longestReference(append(data[:len(data):len(data)], flushTail...))
		if err != nil {
			return nil, err
		}
		if longest > f.window {
			return nil, fmt.Errorf("a back reference of %d octets, beyond the agreed window of %d", longest, f.window)
		}
	}
	f.src.Reset(data)
	f.tail.Reset(endTail)
	in := io.MultiReader(&f.src, &f.tail)
	var dict []byte
	if !f.noContext {
		dict = f.hist
	}
	if f.r == nil {
		f.r = flate.NewReaderDict(in, dict)
	} else if err := f.r.(flate.Resetter).Reset(in, dict); err != nil {
		return nil, err
	}
	out, err := io.ReadAll(f.r)
	if err != nil {
		if f.noContext {
			err = fmt.Errorf("%w (no context takeover was agreed: a reference into an earlier message fails so)", err)
		}
		return nil, err
	}

	if !f.noContext {
		f.hist = append(f.hist, out...)
		if n := len(f.hist) - f.window; n > 0 {
			f.hist = append(f.hist[:0], f.hist[n:]...)
		}
	}
	return out, nil
}

// pmdState is permessage-deflate agreed on a connection, from the peer's
// point of view.
type pmdState struct {
	params deflateParams
	out    *deflater
	in     *inflater
}

// newPMD sets up the peer's compression for agreed parameters; server
// says which end the peer is.
func newPMD(a deflateParams, server bool) *pmdState {
	s := &pmdState{params: a}
	if server {
		s.out = newDeflater(a.serverNoContextTakeover, a.serverMaxWindowBits)
		s.in = newInflater(a.clientNoContextTakeover, a.clientMaxWindowBits)
	} else {
		s.out = newDeflater(a.clientNoContextTakeover, a.clientMaxWindowBits)
		s.in = newInflater(a.serverNoContextTakeover, a.serverMaxWindowBits)
	}
	return s
}

// negotiationNote tells what was offered and agreed, for a case's detail.
func negotiationNote(offers []deflateOffer, agreed *deflateParams) string {
	list := make([]string, len(offers))
	for i, o := range offers {
		list[i] = o.String()
	}
	s := "offered [" + strings.Join(list, ", ") + "], "
	if agreed == nil {
		return s + "no permessage-deflate agreed"
	}
	return s + "agreed " + agreed.String()
}

// The tables of RFC 1951 section 3.2.5: the extra bits of the length
// codes 257 to 285 (their lengths do not matter here), and base and extra
// bits of the distance codes 0 to 29.
var (
	lengthExtra = [29]uint{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]int{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	// clOrder is the order of the code length code lengths.
	clOrder = [19]int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

var errShortStream = errors.New("the compressed data ends inside a block")

// bitReader reads a DEFLATE stream's bits, least significant first.
type bitReader struct {
	data  []byte
	pos   int
	bits  uint32
	nbits uint
}

func (b *bitReader) need(n uint) (uint32, error) {
	for b.nbits < n {
		if b.pos == len(b.data) {
			return 0, errShortStream
		}
		b.bits |= uint32(b.data[b.pos]) << b.nbits
		b.pos++
		b.nbits += 8
	}
	v := b.bits & (1<<n - 1)
	b.bits >>= n
	b.nbits -= n
	return v, nil
}

// huffman is a canonical Huffman code: how many codes of each length and
// the symbols in code order.
type huffman struct {
	count  [16]int
	symbol []int
}

func newHuffman(lengths []int) (*huffman, error) {
	h := &huffman{symbol: make([]int, 0, len(lengths))}
	for _, l := range lengths {
		h.count[l]++
	}
	h.count[0] = 0
	left := 1
	for l := 1; l < 16; l++ {
		left = left<<1 - h.count[l]
		if left < 0 {
			return nil, errors.New("an over-subscribed Huffman code")
		}
	}
	for l := 1; l < 16; l++ {
		for s, sl := range lengths {
			if sl == l {
				h.symbol = append(h.symbol, s)
			}
		}
	}
	return h, nil
}

// decode reads one symbol, a bit at a time.
func (h *huffman) decode(b *bitReader) (int, error) {
	code, first, index := 0, 0, 0
	for l := 1; l < 16; l++ {
		bit, err := b.need(1)
		if err != nil {
			return 0, err
		}
		code |= int(bit)
		count := h.count[l]
		if code-first < count {
			return h.symbol[index+code-first], nil
		}
		index += count
		first = (first + count) << 1
		code <<= 1
	}
	return 0, errors.New("an invalid Huffman code")
}

var fixedLit, fixedDist = func() (*huffman, *huffman) {
	var l [288]int
	for i := range l {
		switch {
		case i < 144:
			l[i] = 8
		case i < 256:
			l[i] = 9
		case i < 280:
			l[i] = 7
		default:
			l[i] = 8
		}
	}
	var d [30]int
	for i := range d {
		d[i] = 5
	}
	lit, _ := newHuffman(l[:])
	dist, _ := newHuffman(d[:])
	return lit, dist
}()

// longestReference decodes a DEFLATE stream (RFC 1951) for its back
// references alone, and returns the longest distance it uses. It is how
// the peer checks that the end under test kept to the window agreed for
// its compression: compress/flate's decompressor allows 32 KiB whatever
// was agreed.
func longestReference(data []byte) (int, error) {
	b := &bitReader{data: data}
	longest := 0
	for {
		final, err := b.need(1)
		if err != nil {
			return longest, nil // a stream cut after a sync flush ends here
		}
		kind, err := b.need(2)
		if err != nil {
			return longest, err
		}
		switch kind {
		case 0:
			b.bits, b.nbits = 0, 0
			if b.pos+4 > len(b.data) {
				return longest, errShortStream
			}
			n := int(b.data[b.pos]) | int(b.data[b.pos+1])<<8
			if n != ^(int(b.data[b.pos+2])|int(b.data[b.pos+3])<<8)&0xffff {
				return longest, errors.New("a stored block whose length does not match its complement")
			}
			b.pos += 4 + n
			if b.pos > len(b.data) {
				return longest, errShortStream
			}
		case 1, 2:
			lit, dist := fixedLit, fixedDist
			if kind == 2 {
				if lit, dist, err = readDynamic(b); err != nil {
					return longest, err
				}
			}
			for {
				sym, err := lit.decode(b)
				if err != nil {
					return longest, err
				}
				if sym < 256 {
					continue
				}
				if sym == 256 {
					break
				}
				sym -= 257
				if sym >= 29 {
					return longest, fmt.Errorf("invalid length code %d", sym+257)
				}
				if _, err := b.need(lengthExtra[sym]); err != nil {
					return longest, err
				}
				ds, err := dist.decode(b)
				if err != nil {
					return longest, err
				}
				if ds >= 30 {
					return longest, fmt.Errorf("invalid distance code %d", ds)
				}
				extra, err := b.need(distExtra[ds])
				if err != nil {
					return longest, err
				}
				longest = max(longest, distBase[ds]+int(extra))
			}
		default:
			return longest, errors.New("a block of the reserved type 3")
		}
		if final == 1 {
			return longest, nil
		}
	}
}

// readDynamic reads the code tables of a dynamic Huffman block.
func readDynamic(b *bitReader) (*huffman, *huffman, error) {
	hlit, err := b.need(5)
	if err != nil {
		return nil, nil, err
	}
	hdist, err := b.need(5)
	if err != nil {
		return nil, nil, err
	}
	hclen, err := b.need(4)
	if err != nil {
		return nil, nil, err
	}
	var cl [19]int
	for i := 0; i < int(hclen)+4; i++ {
		v, err := b.need(3)
		if err != nil {
			return nil, nil, err
		}
		cl[clOrder[i]] = int(v)
	}
	clh, err := newHuffman(cl[:])
	if err != nil {
		return nil, nil, err
	}
	n := int(hlit) + 257 + int(hdist) + 1
	lengths := make([]int, 0, n)
	for len(lengths) < n {
		sym, err := clh.decode(b)
		if err != nil {
			return nil, nil, err
		}
		rep, val := 1, sym
		switch sym {
		case 16:
			if len(lengths) == 0 {
				return nil, nil, errors.New("a repeated code length with none before")
			}
			v, err := b.need(2)
			if err != nil {
				return nil, nil, err
			}
			rep, val = 3+int(v), lengths[len(lengths)-1]
		case 17:
			v, err := b.need(3)
			if err != nil {
				return nil, nil, err
			}
			rep, val = 3+int(v), 0
		case 18:
			v, err := b.need(7)
			if err != nil {
				return nil, nil, err
			}
			rep, val = 11+int(v), 0
		}
		if len(lengths)+rep > n {
			return nil, nil, errors.New("code lengths run past their count")
		}
		for ; rep > 0; rep-- {
			lengths = append(lengths, val)
		}
	}
	lit, err := newHuffman(lengths[:hlit+257])
	if err != nil {
		return nil, nil, err
	}
	dist, err := newHuffman(lengths[hlit+257:])
	if err != nil {
		return nil, nil, err
	}
	return lit, dist, nil
}
