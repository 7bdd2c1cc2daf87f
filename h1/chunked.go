package h1

import (
	"github.com/golws/lws/hdr"
	"github.com/golws/lws/httpsem"
	"github.com/golws/lws/internal/ascii"
)

// ChunkedDecoder decodes a request body sent with Transfer-Encoding:
// chunked (RFC 9112 section 7.1), incrementally: the loop hands it the
// bytes after the request head in whatever pieces arrive and gets the
// body's data back as sub-slices of those pieces, without copying, ready
// for HTTP_BODY callbacks. Chunk extensions are checked against RFC
// 9112's grammar and skipped; trailer fields are checked as field lines
// and skipped too, up to MaxTrailer bytes. Memory is the struct itself,
// whatever the input.
//
// The framing is read strictly, as lws reads chunked bodies: every line
// (size lines, the CRLF after each chunk's data, trailer lines and the
// final empty line) must end in CRLF; a bare LF or a bare CR is refused
// with 400. RFC 9112 section 2.2 lets a recipient take a bare LF as a line
// end only in the start line and header fields; in the body's framing a
// peer or intermediary reading the same bytes another way could smuggle a
// request past the one that reads them. Whitespace after a chunk size is
// the BWS of a chunk extension, so it is allowed only before the ';' of
// one (section 7.1.1): "5 \r\n" is refused, "5 ;x\r\n" is not.
//
// The zero value is ready; Reset makes a decoder ready for the next body.
type ChunkedDecoder struct {
	// MaxTrailer bounds the trailer section; zero means 4096 bytes (lws's
	// default header data size). A longer one is refused with 431.
	MaxTrailer int

	state   chunkState
	remain  int64 // data bytes left in the current chunk
	digits  int   // hex digits of the size seen so far
	line    int   // bytes of the current size line
	trailer int   // bytes of trailer seen
}

type chunkState uint8

const (
	chunkSize         chunkState = iota // reading the hex size
	chunkSizeBWS                        // whitespace after the size: a ';' must follow
	chunkExtName0                       // after ';' (and BWS): an extension name must follow
	chunkExtName                        // in an extension name
	chunkExtNameBWS                     // whitespace after a name: '=' or ';' must follow
	chunkExtVal0                        // after '=' (and BWS): a value must follow
	chunkExtToken                       // in a token value
	chunkExtQuoted                      // in a quoted-string value
	chunkExtPair                        // after a backslash in a quoted-string
	chunkExtValEnd                      // after a quoted-string's closing quote
	chunkExtValBWS                      // whitespace after a value: ';' must follow
	chunkSizeLF                         // the CR ending a size line was seen
	chunkData                           // remain bytes of data
	chunkDataCR                         // the CR after the data
	chunkDataLF                         // the LF after the data
	chunkTrailer                        // at the start of a trailer line or the final empty line
	chunkTrailerName                    // in a trailer field's name
	chunkTrailerValue                   // in a trailer field's value
	chunkTrailerLF                      // the CR ending a trailer line was seen
	chunkEndLF                          // the final empty line's CR was seen
	chunkDone                           // the body ended
)

// The errors Next returns; like the head parser's, they carry the status
// to answer with before closing the connection.
var (
	errChunkSize     = &httpsem.Error{Status: 400, Reason: "malformed chunk size"}
	errChunkTooLarge = &httpsem.Error{Status: 413, Reason: "chunk size too large"}
	errChunkExt      = &httpsem.Error{Status: 400, Reason: "malformed chunk extension"}
	errChunkLineEnd  = &httpsem.Error{Status: 400, Reason: "chunk size line not ended by CRLF"}
	errChunkCRLF     = &httpsem.Error{Status: 400, Reason: "chunk data not followed by CRLF"}
	errChunkLine     = &httpsem.Error{Status: 400, Reason: "chunk size line too long"}
	errChunkField    = &httpsem.Error{Status: 400, Reason: "malformed trailer field"}
	errChunkFieldEnd = &httpsem.Error{Status: 400, Reason: "trailer line not ended by CRLF"}
	errChunkTrailer  = &httpsem.Error{Status: 431, Reason: "chunked trailer too large"}
)

// maxChunkLine bounds a size line with its extensions.
const maxChunkLine = 4096

// Reset forgets any body in progress.
func (d *ChunkedDecoder) Reset() { *d = ChunkedDecoder{MaxTrailer: d.MaxTrailer} }

// Done reports whether the body has ended: the last chunk and the trailer
// section have been read.
func (d *ChunkedDecoder) Done() bool { return d.state == chunkDone }

// Next decodes from in. It returns how many bytes of in it used and the
// next piece of body data, a sub-slice of in (possibly empty). The caller
// loops, calling Next with in[n:], until in is used up or Done reports the
// end; bytes after the end (a pipelined request) are not used. An error
// is an *httpsem.Error with the status to answer; the decoder is then of no
// further use until Reset.
func (d *ChunkedDecoder) Next(in []byte) (n int, data []byte, err error) {
	for n < len(in) {
		switch d.state {
		case chunkData:
			k := min(int64(len(in)-n), d.remain)
			data = in[n : n+int(k)]
			n += int(k)
			if d.remain -= k; d.remain == 0 {
				d.state = chunkDataCR
			}
			return n, data, nil
		case chunkDone:
			return n, nil, nil
		}
		c := in[n]
		var err *httpsem.Error
		switch d.state {
		case chunkSize, chunkSizeBWS, chunkExtName0, chunkExtName, chunkExtNameBWS,
			chunkExtVal0, chunkExtToken, chunkExtQuoted, chunkExtPair, chunkExtValEnd,
			chunkExtValBWS, chunkSizeLF:
			if d.line++; d.line > maxChunkLine {
				return n, nil, errChunkLine
			}
			err = d.sizeLine(c)
		case chunkDataCR:
			if c != '\r' {
				err = errChunkCRLF
			}
			d.state = chunkDataLF
		case chunkDataLF:
			if c != '\n' {
				err = errChunkCRLF
			}
			d.state = chunkSize
		default:
			limit := d.MaxTrailer
			if limit <= 0 {
				limit = 4096
			}
			if d.trailer++; d.trailer > limit {
				return n, nil, errChunkTrailer
			}
			err = d.trailerByte(c)
		}
		if err != nil {
			return n, nil, err
		}
		n++
		if d.state == chunkDone {
			return n, nil, nil
		}
	}
	return n, nil, nil
}

// sizeLine takes a byte of a chunk-size line: the size, extensions
// (RFC 9112 7.1.1: *( BWS ";" BWS name [ BWS "=" BWS value ] ), a value
// being a token or a quoted-string) and the CRLF.
func (d *ChunkedDecoder) sizeLine(c byte) *httpsem.Error {
	ws := c == ' ' || c == '\t'
	switch d.state {
	case chunkSize:
		if h := ascii.Unhex(c); h >= 0 {
			if d.digits >= 15 { // more than 2^60: not a size any peer means
				return errChunkTooLarge
			}
			d.remain = d.remain<<4 | int64(h)
			d.digits++
			return nil
		}
		switch {
		case d.digits == 0:
			return errChunkSize
		case c == '\r':
			d.state = chunkSizeLF
		case c == ';':
			d.state = chunkExtName0
		case ws:
			d.state = chunkSizeBWS
		case c == '\n':
			return errChunkLineEnd
		default:
			return errChunkSize
		}
	case chunkSizeBWS:
		switch {
		case ws:
		case c == ';':
			d.state = chunkExtName0
		default:
			return errChunkSize // whitespace after a size without an extension
		}
	case chunkExtName0:
		switch {
		case ws:
		case ascii.IsTchar(c):
			d.state = chunkExtName
		default:
			return errChunkExt
		}
	case chunkExtName, chunkExtToken, chunkExtValEnd:
		switch {
		case ascii.IsTchar(c) && d.state != chunkExtValEnd:
		case c == '\r':
			d.state = chunkSizeLF
		case c == ';':
			d.state = chunkExtName0
		case c == '=' && d.state == chunkExtName:
			d.state = chunkExtVal0
		case ws && d.state == chunkExtName:
			d.state = chunkExtNameBWS
		case ws:
			d.state = chunkExtValBWS
		case c == '\n':
			return errChunkLineEnd
		default:
			return errChunkExt
		}
	case chunkExtNameBWS:
		switch {
		case ws:
		case c == '=':
			d.state = chunkExtVal0
		case c == ';':
			d.state = chunkExtName0
		default:
			return errChunkExt
		}
	case chunkExtVal0:
		switch {
		case ws:
		case c == '"':
			d.state = chunkExtQuoted
		case ascii.IsTchar(c):
			d.state = chunkExtToken
		default:
			return errChunkExt
		}
	case chunkExtQuoted:
		switch {
		case c == '"':
			d.state = chunkExtValEnd
		case c == '\\':
			d.state = chunkExtPair
		case !hdr.PlainValueByte(c): // qdtext: HTAB, SP, VCHAR but '"' and '\\', obs-text
			return errChunkExt
		}
	case chunkExtPair:
		if !hdr.PlainValueByte(c) {
			return errChunkExt
		}
		d.state = chunkExtQuoted
	case chunkExtValBWS:
		switch {
		case ws:
		case c == ';':
			d.state = chunkExtName0
		default:
			return errChunkExt
		}
	case chunkSizeLF:
		if c != '\n' {
			return errChunkLineEnd
		}
		d.digits, d.line = 0, 0
		if d.remain == 0 {
			d.state = chunkTrailer
		} else {
			d.state = chunkData
		}
	}
	return nil
}

// trailerByte takes a byte of the trailer section: field lines (a token,
// a colon, a value) each ended by CRLF, then an empty line.
func (d *ChunkedDecoder) trailerByte(c byte) *httpsem.Error {
	switch d.state {
	case chunkTrailer:
		switch {
		case c == '\r':
			d.state = chunkEndLF
		case c == '\n':
			return errChunkFieldEnd
		case ascii.IsTchar(c):
			d.state = chunkTrailerName
		default:
			return errChunkField
		}
	case chunkTrailerName:
		switch {
		case c == ':':
			d.state = chunkTrailerValue
		case !ascii.IsTchar(c):
			return errChunkField
		}
	case chunkTrailerValue:
		switch {
		case c == '\r':
			d.state = chunkTrailerLF
		case c == '\n':
			return errChunkFieldEnd
		case !hdr.PlainValueByte(c):
			return errChunkField
		}
	case chunkTrailerLF, chunkEndLF:
		if c != '\n' {
			return errChunkFieldEnd
		}
		if d.state == chunkEndLF {
			d.state = chunkDone // the empty line ends the body
		} else {
			d.state = chunkTrailer
		}
	}
	return nil
}
