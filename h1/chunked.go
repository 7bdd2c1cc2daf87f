package h1

// ChunkedDecoder decodes a request body sent with Transfer-Encoding:
// chunked (RFC 9112 section 7.1), incrementally: the loop hands it the
// bytes after the request head in whatever pieces arrive and gets the
// body's data back as sub-slices of those pieces, without copying, ready
// for HTTP_BODY callbacks. Chunk extensions are skipped; trailer fields
// are skipped too, up to MaxTrailer bytes. Memory is the struct itself,
// whatever the input.
//
// The zero value is ready; Reset makes a decoder ready for the next body.
type ChunkedDecoder struct {
	// MaxTrailer bounds the trailer section; zero means 4096 bytes (lws's
	// default header data size). A longer one is refused with 431.
	MaxTrailer int

	state   chunkState
	remain  int64 // data bytes left in the current chunk
	digits  int   // hex digits of the size seen so far
	line    int   // bytes of the current size or trailer line
	trailer int   // bytes of trailer seen
}

type chunkState uint8

const (
	chunkSize    chunkState = iota // reading the hex size
	chunkExt                       // after the size, up to the LF
	chunkData                      // remain bytes of data
	chunkDataCR                    // the CR after the data
	chunkDataLF                    // the LF after the data
	chunkTrailer                   // a trailer line (or the final CRLF)
	chunkDone                      // the body ended
)

// The errors Next returns; like the head parser's, they carry the status
// to answer with before closing the connection.
var (
	errChunkSize     = &Error{400, "malformed chunk size"}
	errChunkTooLarge = &Error{413, "chunk size too large"}
	errChunkCRLF     = &Error{400, "chunk data not followed by CRLF"}
	errChunkLine     = &Error{400, "chunk size line too long"}
	errChunkTrailer  = &Error{431, "chunked trailer too large"}
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
// is an *Error with the status to answer.
func (d *ChunkedDecoder) Next(in []byte) (n int, data []byte, err error) {
	for n < len(in) {
		c := in[n]
		switch d.state {
		case chunkSize:
			switch {
			case unhex(c) >= 0:
				if d.digits >= 15 { // more than 2^60: not a size any peer means
					return n, nil, errChunkTooLarge
				}
				d.remain = d.remain<<4 | int64(unhex(c))
				d.digits++
			case d.digits > 0 && (c == ';' || c == ' ' || c == '\t' || c == '\r'):
				d.state = chunkExt
				continue // the extension state looks at this byte
			case d.digits > 0 && c == '\n':
				d.endSizeLine()
				n++
				continue
			default:
				return n, nil, errChunkSize
			}
			d.line++
			n++
		case chunkExt:
			n++
			if c == '\n' {
				d.endSizeLine()
				continue
			}
			if d.line++; d.line > maxChunkLine {
				return n, nil, errChunkLine
			}
		case chunkData:
			k := min(int64(len(in)-n), d.remain)
			data = in[n : n+int(k)]
			n += int(k)
			if d.remain -= k; d.remain == 0 {
				d.state = chunkDataCR
			}
			return n, data, nil
		case chunkDataCR:
			if c == '\n' { // a bare LF is tolerated, as by most servers
				d.state = chunkSize
			} else if c == '\r' {
				d.state = chunkDataLF
			} else {
				return n, nil, errChunkCRLF
			}
			n++
		case chunkDataLF:
			if c != '\n' {
				return n, nil, errChunkCRLF
			}
			d.state = chunkSize
			n++
		case chunkTrailer:
			n++
			d.trailer++
			limit := d.MaxTrailer
			if limit <= 0 {
				limit = 4096
			}
			if d.trailer > limit {
				return n, nil, errChunkTrailer
			}
			if c != '\n' {
				if c != '\r' {
					d.line++
				}
				continue
			}
			if d.line == 0 {
				d.state = chunkDone // the empty line ends the body
				return n, nil, nil
			}
			d.line = 0
		case chunkDone:
			return n, nil, nil
		}
	}
	return n, nil, nil
}

// endSizeLine moves on from a complete size line.
func (d *ChunkedDecoder) endSizeLine() {
	d.digits, d.line = 0, 0
	if d.remain == 0 {
		d.state = chunkTrailer
		return
	}
	d.state = chunkData
}
