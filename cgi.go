package lws

import (
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/golws/lws/h1"
	"github.com/golws/lws/hdr"
	"github.com/golws/lws/internal/cgi"
	"golang.org/x/sys/unix"
)

// CGI (cgi:// mounts, RFC 3875). The program's three pipes are served by
// the loop like any descriptor, as child connections of the HTTP
// connection: the request body goes to its standard input, with the
// client's reception held while the pipe is full; its standard output is
// parsed for the response head and then streamed to the client (chunked on
// HTTP/1.1 when it gives no length), read only while the client's socket
// takes it; its standard error is logged. A program silent for longer than
// the mount's CGITimeout, or whose client goes away, is killed and reaped.
//
// The server owns the framing of the response, as lws does: the
// program's hop-by-hop headers (Connection, Keep-Alive, Transfer-Encoding,
// TE, Trailer, Upgrade, Proxy-*) are not passed on. A program that
// declares "Transfer-Encoding: chunked" describes its output on the pipe:
// if that output really is chunk-coded it is decoded, as a proxy decodes
// its upstream, and framed again for the client (chunked on HTTP/1.1,
// ended by closing on HTTP/1.0), so a program's framing mistakes cannot
// desynchronise the client's connection and HTTP/1.0 clients and HEAD
// work too; if it is plain bytes (lws frames whatever the program writes,
// so programs rely on that) it is sent as the body.

// cgiState is a CGI program serving a transaction.
type cgiState struct {
	p       *cgi.Process
	in      *Conn // the program's standard input, while it is open
	out     *Conn
	errc    *Conn
	hp      cgi.HeaderParser
	headed  bool   // the response head was sent
	pending []byte // request body the program's input has not taken yet
	inDone  bool   // the whole body has been received: close stdin once pending is gone
	timeout int    // seconds of silence before the program is killed

	// A program that declared its output chunked: whether it is, and
	// its decoding.
	coding cgiCoding
	sniff  []byte // the start of the body while the coding is undecided
	dec    *h1.ChunkedDecoder
}

// cgiCoding is how a program's body is coded on its standard output.
type cgiCoding uint8

const (
	cgiPlain     cgiCoding = iota // the bytes are the body
	cgiUndecided                  // declared chunked: waiting for the first line
	cgiChunked                    // chunk-coded: decoded before it is framed again
)

// startCGI runs a cgi:// mount's program for the current request.
func (c *Conn) startCGI(m *mount, method hdr.Token, uri, rest []byte) error {
	l := c.loop
	ah, t := c.ah, c.txn()
	req := &cgi.Request{
		Method:         methodNames[method],
		ScriptName:     m.Mountpoint,
		PathInfo:       string(rest),
		QueryString:    c.queryString(),
		ServerName:     string(hostName(ah.Copy(nil, hdr.TokenHost))),
		ServerPort:     c.vhost.port,
		ServerProtocol: c.httpWire().protocol(),
		RemoteAddr:     c.peer.Addr().String(),
		RemotePort:     int(c.peer.Port()),
		ContentType:    c.Hdr(hdr.TokenContentType),
		ContentLength:  t.bodyLength,
	}
	if len(m.Mountpoint) == 1 {
		req.ScriptName, req.PathInfo = "", string(uri)
	}
	for tok := hdr.TokenHost; tok < hdr.TokenURIArgs; tok++ {
		if tok == hdr.TokenHTTPVersion || !ah.Has(tok) {
			continue
		}
		name := strings.TrimSuffix(tok.String(), ":")
		req.Headers = append(req.Headers, [2]string{name, string(ah.Copy(nil, tok))})
	}
	ah.VisitCustom(func(name, value []byte) bool {
		req.Headers = append(req.Headers, [2]string{string(name), string(value)})
		return true
	})
	for _, e := range m.CGIEnv {
		req.Extra = append(req.Extra, [2]string{e.Name, e.Value})
	}
	dir := m.CGIChdir
	if dir == "" {
		dir = filepath.Dir(m.target)
	}
	p, err := cgi.Start(m.target, nil, cgi.Env(req), dir)
	if err != nil {
		logf(LogErr, "lws: %v: starting CGI %s: %v", c, m.target, err)
		return c.ReturnHTTPStatus(500, "")
	}
	l.cgiSpawned++
	st := &cgiState{p: p, timeout: m.CGITimeout}
	if st.timeout <= 0 {
		st.timeout = 20
	}
	st.hp.ContentLength = -1
	t.cgi = st
	var perr error
	if st.in, perr = c.adoptPipe(&p.Stdin); perr == nil {
		st.in.rxDisabled = true // written, never read
		l.updateInterest(st.in)
		if st.out, perr = c.adoptPipe(&p.Stdout); perr == nil {
			st.errc, perr = c.adoptPipe(&p.Stderr)
		}
	}
	if perr != nil {
		c.cgiClose()
		logf(LogErr, "lws: %v: CGI pipes: %v", c, perr)
		return c.ReturnHTTPStatus(500, "")
	}
	if t.stage != txnBody {
		st.inDone = true
		c.cgiCloseStdin()
	}
	c.SetTimeout(PendingTimeoutCGI, st.timeout)
	if err := c.callback(CallbackCGIProcessAttach, nil); err != nil {
		return err
	}
	return nil
}

// cgiStdin passes a piece of request body to the program.
func (c *Conn) cgiStdin(p []byte) error {
	st := c.txn().cgi
	if st.in == nil {
		return nil // the program closed its input: the body is dropped
	}
	if len(st.pending) == 0 {
		n, err := unix.Write(int(st.in.fd), p)
		if err != nil && err != unix.EAGAIN && err != unix.EINTR {
			// The program does not read its input: drop the body.
			c.cgiCloseStdin()
			return nil
		}
		p = p[max(n, 0):]
	}
	if len(p) > 0 {
		// Hold the client until the program has taken this piece.
		st.pending = append(st.pending, p...)
		c.holdCGIInput(true)
		st.in.writeReady = false
		st.in.CallbackOnWritable()
		c.loop.updateInterest(c)
	}
	return nil
}

// cgiFeed writes held request body to the program's input when it can
// take more.
func (c *Conn) cgiFeed() error {
	st := c.txn().cgi
	if st.in == nil {
		return nil
	}
	for len(st.pending) > 0 {
		n, err := unix.Write(int(st.in.fd), st.pending)
		if err == unix.EAGAIN {
			st.in.writeReady = false
			st.in.CallbackOnWritable()
			return nil
		}
		if err != nil && err != unix.EINTR {
			st.pending = nil
			break
		}
		st.pending = st.pending[max(n, 0):]
	}
	st.pending = nil
	c.holdCGIInput(false)
	if st.inDone {
		c.cgiCloseStdin()
	}
	return nil
}

// cgiStdinDone notes the end of the request body.
func (c *Conn) cgiStdinDone() {
	st := c.txn().cgi
	st.inDone = true
	if len(st.pending) == 0 {
		c.cgiCloseStdin()
	}
}

func (c *Conn) cgiCloseStdin() {
	st := c.txn().cgi
	if st.in != nil {
		in := st.in
		st.in = nil
		c.loop.closeConn(in, nil)
	}
	st.pending = nil
	c.holdCGIInput(false)
}

// holdCGIInput holds the request body while the CGI program has not
// taken its last piece, or lets it come again: an HTTP/2 stream holds its
// own DATA (its window stays closed, and the connection's other streams
// go on); an HTTP/1 connection stops reading its socket.
func (c *Conn) holdCGIInput(hold bool) {
	if c.isStream() {
		c.Network().role.childRxFlow(c, !hold)
		return
	}
	switch {
	case hold:
		c.rxHold |= holdCGI
		c.loop.updateInterest(c)
	case c.rxHold&holdCGI != 0:
		c.rxHold &^= holdCGI
		c.loop.queueReady(c)
		c.loop.updateInterest(c)
	}
}

// cgiStdout reads the program's output: the response head first, then the
// body, which goes to the client as the client's socket takes it.
func (c *Conn) cgiStdout() error {
	l := c.loop
	t := c.txn()
	st := t.cgi
	if c.held() > 0 || c.txCredit() <= 0 {
		// The client has not taken the last piece (over HTTP/2: its
		// stream's window is shut): read more once it has.
		_ = st.out.RxFlowControl(false)
		c.CallbackOnWritable()
		return nil
	}
	buf := l.fileBuf()
	n, err := unix.Read(int(st.out.fd), buf)
	switch {
	case err == unix.EAGAIN || err == unix.EINTR:
		return nil
	case err != nil || n == 0:
		return c.cgiEOF()
	}
	c.SetTimeout(PendingTimeoutCGI, st.timeout)
	p := buf[:n]
	if !st.headed {
		used, done, err := st.hp.Parse(p)
		if err != nil {
			logf(LogWarn, "lws: %v: CGI %s: bad response head: %v", c, t.mount.target, err)
			return c.cgiFail()
		}
		if !done {
			return nil
		}
		p = p[used:]
		if err := c.cgiHead(); err != nil {
			return err
		}
	}
	if len(p) == 0 {
		return nil
	}
	switch st.coding {
	case cgiUndecided:
		if len(st.sniff) > 0 {
			st.sniff = append(st.sniff, p[:min(len(p), cgi.MaxSniff)]...)
			p = p[min(len(p), cgi.MaxSniff):]
		} else {
			st.sniff, p = p, nil
		}
		chunked, decided := cgi.SniffChunked(st.sniff)
		if !decided {
			// The first line is not complete: keep it for the next read.
			st.sniff = append([]byte(nil), st.sniff...)
			return nil
		}
		first := st.sniff
		st.sniff = nil
		st.coding = cgiPlain
		if chunked {
			st.coding = cgiChunked
			st.dec = new(h1.ChunkedDecoder)
		}
		if err := c.cgiBody(first); err != nil || len(p) == 0 {
			return err
		}
	}
	return c.cgiBody(p)
}

// cgiBody passes on a piece of the program's body, decoding it first if it
// is chunk-coded.
func (c *Conn) cgiBody(p []byte) error {
	st := c.txn().cgi
	if st.coding != cgiChunked {
		return c.cgiSend(p)
	}
	for len(p) > 0 && !st.dec.Done() {
		n, data, err := st.dec.Next(p)
		p = p[n:]
		if err != nil {
			logf(LogWarn, "lws: %v: CGI %s: bad chunked output: %v", c, c.txn().mount.target, err)
			return c.cgiCut()
		}
		if err := c.cgiSend(data); err != nil {
			return err
		}
	}
	return nil
}

// cgiSend sends body bytes to the client, framed as the response is.
func (c *Conn) cgiSend(p []byte) error {
	t := c.txn()
	if len(p) == 0 || t.head {
		return nil
	}
	t.txBytes += int64(len(p))
	_, err := c.httpWire().sendBody(c, t, p, false)
	return err
}

// cgiCut ends a response whose body the program did not complete: what
// was sent goes out, then the connection closes without ending the body
// (no last chunk), so that the client sees it is incomplete.
func (c *Conn) cgiCut() error {
	c.httpWire().closeAfter()
	c.cgiClose()
	_ = c.closeWhenFlushed()
	return nil
}

// cgiHead sends the response head made from the program's.
func (c *Conn) cgiHead() error {
	l := c.loop
	t := c.txn()
	st := t.cgi
	st.headed = true
	if st.hp.Chunked {
		st.coding = cgiUndecided
	}
	hw := c.httpWire()
	status, reason := st.hp.StatusLine()
	b := hw.headStatus(l.scratch[:0], t, status, reason)
	for _, kv := range st.hp.Headers() {
		b = hw.headField(b, kv[0], kv[1])
	}
	if st.hp.Location != "" {
		b = hw.headField(b, "Location", st.hp.Location)
	}
	// Without a length the body is framed by the wire where it can be
	// (chunked on HTTP/1.1), whatever the program said about its own
	// output.
	chunk := false
	if st.hp.ContentLength >= 0 {
		b = hw.headLength(b, st.hp.ContentLength)
	} else {
		b, chunk = hw.headUnsized(b)
	}
	if m := t.mount; m != nil {
		b = appendFields(hw, b, m.allHeaders)
	}
	b = appendFields(hw, b, l.cx.serverHeader)
	t.status = st.hp.Status
	t.txLength, t.txChunked = st.hp.ContentLength, chunk
	b = hw.headEnd(b, t)
	l.scratch = b[:0]
	if err := hw.sendHead(c, t, b, nil, false); err != nil {
		return err
	}
	c.headersGone()
	return nil
}

// cgiEOF ends the response when the program closes its output.
func (c *Conn) cgiEOF() error {
	t := c.txn()
	st := t.cgi
	if !st.headed {
		logf(LogWarn, "lws: %v: CGI %s ended without a response head", c, t.mount.target)
		return c.cgiFail()
	}
	switch st.coding {
	case cgiUndecided:
		// The output ended within what could have been a size line: it
		// was plain.
		if err := c.cgiSend(st.sniff); err != nil {
			return err
		}
		st.sniff = nil
	case cgiChunked:
		if !st.dec.Done() {
			logf(LogWarn, "lws: %v: CGI %s: chunked output ended before its last chunk", c, t.mount.target)
			return c.cgiCut()
		}
	}
	if t.txLength >= 0 && t.txBytes != t.txLength && !t.head {
		// The body does not match its length: the client cannot tell
		// where it ends, so the connection must.
		c.httpWire().closeAfter()
	}
	return c.HTTPTransactionCompleted()
}

// cgiFail answers 502 when nothing was sent yet, else closes.
func (c *Conn) cgiFail() error {
	if c.txn().headersSent {
		return errResponseSent
	}
	c.cgiClose()
	return c.ReturnHTTPStatus(502, "")
}

// cgiStderr logs what the program writes to its standard error.
func (c *Conn) cgiStderr() error {
	st := c.txn().cgi
	buf := c.loop.fileBuf()
	n, err := unix.Read(int(st.errc.fd), buf[:4096])
	if err == unix.EAGAIN || err == unix.EINTR {
		return nil
	}
	if err != nil || n == 0 {
		ec := st.errc
		st.errc = nil
		c.loop.closeConn(ec, nil)
		return nil
	}
	for _, line := range strings.Split(strings.TrimRight(string(buf[:n]), "\n"), "\n") {
		logf(LogWarn, "lws: CGI %s: %s", c.txn().mount.target, line)
	}
	return nil
}

// cgiWriteable resumes reading the program's output once the client has
// taken what was sent.
func (c *Conn) cgiWriteable() error {
	st := c.txn().cgi
	if st.out != nil && !st.out.RxFlowAllowed() {
		return st.out.RxFlowControl(true)
	}
	return nil
}

// cgiClose ends a CGI program: its pipes are closed, the program and its
// process group are killed, and the process is reaped, now or by the
// loop's reaper shortly after.
func (c *Conn) cgiClose() {
	t := c.txn()
	if t == nil || t.cgi == nil {
		return
	}
	st := t.cgi
	t.cgi = nil
	l := c.loop
	for _, pc := range []*Conn{st.in, st.out, st.errc} {
		if pc != nil {
			l.closeConn(pc, nil)
		}
	}
	st.p.CloseFDs()
	st.p.Kill()
	if exited, _, _ := st.p.Reap(); !exited {
		l.reapLater(st.p)
	}
	if !c.Closed() {
		_ = c.callback(CallbackCGITerminated, []byte(strconv.Itoa(st.p.Pid)))
	}
}

// reapLater keeps a killed process until it can be reaped, polling every
// 50 ms; a process killed with SIGKILL is reapable almost at once.
func (l *loop) reapLater(p *cgi.Process) {
	l.zombies = append(l.zombies, p)
	if !l.reaper.Scheduled() {
		l.cx.Schedule(&l.reaper, 50*time.Millisecond, l.reap)
	}
}

func (l *loop) reap(s *Sul) {
	live := l.zombies[:0]
	for _, p := range l.zombies {
		if exited, _, err := p.Reap(); !exited && err == nil {
			live = append(live, p)
		}
	}
	clear(l.zombies[len(live):])
	l.zombies = live
	if len(live) > 0 {
		l.cx.Schedule(s, 50*time.Millisecond, l.reap)
	}
}
