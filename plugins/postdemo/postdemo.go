// Package postdemo is lws's protocol-post-demo for golws: an HTTP protocol
// that reads an HTML form posted to it and answers with a page listing
// what the form held. It shows how an HTTP callback protocol reads a
// request body with package spa (lws's lws_spa) and answers from
// HTTP_WRITEABLE callbacks, and it is the target of the form tests.
//
// Serve it from a callback mount:
//
//	lws.Mount{Mountpoint: "/formtest", Origin: "callback://protocol-post-demo"}
//
// A request with a body (application/x-www-form-urlencoded or
// multipart/form-data) is parsed as it arrives, keeping the parameters
// "text", "send", "file" and "upload" (at most 1024 bytes of values in
// all). Once the body is complete the answer is a 200 text/html page, a
// table of each parameter's name, length and value (HTML-escaped; "NULL"
// with length 0 when the form did not hold it), followed, if a file was
// uploaded, by its filename and length. A request without a body (a GET
// of the mountpoint) is answered with a form that posts there.
//
// The content of an uploaded file is written, as it arrives, to a
// temporary file made with os.CreateTemp in os.TempDir (named
// "post-file-*", mode 0600), never to a name the client chose. A file of
// more than 100000 bytes is refused with 413; a later file part of the
// same form replaces an earlier one. The temporary file is removed when
// the transaction ends, whichever way it ends.
//
// A body the form parser refuses is answered with the status spa.StatusOf
// gives: 400 for a malformed or truncated form, 413 for one over the
// limits, 415 for a body that is not a form. Each transaction has its own
// session: keep-alive connections carry any number of them.
//
// The page is sent lws's way: the head in one HTTP_WRITEABLE callback,
// the body in the next, then the transaction is completed.
package postdemo

import (
	"errors"
	"html"
	"os"
	"strconv"
	"strings"

	"github.com/golws/lws"
	"github.com/golws/lws/hdr"
	"github.com/golws/lws/spa"
)

// Name is the protocol's name, the target of callback:// mounts.
const Name = "protocol-post-demo"

// maxStorage bounds the bytes of the values of params, as in lws.
const maxStorage = 1024

// maxFileSize is the largest uploaded file accepted, as in lws.
const maxFileSize = 100000

// params are the form parameters kept, in the order the page lists them.
var params = []string{"text", "send", "file", "upload"}

// errFileTooLarge refuses an uploaded file over maxFileSize; spa.StatusOf
// maps it to 413.
var errFileTooLarge error = statusError{"postdemo: uploaded file larger than 100000 bytes", 413}

type statusError struct {
	msg    string
	status int
}

func (e statusError) Error() string   { return e.msg }
func (e statusError) HTTPStatus() int { return e.status }

// What a session has left to send.
const (
	sendNothing = iota
	sendHead
	sendBody
)

// session is one transaction's state.
type session struct {
	spa *spa.Parser

	// the uploaded file
	f        *os.File // open while its content arrives
	path     string   // the temporary file, removed when the transaction ends
	filename string   // as the client named it
	length   int64
	uploaded bool

	state int
	page  []byte // the answer's body, made before its head
}

func init() { lws.RegisterProtocol(Name, Protocol) }

// Protocol returns the protocol, ready for a vhost's Protocols.
func Protocol() lws.Protocol {
	return lws.Protocol{
		Name:       Name,
		Callback:   callback,
		NewSession: func() any { return new(session) },
	}
}

func callback(c *lws.Conn, reason lws.Reason, in []byte) error {
	switch reason {
	case lws.CallbackHTTP:
		s := c.User().(*session)
		if hasBody(c) {
			return nil // the body follows: HTTP_BODY, then HTTP_BODY_COMPLETION
		}
		s.page = formPage()
		s.state = sendHead
		c.CallbackOnWritable()

	case lws.CallbackHTTPBody:
		s := c.User().(*session)
		if err := s.newParser(c); err != nil {
			return fail(c, s, err)
		}
		if _, err := s.spa.Write(in); err != nil {
			return fail(c, s, err)
		}

	case lws.CallbackHTTPBodyCompletion:
		s := c.User().(*session)
		// A chunked body may end without a byte: no HTTP_BODY came.
		if err := s.newParser(c); err != nil {
			return fail(c, s, err)
		}
		if err := s.spa.Finalize(); err != nil {
			return fail(c, s, err)
		}
		s.page = s.resultPage()
		s.state = sendHead
		c.CallbackOnWritable()

	case lws.CallbackHTTPWriteable:
		s, _ := c.User().(*session)
		if s == nil {
			return nil
		}
		switch s.state {
		case sendHead:
			b, err := c.AddHTTPCommonHeaders(nil, 200, "text/html", int64(len(s.page)))
			if err != nil {
				return err
			}
			if err := c.FinalizeWriteHTTPHeader(b); err != nil {
				return err
			}
			s.state = sendBody
			c.CallbackOnWritable()
		case sendBody:
			page := s.page
			s.release()
			s.state, s.page = sendNothing, nil
			if _, err := c.Write(page, lws.WriteHTTPFinal); err != nil {
				return err
			}
			return c.HTTPTransactionCompleted()
		}

	case lws.CallbackHTTPDropProtocol, lws.CallbackClosedHTTP:
		if s, ok := c.User().(*session); ok && s != nil {
			s.release()
		}
	}
	return nil
}

// hasBody reports whether the request has a body to come: it is framed
// chunked, or its Content-Length is not 0.
func hasBody(c *lws.Conn) bool {
	if c.HdrFragmentCount(hdr.TokenTransferEncoding) > 0 {
		return true
	}
	if c.HdrFragmentCount(hdr.TokenContentLength) == 0 {
		return false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(c.HdrFragment(hdr.TokenContentLength, 0))), 10, 64)
	return err != nil || n != 0
}

// newParser makes the transaction's form parser, once, for the request's
// Content-Type.
func (s *session) newParser(c *lws.Conn) error {
	if s.spa != nil {
		return nil
	}
	p, err := spa.New(c.Hdr(hdr.TokenContentType), spa.Config{
		Params:     params,
		MaxStorage: maxStorage,
		File:       s.file,
	})
	if err != nil {
		return err
	}
	s.spa = p
	return nil
}

// fail answers a request whose form could not be read with the status
// the error calls for, and ends the transaction.
func fail(c *lws.Conn, s *session, err error) error {
	status := spa.StatusOf(err)
	lws.Infof("%s: %v: answering %d", Name, err, status)
	s.release()
	s.state, s.page = sendNothing, nil
	return c.ReturnHTTPStatus(status, "")
}

// file receives the events of uploaded file parts from the form parser.
func (s *session) file(ev spa.FileEvent) error {
	switch ev.State {
	case spa.FileOpen:
		s.removeFile() // a later file part replaces an earlier one
		f, err := os.CreateTemp("", "post-file-*")
		if err != nil {
			return err
		}
		s.f, s.path = f, f.Name()
		s.filename, s.length, s.uploaded = ev.Filename, 0, true
	case spa.FileContent, spa.FileFinalContent:
		if len(ev.Data) == 0 {
			return nil
		}
		if s.f == nil {
			return errors.New("postdemo: file content without an open file")
		}
		if s.length+int64(len(ev.Data)) > maxFileSize {
			return errFileTooLarge
		}
		n, err := s.f.Write(ev.Data)
		s.length += int64(n)
		return err
	case spa.FileClose:
		if s.f != nil {
			err := s.f.Close()
			s.f = nil
			return err
		}
	}
	return nil
}

// removeFile closes and removes the temporary file, if any.
func (s *session) removeFile() {
	if s.f != nil {
		_ = s.f.Close()
		s.f = nil
	}
	if s.path != "" {
		if err := os.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			lws.Warnf("%s: removing %s: %v", Name, s.path, err)
		}
		s.path = ""
	}
}

// release lets go of what the transaction holds: the form parser (a file
// still open is closed) and the temporary file.
func (s *session) release() {
	if s.spa != nil {
		_ = s.spa.Finalize()
		s.spa = nil
	}
	s.removeFile()
}

// resultPage is the page listing the form's parameters.
func (s *session) resultPage() []byte {
	b := make([]byte, 0, 512)
	b = append(b, "<html><body><h1>Form results (after urldecoding)</h1>"+
		"<table><tr><td>Name</td><td>Length</td><td>Value</td></tr>"...)
	for _, name := range params {
		b = append(b, "<tr><td><b>"...)
		b = append(b, name...)
		b = append(b, "</b></td><td>"...)
		v, ok := s.spa.Get(name)
		if !ok {
			b = append(b, "0</td><td>NULL</td></tr>"...)
			continue
		}
		b = strconv.AppendInt(b, int64(s.spa.Len(name)), 10)
		b = append(b, "</td><td>"...)
		b = append(b, html.EscapeString(v)...)
		b = append(b, "</td></tr>"...)
	}
	b = append(b, "</table>"...)
	if s.uploaded {
		b = append(b, "<br><b>filename:</b> "...)
		b = append(b, html.EscapeString(s.filename)...)
		b = append(b, ", <b>length</b> "...)
		b = strconv.AppendInt(b, s.length, 10)
	}
	return append(b, "</body></html>"...)
}

// formPage is the answer to a request without a body: a form that posts
// to the page's own URL.
func formPage() []byte {
	return []byte("<html><body><h1>POST demo</h1>" +
		`<form method="post" enctype="multipart/form-data">` +
		`<p><input type="text" name="text" value=""></p>` +
		`<p><input type="file" name="upload"></p>` +
		`<p><input type="submit" name="send" value="SEND"></p>` +
		"</form></body></html>")
}
