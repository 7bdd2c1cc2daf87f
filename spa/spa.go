package spa

import (
	"fmt"
	"mime"
	"strings"
)

// Defaults and fixed limits.
const (
	// DefaultMaxStorage is Config.MaxStorage when left zero: 512 bytes,
	// lws's default max_storage.
	DefaultMaxStorage = 512
	// DefaultMaxNameLen is Config.MaxNameLen when left zero.
	DefaultMaxNameLen = 128
	// DefaultMaxParts is Config.MaxParts when left zero.
	DefaultMaxParts = 64
	// MaxHeaderBytes bounds the header lines of one multipart part,
	// counting each line's CRLF but not the empty line ending them; more
	// is ErrMalformed.
	MaxHeaderBytes = 1024
	// MaxBoundaryLen is the longest multipart boundary accepted (RFC 2046).
	MaxBoundaryLen = 70
)

// FileState says what a FileEvent is about; the names follow lws's
// enum lws_spa_fileupload_states (LWS_UFS_*).
type FileState int

// The states of a FileEvent, in the order a file goes through them:
// FileOpen, FileContent any number of times, FileFinalContent once if the
// file arrived whole, then FileClose.
const (
	// FileOpen (LWS_UFS_OPEN): a part with a filename begins; Name,
	// Filename and ContentType are set, Data is empty.
	FileOpen FileState = iota
	// FileContent (LWS_UFS_CONTENT): Data is the next piece of the file,
	// never empty.
	FileContent
	// FileFinalContent (LWS_UFS_FINAL_CONTENT): the file ended at its
	// part's closing boundary; Data is its last piece, possibly empty.
	FileFinalContent
	// FileClose (LWS_UFS_CLOSE): the file is done with, complete or not;
	// release whatever FileOpen acquired. Data is empty.
	FileClose
)

// String returns the name of the state, such as "FileOpen".
func (s FileState) String() string {
	switch s {
	case FileOpen:
		return "FileOpen"
	case FileContent:
		return "FileContent"
	case FileFinalContent:
		return "FileFinalContent"
	case FileClose:
		return "FileClose"
	}
	return fmt.Sprintf("FileState(%d)", int(s))
}

// FileEvent is what Config.File is called with for a multipart part that
// has a non-empty filename.
type FileEvent struct {
	// State says which step of the file this is.
	State FileState
	// Name is the part's form field name (Content-Disposition name=),
	// possibly empty.
	Name string
	// Filename is the part's Content-Disposition filename= as sent: the
	// peer chose it, so sanitise it before using it as a path.
	Filename string
	// ContentType is the part's Content-Type header value, or "" if it
	// had none.
	ContentType string
	// Data is a piece of the file's content. It is valid only during the
	// call: copy what must be kept, and do not modify it.
	Data []byte
}

// Config says what a Parser keeps; it is lws's lws_spa_create_info_t.
// The zero value keeps nothing and uses the default limits.
type Config struct {
	// Params are the names of the parameters to keep (lws's
	// param_names). Values of other names are parsed and skipped. Index
	// refers to this order.
	Params []string
	// MaxStorage bounds the total bytes of the values of names in Params
	// (lws's max_storage): more is ErrTooLarge. Zero or less means
	// DefaultMaxStorage (512, as in lws).
	MaxStorage int
	// MaxNameLen bounds the bytes of a field name (decoded): more is
	// ErrTooLarge. Zero or less means DefaultMaxNameLen.
	MaxNameLen int
	// MaxParts bounds the parts of a multipart body: more is
	// ErrTooLarge. Zero or less means DefaultMaxParts.
	MaxParts int
	// File, if not nil, is called for the parts of a multipart body that
	// have a non-empty filename (lws's opt_cb), with their content as it
	// is fed, piece by piece. An error returned aborts parsing: Write or
	// Finalize returns it as it is. If File is nil, the content of such
	// parts is parsed and discarded. It is called on the goroutine that
	// calls Write or Finalize.
	File func(ev FileEvent) error
}

// span is where a kept value sits in Parser.storage.
type span struct {
	start, end int
	set        bool
}

// Parser is the state of one form body being parsed (lws's struct
// lws_spa). Create it with New, feed it with Write, end it with Finalize,
// then read the values with Get, Index, Len or Values. It is not safe for
// concurrent use.
type Parser struct {
	cfg       Config
	index     map[string]int // name -> position in cfg.Params
	vals      []span         // by position in cfg.Params
	storage   []byte         // the kept values, at most cfg.MaxStorage
	used      int            // bytes counted against cfg.MaxStorage
	cur       int            // position of the value being stored, or -1
	charge    bool           // the value being parsed counts against MaxStorage
	err       error          // sticky
	finalized bool
	multipart bool

	// urlencoded
	ust  int    // state
	pct  byte   // high nibble of a %-escape
	name []byte // the name being parsed, at most cfg.MaxNameLen

	// multipart
	mp mpState
}

// New returns a Parser for a request body whose Content-Type header is
// contentType (lws_spa_create). Accepted are
// application/x-www-form-urlencoded and multipart/form-data, the latter
// with a boundary parameter of 1 to MaxBoundaryLen characters as RFC 2046
// allows, quoted or not; parameters and case follow RFC 2045. Other types
// give ErrUnsupportedType; a multipart type with no valid boundary gives
// ErrMalformed.
func New(contentType string, cfg Config) (*Parser, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		// The parameters are bad (mime.ParseMediaType returns the type
		// alone then, or nothing): that is malformed for multipart,
		// which needs its boundary, and harmless for urlencoded.
		mt, _, _ = strings.Cut(contentType, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		params = nil
	}
	if cfg.MaxStorage <= 0 {
		cfg.MaxStorage = DefaultMaxStorage
	}
	if cfg.MaxNameLen <= 0 {
		cfg.MaxNameLen = DefaultMaxNameLen
	}
	if cfg.MaxParts <= 0 {
		cfg.MaxParts = DefaultMaxParts
	}
	p := &Parser{
		cfg:   cfg,
		index: make(map[string]int, len(cfg.Params)),
		vals:  make([]span, len(cfg.Params)),
		cur:   -1,
	}
	for i, n := range cfg.Params {
		if _, dup := p.index[n]; !dup && n != "" {
			p.index[n] = i
		}
	}
	switch mt {
	case "application/x-www-form-urlencoded":
		p.name = make([]byte, 0, cfg.MaxNameLen)
	case "multipart/form-data":
		b, ok := params["boundary"]
		if !ok || !validBoundary(b) {
			return nil, fmt.Errorf("%w: multipart/form-data without a valid boundary", ErrMalformed)
		}
		p.multipart = true
		p.mp.init(b)
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedType, mt)
	}
	return p, nil
}

// validBoundary reports whether b is a boundary RFC 2046 allows: 1 to 70
// bchars, not ending in a space.
func validBoundary(b string) bool {
	if len(b) == 0 || len(b) > MaxBoundaryLen || b[len(b)-1] == ' ' {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '\'', c == '(', c == ')', c == '+', c == '_', c == ',', c == '-',
			c == '.', c == '/', c == ':', c == '=', c == '?', c == ' ':
		default:
			return false
		}
	}
	return true
}

// Write feeds the next piece of the body (lws_spa_process); the body may
// be split anywhere. It returns len(p) and nil, or, once the body is
// found bad (or Config.File fails), the bytes consumed before that and the
// error, which every later Write and Finalize return too. Write after
// Finalize is an error.
func (p *Parser) Write(b []byte) (int, error) {
	if p.finalized {
		return 0, errFinalized
	}
	if p.err != nil {
		return 0, p.err
	}
	var n int
	var err error
	if p.multipart {
		n, err = p.writeMultipart(b)
	} else {
		n, err = p.writeURL(b)
	}
	if err != nil {
		p.fail(err)
		return n, p.err
	}
	return n, nil
}

// Finalize ends the body (lws_spa_finalize): the value being parsed is
// completed, and a body that ended early gives ErrTruncated (a multipart
// body without its closing boundary) or ErrMalformed (an urlencoded body
// ending inside a %-escape). It returns the error Write returned, if any,
// and the same result if called again. After it the values are complete.
// Call it also when the connection closes early: a file still open gets
// its FileClose.
func (p *Parser) Finalize() error {
	if p.finalized || p.err != nil {
		p.finalized = true
		return p.err
	}
	p.finalized = true
	var err error
	if p.multipart {
		err = p.finalizeMultipart()
	} else {
		err = p.finalizeURL()
	}
	if err != nil {
		p.fail(err)
	}
	return p.err
}

// fail makes err the parser's sticky error and closes a file left open.
func (p *Parser) fail(err error) {
	if p.err == nil {
		p.err = err
	}
	if p.multipart {
		p.closeFile()
	}
}

// Get returns the value of the parameter called name, which must be one
// of Config.Params, and whether it was in the body. A parameter present
// with no value ("a&b=1" for a, or an empty multipart part) gives "" and
// true.
func (p *Parser) Get(name string) (string, bool) {
	i, ok := p.index[name]
	if !ok {
		return "", false
	}
	return p.Index(i)
}

// Index returns the value of Config.Params[n] and whether it was in the
// body (lws_spa_get_string(spa, n)); an n out of range gives "", false.
func (p *Parser) Index(n int) (string, bool) {
	if n < 0 || n >= len(p.cfg.Params) {
		return "", false
	}
	i, ok := p.index[p.cfg.Params[n]]
	if !ok || !p.vals[i].set {
		return "", false
	}
	v := p.vals[i]
	return string(p.storage[v.start:v.end]), true
}

// Len returns the length in bytes of the value Get(name) returns, 0 if
// there is none (lws_spa_get_length, by name).
func (p *Parser) Len(name string) int {
	i, ok := p.index[name]
	if !ok || !p.vals[i].set {
		return 0
	}
	return p.vals[i].end - p.vals[i].start
}

// Values returns the kept parameters that were in the body, by name.
func (p *Parser) Values() map[string]string {
	m := make(map[string]string, len(p.index))
	for name, i := range p.index {
		if v := p.vals[i]; v.set {
			m[name] = string(p.storage[v.start:v.end])
		}
	}
	return m
}

// beginValue starts the value of the field called name.
func (p *Parser) beginValue(name []byte) {
	p.cur, p.charge = -1, false
	if len(name) == 0 {
		return // a value with no name is not a parameter
	}
	i, ok := p.index[string(name)]
	if !ok {
		return
	}
	p.charge = true
	if p.vals[i].set {
		return // the first value of a name is the one kept
	}
	p.vals[i] = span{start: len(p.storage), end: len(p.storage), set: true}
	p.cur = i
}

// endValue ends the value begun by beginValue.
func (p *Parser) endValue() { p.cur, p.charge = -1, false }

// value adds d to the value being parsed. Past MaxStorage, what fits is
// kept and the error is ErrTooLarge, so the result is the same for any
// split of the body.
func (p *Parser) value(d []byte) error {
	if !p.charge || len(d) == 0 {
		return nil
	}
	room := p.cfg.MaxStorage - p.used
	over := len(d) > room
	if over {
		d = d[:room]
	}
	p.used += len(d)
	if p.cur >= 0 {
		p.store(d)
	}
	if over {
		return fmt.Errorf("%w: values beyond MaxStorage (%d bytes)", ErrTooLarge, p.cfg.MaxStorage)
	}
	return nil
}

// valueByte is value for one byte.
func (p *Parser) valueByte(c byte) error {
	if !p.charge {
		return nil
	}
	if p.used >= p.cfg.MaxStorage {
		return fmt.Errorf("%w: values beyond MaxStorage (%d bytes)", ErrTooLarge, p.cfg.MaxStorage)
	}
	p.used++
	if p.cur >= 0 {
		if len(p.storage) == cap(p.storage) {
			p.grow(1)
		}
		p.storage = append(p.storage, c)
		p.vals[p.cur].end = len(p.storage)
	}
	return nil
}

// store appends d to the value at p.cur; p.used already bounds it.
func (p *Parser) store(d []byte) {
	if len(p.storage)+len(d) > cap(p.storage) {
		p.grow(len(d))
	}
	p.storage = append(p.storage, d...)
	p.vals[p.cur].end = len(p.storage)
}

// grow makes room for n more bytes of storage, never beyond MaxStorage.
func (p *Parser) grow(n int) {
	need := len(p.storage) + n
	c := max(2*cap(p.storage), need, 64)
	c = min(c, p.cfg.MaxStorage)
	s := make([]byte, len(p.storage), c)
	copy(s, p.storage)
	p.storage = s
}
