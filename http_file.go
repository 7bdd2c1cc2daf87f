package lws

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"time"

	"github.com/golws/lws/hdr"
	"github.com/golws/lws/httpsem"
	"github.com/golws/lws/internal/ascii"
	"golang.org/x/sys/unix"
)

// Serving files (lws_serve_http_file and the file:// mounts). Origins are
// io/fs file systems, so embed.FS, os.DirFS, an os.Root and zip archives
// all serve; user code wraps or replaces one to change how files are found
// (lws's fops). Files are read on the loop, as lws reads them: a read that
// blocks on a slow disk delays the loop.

// GzipFS is implemented by file systems that hold gzip-compressed copies
// of files (zipfs.FS for the deflated members of a zip archive). When the
// client accepts gzip, the file server sends the compressed copy with
// Content-Encoding: gzip, with no recompression; otherwise it serves the
// plain file from Open.
type GzipFS interface {
	fs.FS
	// OpenGzip opens the gzip stream of a file; its Stat reports the
	// stream's length. It fails for files held uncompressed.
	OpenGzip(name string) (fs.File, error)
}

// fileTx is a file being sent.
type fileTx struct {
	f       fs.File
	left    int64  // bytes still to send
	off     int64  // the file offset of the next byte to send
	head    []byte // the response head, while it waits for the first piece
	warming bool   // a worker is bringing the next piece into the page cache
}

// filePiece is how much of a file one WRITEABLE sends.
const filePiece = 64 << 10

// fileBuf is the loop's buffer for reading files.
func (l *loop) fileBuf() []byte {
	if l.fbuf == nil {
		l.fbuf = make([]byte, filePiece)
	}
	return l.fbuf
}

// ServeHTTPFile answers the current request with the file name of fsys
// (lws_serve_http_file). contentType empty means the type by the name's
// suffix (application/octet-stream if unknown). extraHeaders, headers
// made with AddHTTPHeaderByName or AddHTTPHeaderByToken on this connection
// (on HTTP/1, header lines each ending in CRLF), are added to the head. Conditional
// requests (If-None-Match, If-Modified-Since), Range requests and HEAD are
// answered as for mounts, and a file with a zero ModTime (embed.FS) is
// dated from the process start as Mount.FS describes. The library sends
// the file in WRITEABLE-sized pieces, then delivers
// CallbackHTTPFileCompletion and completes the transaction itself: do not
// call HTTPTransactionCompleted after it. A missing file is answered 404.
func (c *Conn) ServeHTTPFile(fsys fs.FS, name, contentType string, extraHeaders []byte) error {
	if t := c.txn(); t == nil || !t.active() {
		return ErrHTTPNotActive
	}
	if contentType == "" {
		var ok bool
		if contentType, ok = Mimetype(name, nil); !ok {
			contentType = "application/octet-stream"
		}
	}
	return c.serveFile(fsys, name, nil, false, contentType, extraHeaders)
}

// serveMountFile serves the file rest (the path after the mountpoint) of
// a file mount.
func (c *Conn) serveMountFile(m *mount, rest []byte) error {
	name := string(rest)
	for len(name) > 0 && name[0] == '/' {
		name = name[1:]
	}
	if name == "." {
		// "/." is no file name (lws answers 404 too)
		return c.ReturnHTTPStatus(404, "")
	}
	slashed := name == "" || name[len(name)-1] == '/'
	if slashed {
		name += m.def
	}
	if doc := c.vhost.info.ErrorDocument404; doc != "" && c.ah != nil {
		uri := c.ah.Fragment(c.ah.Method(), 0)
		if string(uri) == doc {
			c.txn().handling404 = true
		}
	}
	return c.serveFile(m.fsys, name, m, slashed, "", nil)
}

// serveFile answers with a file: 200 or 206 with its content, 304 when
// the client's copy is current, 404, 415 or 416 when it cannot.
func (c *Conn) serveFile(fsys fs.FS, name string, m *mount, slashed bool, ctype string, extra []byte) error {
	t := c.txn()
	if !fs.ValidPath(name) {
		return c.ReturnHTTPStatus(404, "")
	}
	f, st, err := openRegular(fsys, name, m, slashed)
	if errors.Is(err, errIsFolder) {
		// A folder named without its slash: send the client to the
		// folder, so that relative links in its page resolve.
		loc := string(c.ah.Fragment(c.ah.Method(), 0)) + "/"
		if q := c.queryString(); q != "" {
			loc += "?" + q
		}
		return c.HTTPRedirect(301, loc)
	}
	if err != nil {
		status := 404
		if errors.Is(err, fs.ErrPermission) {
			status = 403
		}
		logf(LogInfo, "lws: %v: %s: %v", c, name, err)
		return c.ReturnHTTPStatus(status, "")
	}
	if f != nil && st.IsDir() {
		f.Close()
		return c.ReturnHTTPStatus(404, "")
	}
	if ctype == "" {
		var ok bool
		var extraTypes map[string]string
		if m != nil {
			extraTypes = m.ExtraMimetypes
		}
		if ctype, ok = Mimetype(st.Name(), extraTypes); !ok {
			f.Close()
			return c.ReturnHTTPStatus(415, "")
		}
	}
	l := c.loop
	size, mod := st.Size(), fileModTime(st)
	etag := l.etag(size, mod)
	cc := "no-store"
	if m != nil {
		cc = m.cc
	}
	ah := c.ah
	if ah != nil && notModified(ah, etag, mod) {
		f.Close()
		hw := c.httpWire()
		b := c.appendStatus(hw, l.scratch[:0], 304)
		b = hw.headFieldBytes(b, "etag", etag)
		b = hw.headField(b, "cache-control", cc)
		b = hw.headEnd(b, t)
		l.scratch = b[:0]
		if err := hw.sendHead(c, t, b, nil, true); err != nil {
			return err
		}
		c.headersGone()
		return c.HTTPTransactionCompleted()
	}

	gz := false
	if gfs, ok := fsys.(GzipFS); ok && ah != nil && acceptsGzip(ah) {
		if g, err := gfs.OpenGzip(name); err == nil {
			if gst, err := g.Stat(); err == nil {
				f.Close()
				f, size, gz = g, gst.Size(), true
				etag = append(etag[:len(etag)-1], `-gz"`...)
			} else {
				g.Close()
			}
		}
	}

	status, start, length := 200, int64(0), size
	seeker, canSeek := f.(io.Seeker)
	if ah != nil && !gz && canSeek && ah.Has(hdr.TokenRange) && ifRangeHolds(ah, etag, mod) {
		s, n, r := httpsem.ParseRange(ah.Copy(l.ctrlBuf[:0], hdr.TokenRange), size)
		switch r {
		case httpsem.RangeOK:
			if _, err := seeker.Seek(s, io.SeekStart); err == nil {
				status, start, length = 206, s, n
			}
		case httpsem.RangeUnsatisfiable:
			f.Close()
			cr := headerField{"content-range", "bytes */" + strconv.FormatInt(size, 10)}
			return c.respond(416, cr, "text/html; charset=utf-8", statusPage(416, ""))
		}
	}

	hw := c.httpWire()
	b := c.appendStatus(hw, l.scratch[:0], status)
	if ctype != "" {
		b = hw.headField(b, "content-type", ctype)
	}
	b = hw.headFieldBytes(b, "etag", etag)
	b = hw.headFieldBytes(b, "last-modified", httpsem.AppendHTTPDate(l.ctrlBuf[:0], mod))
	b = hw.headField(b, "cache-control", cc)
	switch {
	case gz:
		b = hw.headField(b, "content-encoding", "gzip")
		b = hw.headField(b, "vary", "accept-encoding")
	case canSeek:
		b = hw.headField(b, "accept-ranges", "bytes")
	}
	if status == 206 {
		v := append(l.ctrlBuf[:0], "bytes "...)
		v = strconv.AppendInt(v, start, 10)
		v = append(v, '-')
		v = strconv.AppendInt(v, start+length-1, 10)
		v = append(v, '/')
		v = strconv.AppendInt(v, size, 10)
		b = hw.headFieldBytes(b, "content-range", v)
	}
	if m != nil && m.vp != nil {
		l.scratch = b
		t.extra = &l.scratch
		err := c.callbackProto(m.vp, CallbackAddHeaders, nil)
		t.extra = nil
		b = l.scratch
		if err != nil {
			f.Close()
			return err
		}
	}
	b = hw.headRaw(b, extra)
	b = hw.headLength(b, length)
	t.txLength = length
	b = hw.headEnd(b, t)
	l.scratch = b[:0]

	if t.head || length == 0 {
		f.Close()
		if err := hw.sendHead(c, t, b, nil, true); err != nil {
			return err
		}
		c.headersGone()
		return c.fileCompleted()
	}
	if !hw.plainBody() {
		// A framed body (an HTTP/2 stream) goes from WRITEABLE only, a
		// piece each time its connection can take one: the requests of
		// one read would otherwise each queue a first piece at once.
		if err := hw.sendHead(c, t, b, nil, false); err != nil {
			f.Close()
			return err
		}
		c.headersGone()
		t.file = &fileTx{f: f, left: length, off: start}
		c.CallbackOnWritable()
		return nil
	}
	if osf, ok := f.(*os.File); ok && !fileCached(osf, start, min(length, filePiece)) {
		// The first piece is not in the page cache: the head waits for
		// it (fileWarmed), so that the loop does not wait for the disk.
		ft := &fileTx{f: f, left: length, off: start, head: append([]byte(nil), b...)}
		t.file = ft
		c.warmFile(ft, min(length, filePiece))
		return nil
	}
	return c.sendFileHead(f, b, length, start)
}

// sendFileHead sends the response head b and the first piece of f, whose
// left bytes from off are to be sent, in one system call.
func (c *Conn) sendFileHead(f fs.File, b []byte, left, off int64) error {
	t, l := c.txn(), c.loop
	buf := l.fileBuf()
	n, err := io.ReadFull(f, buf[:min(left, int64(len(buf)))])
	if err != nil && n == 0 {
		f.Close()
		logf(LogWarn, "lws: %v: reading a file: %v", c, err)
		return c.ReturnHTTPStatus(500, "")
	}
	t.txBytes += int64(n)
	if err := c.httpWire().sendHead(c, t, b, buf[:n], int64(n) == left); err != nil {
		f.Close()
		return err
	}
	c.headersGone()
	if err != nil {
		f.Close()
		return errFileShrank
	}
	if left -= int64(n); left > 0 {
		t.file = &fileTx{f: f, left: left, off: off + int64(n)}
		c.CallbackOnWritable()
		return nil
	}
	f.Close()
	return c.fileCompleted()
}

var (
	errFileShrank = errors.New("lws: file ended before its length")
	errIsFolder   = errors.New("lws: a folder named without its slash")
)

// openRegular opens name, or the mount's default file when name is a
// directory that the request named with its trailing slash (slashed).
func openRegular(fsys fs.FS, name string, m *mount, slashed bool) (fs.File, fs.FileInfo, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if st.IsDir() && m != nil {
		f.Close()
		if !slashed {
			return nil, nil, errIsFolder
		}
		return openRegular(fsys, path.Join(name, m.def), nil, true)
	}
	if !st.IsDir() && !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, fs.ErrNotExist
	}
	return f, st, nil
}

// processStart stands in for the modification time of files whose file
// system reports none: the time the process started, to the second.
var processStart = time.Now().Truncate(time.Second)

// fileModTime is the modification time a served file is described by, in
// its Last-Modified and ETag and when conditional requests are evaluated.
// A zero ModTime, which embed.FS reports for every file (and fstest.MapFS
// when none is given), is no date at all: it would be sent as "Mon, 01 Jan
// 0001", would make every If-Modified-Since claim the file unchanged, and
// would leave the ETag the same when a rebuilt binary embeds new content
// of the same length. Such files are dated from processStart instead, so
// clients revalidate once after each restart and are then answered 304.
func fileModTime(st fs.FileInfo) time.Time {
	if mod := st.ModTime(); !mod.IsZero() {
		return mod
	}
	return processStart
}

// etag makes a file's entity tag from its length and modification time,
// in the loop's buffer for it.
func (l *loop) etag(size int64, mod time.Time) []byte {
	b := append(l.etagBuf[:0], '"')
	b = strconv.AppendInt(b, size, 16)
	b = append(b, '-')
	b = strconv.AppendInt(b, mod.UnixNano(), 16)
	return append(b, '"')
}

// notModified evaluates If-None-Match, or without it If-Modified-Since.
func notModified(ah *hdr.Table, etag []byte, mod time.Time) bool {
	if ah.Has(hdr.TokenIfNoneMatch) {
		return httpsem.ETagMatch(ah.Copy(nil, hdr.TokenIfNoneMatch), string(etag))
	}
	if ah.Has(hdr.TokenIfModifiedSince) {
		t, ok := httpsem.ParseHTTPDate(ah.Copy(nil, hdr.TokenIfModifiedSince))
		return ok && !mod.Truncate(time.Second).After(t)
	}
	return false
}

// ifRangeHolds evaluates If-Range: the range applies only to the
// representation the client has.
func ifRangeHolds(ah *hdr.Table, etag []byte, mod time.Time) bool {
	if !ah.Has(hdr.TokenIfRange) {
		return true
	}
	v := ah.Copy(nil, hdr.TokenIfRange)
	if len(v) > 0 && v[0] == '"' {
		return string(v) == string(etag)
	}
	t, ok := httpsem.ParseHTTPDate(v)
	return ok && mod.Truncate(time.Second).Equal(t)
}

func acceptsGzip(ah *hdr.Table) bool {
	for i := range ah.FragmentCount(hdr.TokenAcceptEncoding) {
		list := ah.Fragment(hdr.TokenAcceptEncoding, i)
		for len(list) > 0 {
			var item []byte
			item, list = nextListItem(list)
			q := []byte(nil)
			if j := bytes.IndexByte(item, ';'); j >= 0 {
				item, q = ascii.TrimOWS(item[:j]), ascii.TrimOWS(item[j+1:])
			}
			if ascii.EqualFold(item, "gzip") {
				return !(len(q) >= 3 && (string(q) == "q=0" || string(q) == "q=0.0" || string(q) == "q=0.00" || string(q) == "q=0.000"))
			}
		}
	}
	return false
}

// sendFilePiece sends the next piece of the file being served, from the
// HTTP role's WRITEABLE.
func (c *Conn) sendFilePiece() error {
	t := c.txn()
	ft := t.file
	l := c.loop
	if ft.warming {
		return nil // fileWarmed goes on
	}
	if osf, ok := ft.f.(*os.File); ok {
		zeroCopy := c.tlsState() == nil && c.httpWire().plainBody()
		k := min(ft.left, filePiece)
		if zeroCopy {
			k = min(ft.left, warmPiece)
		}
		if !fileCached(osf, ft.off, k) {
			c.warmFile(ft, k)
			return nil
		}
		if zeroCopy {
			return c.sendFileZeroCopy(osf)
		}
	}
	buf := l.fileBuf()
	n, err := io.ReadFull(ft.f, buf[:min(ft.left, int64(len(buf)))])
	if n > 0 {
		if _, err := c.httpWire().sendBody(c, t, buf[:n], int64(n) == ft.left); err != nil {
			return err
		}
		ft.left -= int64(n)
		ft.off += int64(n)
		t.txBytes += int64(n)
	}
	if err != nil {
		return errFileShrank
	}
	if ft.left > 0 {
		c.CallbackOnWritable()
		return nil
	}
	c.endFile()
	return c.fileCompleted()
}

// sendFileZeroCopy sends the next piece of a file on disk with
// sendfile(2): the kernel copies from the page cache to the socket.
func (c *Conn) sendFileZeroCopy(f *os.File) error {
	t := c.txn()
	ft := t.file
	if err := c.flushStage(); err != nil {
		return err
	}
	if c.outOff < len(c.out) {
		c.CallbackOnWritable()
		return nil
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var n int
	var serr error
	if err := rc.Read(func(fd uintptr) bool {
		n, serr = unix.Sendfile(int(c.fd), int(fd), nil, int(min(ft.left, warmPiece)))
		return true
	}); err != nil {
		return err
	}
	c.loop.writeCalls++
	switch {
	case serr == unix.EAGAIN || serr == unix.EINTR:
		c.writeReady = false
	case serr != nil:
		return serr
	case n == 0:
		return errFileShrank
	}
	if n > 0 {
		ft.left -= int64(n)
		ft.off += int64(n)
		t.txBytes += int64(n)
		c.countTx(n)
	}
	if ft.left > 0 {
		c.CallbackOnWritable()
		return nil
	}
	c.endFile()
	return c.fileCompleted()
}

// endFile closes the file being served, if any.
func (c *Conn) endFile() {
	if t := c.txn(); t != nil && t.file != nil {
		t.file.f.Close()
		t.file = nil
	}
}

// fileCompleted tells the protocol a served file has gone and completes
// the transaction.
func (c *Conn) fileCompleted() error {
	if err := c.callback(CallbackHTTPFileCompletion, nil); err != nil {
		return err
	}
	if c.Closed() {
		return nil
	}
	return c.HTTPTransactionCompleted()
}
