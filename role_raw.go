package lws

// roleRawSkt is lws's raw-skt role: bytes in, bytes out, no framing.
type roleRawSkt struct{ roleBase }

var rawSkt role = roleRawSkt{}

func (roleRawSkt) name() string { return "raw-skt" }

// rx delivers p in pieces no larger than the protocol's RxBufferSize
// (reads are piece-sized already; a connection's first bytes after an
// HTTP fallback, or an adoption's read buffer, may not be).
func (roleRawSkt) rx(c *Conn, p []byte) (int, error) {
	used := 0
	for used < len(p) {
		n := min(len(p)-used, c.rxPieceSize())
		err := c.callback(CallbackRawRX, p[used:used+n])
		used += n
		if err != nil || c.Closed() || c.rxDisabled || c.role != rawSkt {
			return used, err
		}
	}
	return used, nil
}

func (roleRawSkt) writeable(c *Conn) error { return c.dispatchWriteable(CallbackRawWriteable) }

func (roleRawSkt) write(c *Conn, p []byte, _ WriteType) (int, error) { return c.send(nil, p) }

func (roleRawSkt) closed(c *Conn) {
	if err := c.callback(CallbackRawClose, nil); err != nil {
		logf(LogDebug, "lws: RAW_CLOSE on %v: %v", c, err)
	}
}

// roleRawFile is lws's raw-file role: the library polls an adopted
// descriptor and tells the protocol, which does its own reads.
type roleRawFile struct{ roleBase }

var rawFile role = roleRawFile{}

func (roleRawFile) name() string { return "raw-file" }

func (roleRawFile) rx(c *Conn, _ []byte) (int, error) {
	return 0, c.callback(CallbackRawRXFile, nil)
}

func (roleRawFile) writeable(c *Conn) error { return c.dispatchWriteable(CallbackRawWriteableFile) }

func (roleRawFile) write(c *Conn, p []byte, _ WriteType) (int, error) { return c.send(nil, p) }

func (roleRawFile) closed(c *Conn) {
	if err := c.callback(CallbackRawCloseFile, nil); err != nil {
		logf(LogDebug, "lws: RAW_CLOSE_FILE on %v: %v", c, err)
	}
}
