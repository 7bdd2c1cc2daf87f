package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/golws/lws"
	"github.com/golws/lws/h1"
	"github.com/golws/lws/hdr"
)

// bodyPiece is the most of the request body written per
// CLIENT_HTTP_WRITEABLE.
const bodyPiece = 16 << 10

// httpMode makes one HTTP request.
type httpMode struct {
	a         *app
	body      *os.File // the request body, or nil
	bodyLen   int64
	bodyLeft  int64
	buf       []byte
	status    int
	completed bool
}

func newHTTPMode(a *app) (*httpMode, error) {
	m := &httpMode{a: a}
	if a.cfg.body == "" {
		return m, nil
	}
	f, err := os.Open(a.cfg.body)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("-b %s: not a regular file", a.cfg.body)
	}
	m.body, m.bodyLen, m.bodyLeft = f, st.Size(), st.Size()
	return m, nil
}

var errBodyShort = errors.New("the request body file shrank while it was sent")

func (m *httpMode) callback(c *lws.Conn, reason lws.Reason, in []byte) error {
	a := m.a
	switch reason {
	case lws.CallbackClientAppendHandshakeHeader:
		if err := c.AddHandshakeHeader("User-Agent", "lws-client"); err != nil {
			return err
		}
		if m.body != nil {
			c.ClientHTTPBodyPending(true)
			return c.AddHandshakeHeader("Content-Length", strconv.FormatInt(m.bodyLen, 10))
		}

	case lws.CallbackClientHTTPWriteable:
		if m.body == nil {
			return nil
		}
		if m.buf == nil {
			m.buf = make([]byte, bodyPiece)
		}
		p := m.buf[:min(int64(len(m.buf)), m.bodyLeft)]
		n, err := io.ReadFull(m.body, p)
		if err != nil && len(p) > 0 {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				err = errBodyShort
			}
			a.fail("-b %s: %v", a.cfg.body, err)
			return err
		}
		m.bodyLeft -= int64(n)
		wt := lws.WriteHTTP
		if m.bodyLeft == 0 {
			wt = lws.WriteHTTPFinal
			c.ClientHTTPBodyPending(false)
		}
		if _, err := c.Write(p[:n], wt); err != nil {
			return err
		}
		if m.bodyLeft > 0 {
			c.CallbackOnWritable()
		}

	case lws.CallbackEstablishedClientHTTP:
		m.status = c.HTTPClientStatus()
		if a.cfg.verbose {
			m.printHead(c)
		}

	case lws.CallbackReceiveClientHTTPRead:
		if _, err := a.stdout.Write(in); err != nil {
			return err
		}

	case lws.CallbackCompletedClientHTTP:
		m.completed = true

	case lws.CallbackClosedClientHTTP:
		if m.body != nil {
			m.body.Close()
		}
		switch {
		case !m.completed:
			a.fail("the connection ended before the whole response arrived")
		case m.status >= 200 && m.status < 400:
			a.succeed()
		default:
			a.fail("HTTP status %d", m.status)
		}
	}
	return nil
}

// printHead prints the status line and the headers golws keeps (the ones
// it has a token for) on stderr.
func (m *httpMode) printHead(c *lws.Conn) {
	var b strings.Builder
	line := h1.AppendStatusLine(nil, false, m.status)
	b.Write(line[:len(line)-2])
	b.WriteString("\n")
	for tok := hdr.TokenHost; tok < hdr.TokenURIArgs; tok++ {
		if tok == hdr.TokenHTTPVersion || c.HdrFragmentCount(tok) == 0 {
			continue
		}
		name := strings.TrimSuffix(tok.String(), ":")
		for i := range c.HdrFragmentCount(tok) {
			fmt.Fprintf(&b, "%s: %s\n", name, c.HdrFragment(tok, i))
		}
	}
	b.WriteString("\n")
	io.WriteString(m.a.stderr, b.String())
}

func (m *httpMode) interrupt(*lws.Conn) {
	m.a.fail("interrupted")
	m.a.stop()
}

func (m *httpMode) ended(*lws.Conn) {}
