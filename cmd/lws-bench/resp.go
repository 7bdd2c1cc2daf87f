package main

import (
	"bytes"
	"errors"
	"strconv"
)

// respParser reads HTTP/1.1 responses incrementally: the head up to a
// bounded size, then a body framed by Content-Length or chunked encoding.
// It keeps no body bytes and, once its head buffer has grown, allocates
// nothing.
type respParser struct {
	state   int
	head    []byte
	line    []byte // a chunk-size or trailer line as it arrives
	status  int
	close   bool
	remain  int64
	chunked bool
}

const (
	stHead = iota
	stBody
	stChunkSize
	stChunkData
	stChunkEnd // the CRLF after a chunk's data
	stTrailer
)

const maxRespHead = 16 << 10

var errRespHead = errors.New("HTTP response head over 16 KiB or malformed")

func (p *respParser) reset() {
	p.state, p.head, p.line = stHead, p.head[:0], p.line[:0]
	p.status, p.close, p.remain, p.chunked = 0, false, 0, false
}

// feed consumes bytes of in; done reports that a response ended after
// the first n bytes.
func (p *respParser) feed(in []byte) (n int, done bool, err error) {
	for n < len(in) {
		switch p.state {
		case stHead:
			from := max(len(p.head)-3, 0)
			p.head = append(p.head, in[n:]...)
			i := bytes.Index(p.head[from:], []byte("\r\n\r\n"))
			if i < 0 {
				if len(p.head) > maxRespHead {
					return n, false, errRespHead
				}
				return len(in), false, nil
			}
			end := from + i + 4
			used := end - (len(p.head) - (len(in) - n))
			p.head = p.head[:end]
			if err := p.parseHead(); err != nil {
				return n, false, err
			}
			n += used
			if p.state == stBody && p.remain == 0 {
				return n, true, nil
			}
		case stBody:
			if n += p.skip(len(in) - n); p.remain == 0 {
				return n, true, nil
			}
		case stChunkData:
			if n += p.skip(len(in) - n); p.remain == 0 {
				p.state, p.remain = stChunkEnd, 2
			}
		case stChunkEnd:
			n++
			p.remain--
			if p.remain == 0 {
				p.state = stChunkSize
			}
		case stChunkSize, stTrailer:
			c := in[n]
			n++
			if c != '\n' {
				if len(p.line) > 1024 {
					return n, false, errors.New("HTTP chunk line over 1 KiB")
				}
				p.line = append(p.line, c)
				continue
			}
			line := bytes.TrimRight(p.line, "\r")
			p.line = p.line[:0]
			if p.state == stTrailer {
				if len(line) == 0 {
					return n, true, nil
				}
				continue
			}
			if i := bytes.IndexByte(line, ';'); i >= 0 {
				line = line[:i]
			}
			size, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 64)
			if err != nil || size < 0 {
				return n, false, errors.New("HTTP chunk size malformed")
			}
			if size == 0 {
				p.state = stTrailer
			} else {
				p.state, p.remain = stChunkData, size
			}
		}
	}
	return n, false, nil
}

// skip consumes up to avail body bytes (what remains of the body or
// chunk) and returns how many.
func (p *respParser) skip(avail int) int {
	k := min(int64(avail), p.remain)
	p.remain -= k
	return int(k)
}

func (p *respParser) parseHead() error {
	sl, rest, _ := bytes.Cut(p.head[:len(p.head)-4], []byte("\r\n"))
	if len(sl) < 12 || !bytes.HasPrefix(sl, []byte("HTTP/1.")) {
		return errRespHead
	}
	code := 0
	for _, d := range sl[9:12] {
		if d < '0' || d > '9' {
			return errRespHead
		}
		code = code*10 + int(d-'0')
	}
	var err error
	p.status = code
	p.close = sl[7] == '0'
	p.remain = -1
	for len(rest) > 0 {
		var h []byte
		h, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		name, value, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			return errRespHead
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if p.remain, err = strconv.ParseInt(string(value), 10, 64); err != nil || p.remain < 0 {
				return errRespHead
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			p.chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			if bytes.EqualFold(value, []byte("close")) {
				p.close = true
			} else if bytes.EqualFold(value, []byte("keep-alive")) {
				p.close = false
			}
		}
	}
	switch {
	case p.chunked:
		p.state = stChunkSize
	case p.remain >= 0:
		p.state = stBody
	case code == 204 || code == 304 || code/100 == 1:
		p.state, p.remain = stBody, 0
	default:
		return errors.New("HTTP response without Content-Length or chunked encoding; lws-bench needs keep-alive framing")
	}
	return nil
}
