package lws

// DefaultSendQueueLimit is ContextInfo.SendQueueLimit's default: the most
// bytes a TCP connection's socket holds written but not yet sent before
// the connection counts as choked. lws has no such limit: it leaves the
// bound to the kernel's send buffer, which Linux grows by itself up to
// net.ipv4.tcp_wmem's maximum (4 MiB by default) when the peer's window
// is closed. 64 KiB keeps a connection whose peer does not read to that
// much kernel memory, while bytes in flight (sent, not yet acknowledged)
// are not counted, so a fast peer far away is not slowed.
const DefaultSendQueueLimit = 64 << 10

// limitUnsent applies the context's SendQueueLimit to a TCP socket. The
// kernel enforces it (TCP_NOTSENT_LOWAT): a write finds the socket full
// once that many bytes wait unsent, and the poller reports it writable
// again only when fewer than half as many do. So the loop's usual rule
// holds the limit with no work on the write path: a write the kernel does
// not take whole marks the connection choked (SendPipeChoked), its
// remainder is kept, and no WRITEABLE comes until the socket has drained.
func (l *loop) limitUnsent(fd int) {
	n := l.cx.info.SendQueueLimit
	if n == 0 {
		n = DefaultSendQueueLimit
	}
	if n < 0 {
		return
	}
	setNotsentLowat(fd, n)
}
