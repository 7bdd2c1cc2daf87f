package hdr

import "github.com/golws/lws/internal/ascii"

// DefaultMaxData is the size of a Table's data area when NewTable is given
// 0: lws's default max_http_header_data.
const DefaultMaxData = 4096

// MaxDataLimit is the largest data area a Table can have; NewTable clamps
// larger sizes to it. (lws caps max_http_header_data at 32768.)
const MaxDataLimit = 65535

// The data area holds records, one after another in arrival order:
//
//	fragment of a token:  next(2) len(2) value
//	custom header:        next(2) nameLen(2) valueLen(2) name value
//
// Lengths and offsets are 16-bit little-endian; next is the offset of the
// following record of the same token (or of the next custom header) and
// is meaningful only while the token's count says there is one.
const (
	fragHdr   = FragmentOverhead
	customHdr = CustomOverhead
	noRec     = 0xffff
)

// FragmentOverhead and CustomOverhead are the bytes of index a fragment
// and a custom header take in the data area beside their own bytes: the
// budget of MaxData counts them.
const (
	FragmentOverhead = 4
	CustomOverhead   = 6
)

// Table is one request's head (lws's allocated header, "ah"): a fixed
// data area of MaxData bytes plus an index of what is stored in it. It is
// filled by a wire parser, or through its builder methods, and reused
// with Reset. A Table is not safe for concurrent use.
type Table struct {
	data []byte
	pos  int // bytes of data in use

	first [TokenCount]uint16 // offset of each token's first fragment
	last  [TokenCount]uint16 // and of its last one
	count [TokenCount]uint16 // fragments of each token

	customFirst uint16 // first custom header record
	customLast  uint16
	customCount uint16

	method  Token // token of the request target; TokenCount before it is known
	version uint8 // 10 or 11 once the request line is complete, else 0

	// the record being filled by StartValue or StartCustom
	open       int  // its offset
	openCustom bool // it is a custom header record
	valStart   int  // where its value starts
}

// NewTable allocates a Table whose data area is maxData bytes: 0 (or less)
// selects DefaultMaxData, and sizes above MaxDataLimit are clamped to it.
// The area is allocated here, once.
func NewTable(maxData int) *Table {
	if maxData <= 0 {
		maxData = DefaultMaxData
	}
	if maxData > MaxDataLimit {
		maxData = MaxDataLimit
	}
	t := &Table{data: make([]byte, maxData)}
	t.Reset()
	return t
}

// Reset empties the table for another request. Slices returned by its
// getters are invalid afterwards.
func (t *Table) Reset() {
	t.pos = 0
	clear(t.count[:])
	t.customCount = 0
	t.method = TokenCount
	t.version = 0
}

// MaxData returns the size of the table's data area.
func (t *Table) MaxData() int { return len(t.data) }

// Used returns how many bytes of the data area are in use, index records
// included.
func (t *Table) Used() int { return t.pos }

// Method returns the token that holds the request target: TokenGetURI for
// a GET, and so on. It is meaningful once the request is complete; before
// the method is known it is TokenCount.
func (t *Table) Method() Token { return t.method }

// Version returns the request's HTTP version as 10 (HTTP/1.0) or 11
// (HTTP/1.1, or a later HTTP/1.x, which is answered as 1.1), or 0 before
// it is known; it is what SetVersion set.
func (t *Table) Version() int { return int(t.version) }

// Has reports whether the request carried tok, even with an empty value
// (lws_hdr_extant).
func (t *Table) Has(tok Token) bool {
	return tok < TokenCount && t.count[tok] > 0
}

// FragmentCount returns how many fragments tok has: one per appearance of
// a header, one per URI argument for TokenURIArgs.
func (t *Table) FragmentCount(tok Token) int {
	if tok >= TokenCount {
		return 0
	}
	return int(t.count[tok])
}

// Fragment returns fragment i of tok, or nil if there is none. The slice
// aliases the table and is valid until Reset; its capacity ends with it,
// so appending to it copies.
func (t *Table) Fragment(tok Token, i int) []byte {
	if tok >= TokenCount || i < 0 || i >= int(t.count[tok]) {
		return nil
	}
	off := int(t.first[tok])
	for ; i > 0; i-- {
		off = int(t.get16(off))
	}
	return t.fragValue(off)
}

// fragValue returns the value of the fragment record at off.
func (t *Table) fragValue(off int) []byte {
	start := off + fragHdr
	end := start + int(t.get16(off+2))
	return t.data[start:end:end]
}

// separator returns the byte lws_hdr_copy puts between the fragments of
// tok.
func separator(tok Token) byte {
	switch tok {
	case TokenCookie:
		return ';'
	case TokenURIArgs:
		return '&'
	}
	return ','
}

// TotalLength returns the length of tok's value with its fragments
// joined, as Copy joins them (lws_hdr_total_length); 0 if tok is absent.
func (t *Table) TotalLength(tok Token) int {
	if tok >= TokenCount || t.count[tok] == 0 {
		return 0
	}
	n := int(t.count[tok]) - 1 // separators
	off := int(t.first[tok])
	for i := range int(t.count[tok]) {
		if i > 0 {
			off = int(t.get16(off))
		}
		n += int(t.get16(off + 2))
	}
	return n
}

// Copy appends tok's value to dst and returns the extended slice
// (lws_hdr_copy). Fragments are joined with ',' (';' for TokenCookie and
// '&' for TokenURIArgs, as lws joins them).
func (t *Table) Copy(dst []byte, tok Token) []byte {
	if tok >= TokenCount || t.count[tok] == 0 {
		return dst
	}
	sep := separator(tok)
	off := int(t.first[tok])
	for i := range int(t.count[tok]) {
		if i > 0 {
			off = int(t.get16(off))
			dst = append(dst, sep)
		}
		dst = append(dst, t.fragValue(off)...)
	}
	return dst
}

// Custom returns the value of the first header named name that has no
// token, comparing names without regard to case (lws_hdr_custom_copy).
// The slice aliases the table and is valid until Reset.
func (t *Table) Custom(name string) ([]byte, bool) {
	off := int(t.customFirst)
	for i := range int(t.customCount) {
		if i > 0 {
			off = int(t.get16(off))
		}
		n, v := t.customAt(off)
		if ascii.EqualFold(n, name) {
			return v, true
		}
	}
	return nil, false
}

// VisitCustom calls fn with each header that has no token, in arrival
// order, until fn returns false. Names are in lowercase. The slices alias
// the table and are valid until Reset.
func (t *Table) VisitCustom(fn func(name, value []byte) bool) {
	off := int(t.customFirst)
	for i := range int(t.customCount) {
		if i > 0 {
			off = int(t.get16(off))
		}
		if !fn(t.customAt(off)) {
			return
		}
	}
}

// customAt returns the name and value of the custom header record at off.
func (t *Table) customAt(off int) (name, value []byte) {
	ns := off + customHdr
	ne := ns + int(t.get16(off+2))
	ve := ne + int(t.get16(off+4))
	return t.data[ns:ne:ne], t.data[ne:ve:ve]
}

// URLArg returns the value of the URI argument name: the part after '=' of
// the first "name=value" argument, or an empty value for an argument
// "name" alone (lws_get_urlarg_by_name). Names are compared exactly. The
// slice aliases the table and is valid until Reset.
func (t *Table) URLArg(name string) ([]byte, bool) {
	off := int(t.first[TokenURIArgs])
	for i := range int(t.count[TokenURIArgs]) {
		if i > 0 {
			off = int(t.get16(off))
		}
		v := t.fragValue(off)
		if len(v) < len(name) || string(v[:len(name)]) != name {
			continue
		}
		if len(v) == len(name) {
			return v[len(v):], true
		}
		if v[len(name)] == '=' {
			return v[len(name)+1:], true
		}
	}
	return nil, false
}

func (t *Table) get16(off int) uint16 {
	return uint16(t.data[off]) | uint16(t.data[off+1])<<8
}

func (t *Table) put16(off int, v int) {
	t.data[off] = byte(v)
	t.data[off+1] = byte(v >> 8)
}

// room reports whether n more bytes fit in the data area.
func (t *Table) room(n int) bool { return t.pos+n <= len(t.data) }

// put appends one byte, reporting false when the area is full.
func (t *Table) put(c byte) bool {
	if t.pos >= len(t.data) {
		return false
	}
	t.data[t.pos] = c
	t.pos++
	return true
}

// newFrag starts a fragment record for tok at the end of the data and
// returns its offset, or -1 when there is no room for it.
func (t *Table) newFrag(tok Token) int {
	if !t.room(fragHdr) {
		return -1
	}
	off := t.pos
	t.put16(off, noRec)
	t.put16(off+2, 0)
	if t.count[tok] == 0 {
		t.first[tok] = uint16(off)
	} else {
		t.put16(int(t.last[tok]), off)
	}
	t.last[tok] = uint16(off)
	t.count[tok]++
	t.pos += fragHdr
	return off
}

// closeFrag records the length of the fragment at off, which runs to the
// end of the data.
func (t *Table) closeFrag(off int) {
	t.put16(off+2, t.pos-off-fragHdr)
}

// newCustom starts a custom header record whose name is prefix followed by
// the bytes put after it; it returns the record's offset, or -1 when
// there is no room.
func (t *Table) newCustom(prefix string) int {
	if !t.room(customHdr + len(prefix)) {
		return -1
	}
	off := t.pos
	t.put16(off, noRec)
	t.put16(off+2, 0)
	t.put16(off+4, 0)
	t.pos += customHdr
	t.pos += copy(t.data[t.pos:], prefix)
	return off
}

// linkCustom ends the name of the custom record at off (the name runs to
// the end of the data) and appends the record to the custom list.
func (t *Table) linkCustom(off int) {
	t.put16(off+2, t.pos-off-customHdr)
	if t.customCount == 0 {
		t.customFirst = uint16(off)
	} else {
		t.put16(int(t.customLast), off)
	}
	t.customLast = uint16(off)
	t.customCount++
}

// closeCustom records the length of the value of the custom record at
// off, which runs to the end of the data.
func (t *Table) closeCustom(off int) {
	nameEnd := off + customHdr + int(t.get16(off+2))
	t.put16(off+4, t.pos-nameEnd)
}

// Room returns how many more bytes fit in the data area.
func (t *Table) Room() int { return len(t.data) - t.pos }

// The incremental interface, for a wire parser that stores a request as
// its bytes arrive, in pieces of any size: StartValue (or StartCustom,
// the name's bytes, EndName), then the value's bytes by AppendByte and
// Append, then EndValue. A false result means the data area is full: the
// request is refused with ErrTooLarge (or ErrTargetTooLong for the
// target) and the table must be Reset before it is used again.

// StartValue begins a fragment of tok; its bytes follow. It reports
// false when the record does not fit.
func (t *Table) StartValue(tok Token) bool {
	if tok >= TokenCount {
		return false
	}
	off := t.newFrag(tok)
	if off < 0 {
		return false
	}
	t.open, t.openCustom, t.valStart = off, false, t.pos
	return true
}

// StartCustom begins a header golws has no token for, its name starting
// with prefix; the rest of the name follows, in lowercase, then EndName.
// It reports false when the record does not fit.
func (t *Table) StartCustom(prefix string) bool {
	off := t.newCustom(prefix)
	if off < 0 {
		return false
	}
	t.open, t.openCustom = off, true
	return true
}

// EndName ends the name of the header StartCustom began; its value
// follows.
func (t *Table) EndName() {
	t.linkCustom(t.open)
	t.valStart = t.pos
}

// AppendByte stores one byte of the record being filled, reporting false
// when the area is full.
func (t *Table) AppendByte(c byte) bool { return t.put(c) }

// Append stores as much of b as fits and returns how much that was.
func (t *Table) Append(b []byte) int {
	n := copy(t.data[t.pos:], b)
	t.pos += n
	return n
}

// EndValue ends the value of the record being filled, without the spaces
// and tabs it ends with.
func (t *Table) EndValue() {
	for t.pos > t.valStart && (t.data[t.pos-1] == ' ' || t.data[t.pos-1] == '\t') {
		t.pos--
	}
	if t.openCustom {
		t.closeCustom(t.open)
	} else {
		t.closeFrag(t.open)
	}
}

// SetVersion records the request's HTTP version (see Version).
func (t *Table) SetVersion(v int) { t.version = uint8(v) }

// The builder, for a decoder that has a request's fields whole (an HPACK
// decoder's): SetMethod, then SetPath, then the headers in any order. The
// limits are those of the incremental interface, and so are the
// refusals, as the HTTP/1 parser makes them. On an error the table must
// be Reset before it is used again.

// SetMethod records the request's method (case-sensitive: "GET"), under
// whose token SetPath stores the target; ErrMethod for a method with no
// token.
func (t *Table) SetMethod(name []byte) error {
	tok, ok := MethodToken(name)
	if !ok {
		return ErrMethod
	}
	t.method = tok
	return nil
}

// SetPath decodes and stores the request target as the HTTP/1 parser
// does (see Target): after SetMethod, once.
func (t *Table) SetPath(target []byte) error {
	var d Target
	if err := d.Reset(t); err != nil {
		return err
	}
	for _, c := range target {
		if err := d.Byte(c); err != nil {
			return err
		}
	}
	return d.End()
}

// AddHeader stores a header under its token, its value without the
// spaces and tabs around it: ErrValue for a value with a control byte
// other than HTAB, ErrName for a method token or TokenURIArgs (SetMethod
// and SetPath store those), ErrTooLarge when it does not fit.
func (t *Table) AddHeader(tok Token, value []byte) error {
	if tok >= TokenCount || isMethod(tok) || tok == TokenURIArgs {
		return ErrName
	}
	value, err := t.checkValue(fragHdr, value)
	if err != nil {
		return err
	}
	off := t.newFrag(tok)
	t.pos += copy(t.data[t.pos:], value)
	t.closeFrag(off)
	return nil
}

// AddHeaderByName stores a header by its name, as AddHeader under the
// name's token if it has one (case-insensitive: TokenForHeader), else as
// a custom header with its name in lowercase. ErrEmptyName and ErrName
// refuse names that are not RFC 9110 tokens.
func (t *Table) AddHeaderByName(name, value []byte) error {
	if len(name) == 0 {
		return ErrEmptyName
	}
	if !ascii.IsToken(name) {
		return ErrName
	}
	if tok, ok := TokenForHeader(name); ok {
		return t.AddHeader(tok, value)
	}
	value, err := t.checkValue(customHdr+len(name), value)
	if err != nil {
		return err
	}
	off := t.newCustom("")
	for _, c := range name {
		t.put(ascii.Lower(c))
	}
	t.linkCustom(off)
	t.pos += copy(t.data[t.pos:], value)
	t.closeCustom(off)
	return nil
}

// checkValue refuses a header value as the HTTP/1 parser does, whose
// record takes overhead bytes before the value: the first byte that is a
// control other than HTAB (ErrValue, RFC 9110 section 5.5) or that does
// not fit (ErrTooLarge) decides, trailing spaces and tabs counted, as
// they are stored before they are trimmed. It returns the value without
// the spaces and tabs around it.
func (t *Table) checkValue(overhead int, v []byte) ([]byte, error) {
	for len(v) > 0 && (v[0] == ' ' || v[0] == '\t') {
		v = v[1:]
	}
	avail := t.Room() - overhead
	if avail < 0 {
		return nil, ErrTooLarge
	}
	for i, c := range v {
		if !PlainValueByte(c) {
			return nil, ErrValue
		}
		if i >= avail {
			return nil, ErrTooLarge
		}
	}
	return ascii.TrimOWS(v), nil
}

// PlainValueByte reports whether c may appear in a header value: any byte
// but the controls, HTAB excepted.
func PlainValueByte(c byte) bool {
	return c >= 0x20 && c != 0x7f || c == '\t'
}
