package lws

import "errors"

// roleNone is the role of a connection that has none yet (an accepted
// socket before its adoption, a client before it is connected) or never
// has one (a listener, a vhost-protocol instance), so that the role
// operations can always be asked.
type roleNone struct{ roleBase }

var noRole role = roleNone{}

var errNoRole = errors.New("lws: connection has no role to read or write with")

func (roleNone) name() string                                { return "none" }
func (roleNone) rx(*Conn, []byte) (int, error)               { return 0, errNoRole }
func (roleNone) writeable(*Conn) error                       { return nil }
func (roleNone) write(*Conn, []byte, WriteType) (int, error) { return 0, errNoRole }
func (roleNone) closed(*Conn)                                {}
