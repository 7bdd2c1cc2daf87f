package lws

import (
	"errors"

	"golang.org/x/sys/unix"
)

// cgiPipe is the role of the pipes of a CGI program.
type cgiPipe struct{ roleBase }

var cgiPipeRole role = cgiPipe{}

func (cgiPipe) name() string                                      { return "cgi" }
func (cgiPipe) write(c *Conn, p []byte, _ WriteType) (int, error) { return c.send(nil, p) }
func (cgiPipe) closed(*Conn)                                      {}

// pipeOwner returns the HTTP connection a CGI pipe serves: its parent.
func pipeOwner(pc *Conn) (*Conn, error) {
	parent := pc.Parent()
	if parent == nil || parent.Closed() || parent.txn() == nil || parent.txn().cgi == nil {
		return nil, errors.New("lws: CGI pipe without its connection")
	}
	return parent, nil
}

func (cgiPipe) rx(pc *Conn, _ []byte) (int, error) {
	parent, err := pipeOwner(pc)
	if err != nil {
		return 0, err
	}
	switch st := parent.txn().cgi; pc {
	case st.errc:
		return 0, parent.cgiStderr()
	case st.out:
		if err := parent.cgiStdout(); err != nil {
			parent.loop.userClose(parent, err)
		}
	}
	return 0, nil
}

func (cgiPipe) writeable(pc *Conn) error {
	parent, err := pipeOwner(pc)
	if err != nil {
		return err
	}
	return parent.cgiFeed()
}

// adoptPipe makes a connection serving one of a CGI program's pipes for
// c; it owns the descriptor from then on, and c closes it.
func (c *Conn) adoptPipe(fd *int) (*Conn, error) {
	l := c.loop
	pc := newConn(l, c.vhost, *fd, kindFile)
	pc.writeReady = true
	pc.setRole(cgiPipeRole)
	*fd = -1
	if err := l.register(pc); err != nil {
		unix.Close(int(pc.fd))
		return nil, err
	}
	pc.setParent(c)
	pc.established = true
	return pc, nil
}
