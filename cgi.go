package lws

import "github.com/golws/lws/h1"

// cgiState is a CGI program serving a transaction.
type cgiState struct{}

func (c *Conn) startCGI(m *mount, method h1.Token, uri, rest []byte) error {
	return c.ReturnHTTPStatus(501, "")
}

func (c *Conn) cgiWriteable() error   { return nil }
func (c *Conn) cgiClose()             {}
func (c *Conn) cgiStdin([]byte) error { return nil }
func (c *Conn) cgiStdinDone()         {}
