// Package rawtest is lws's protocol-lws-raw-test for golws: it exercises
// both kinds of RAW connection the library serves, sockets that carry
// bytes without any framing and adopted file descriptors that the
// protocol reads itself.
//
// # RAW sockets
//
// Every RAW socket bound to the protocol has what it receives echoed back
// to it. To have a vhost hand over connections that do not speak HTTP,
// give it
//
//	lws.VhostInfo{
//		Options:              lws.OptionFallbackToApplyListenAcceptConfig,
//		ListenAcceptRole:     lws.RoleRawSkt,
//		ListenAcceptProtocol: rawtest.Name,
//		...
//	}
//
// A client whose first bytes are not an HTTP method then becomes a RAW
// socket of this protocol, and HTTP clients are served as usual. (lws's
// configuration marks the protocol with the per-vhost option "raw": "1";
// in golws ListenAcceptProtocol says it, and the protocol reads no
// option for it.)
//
// As in lws, each RAW_RX is copied to the session in pieces of at most
// 128 bytes (the protocol's RxBufferSize, so that a read normally is one
// piece) and written back from RAW_WRITEABLE, one piece per callback.
// Where lws keeps a single piece and drops what a second read brings
// before the first is echoed, here up to 16 pieces wait, and reception is
// turned off (RxFlowControl) while that many do and on again once all are
// sent: a client that sends faster than it reads is slowed down by TCP
// and loses nothing, and a connection holds at most 16 pieces (plus, once,
// the first read of a connection that fell back from HTTP, which is made
// before the protocol is known and may be as large as the service
// buffer).
//
// # RAW files
//
// With the per-vhost option "fifo-path", PROTOCOL_INIT makes a FIFO at
// that path (mode 0666 before the umask; an existing FIFO is used as it
// is, anything else there is an error), opens it for reading without
// blocking and adopts it on the vhost as a RAW file of this protocol. What
// writers put in the FIFO is read on each RAW_RX_FILE and logged at
// NOTICE level:
//
//	protocol-lws-raw-test: FIFO /tmp/lws-test-raw: read 6 bytes: "hello\n"
//
// When the last writer closes its end, the read returns nothing and the
// FIFO stays readable for ever: as lws does, the protocol then closes the
// adopted descriptor and, from its RAW_CLOSE_FILE, opens the FIFO again
// and adopts the new descriptor, ready for the next writer. A FIFO the
// protocol made is removed at PROTOCOL_DESTROY.
package rawtest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"

	"github.com/golws/lws"
)

// Name is the protocol's name.
const Name = "protocol-lws-raw-test"

// pieceSize is the most one RAW_RX hands over and one RAW_WRITEABLE
// echoes, as lws's 128-byte session buffer.
const pieceSize = 128

// queuePieces is how many pieces a connection may hold before reception
// is turned off.
const queuePieces = 16

// fifoReadSize is the most one RAW_RX_FILE reads, as in lws.
const fifoReadSize = 255

// errFIFOClosed closes an adopted file that has nothing more to read: a
// FIFO whose last writer left.
var errFIFOClosed = errors.New("rawtest: end of file")

// vhostData is the protocol's state on one vhost.
type vhostData struct {
	vh       *lws.Vhost
	fifoPath string    // "" without the fifo-path option
	made     bool      // the protocol made the FIFO: it removes it
	fifo     *lws.Conn // the adopted FIFO, while it is open
	reopen   bool      // the FIFO's writer closed it: open it again
	gone     bool      // PROTOCOL_DESTROY came: never open the FIFO again
}

// session is one RAW socket's echo queue: pieces received and not yet
// echoed, oldest first. Its buffers are made as pieces arrive, so an idle
// connection holds none.
type session struct {
	q     [][]byte // pieces in order, each of at most pieceSize bytes
	free  [][]byte // buffers of sent pieces, for reuse
	bytes int      // bytes in q
}

func init() { lws.RegisterProtocol(Name, Protocol) }

// Protocol returns the protocol, ready for a vhost's Protocols.
func Protocol() lws.Protocol {
	return lws.Protocol{
		Name:         Name,
		Callback:     callback,
		NewSession:   func() any { return new(session) },
		RxBufferSize: pieceSize,
	}
}

func callback(c *lws.Conn, reason lws.Reason, in []byte) error {
	switch reason {
	case lws.CallbackProtocolInit:
		vd := &vhostData{vh: c.Vhost()}
		c.SetVhostData(vd)
		path, ok := c.ProtocolOption("fifo-path")
		if !ok || path == "" {
			return nil // no FIFO to watch
		}
		vd.fifoPath = path
		if err := vd.makeFIFO(); err != nil {
			return err
		}
		if err := vd.openFIFO(); err != nil {
			vd.removeFIFO()
			return err
		}
		if vd.made {
			lws.Noticef("%s: FIFO %s created", Name, path)
		} else {
			lws.Noticef("%s: FIFO %s opened", Name, path)
		}

	case lws.CallbackProtocolDestroy:
		if vd, ok := c.VhostData().(*vhostData); ok && vd != nil {
			vd.gone = true
			vd.removeFIFO()
		}
		c.SetVhostData(nil)

	// The FIFO.

	case lws.CallbackRawRXFile:
		vd := vhostDataOf(c)
		what := c.String()
		if vd != nil && c == vd.fifo {
			what = "FIFO " + vd.fifoPath
		}
		var buf [fifoReadSize]byte
		n, err := unix.Read(c.FD(), buf[:])
		switch {
		case err == unix.EAGAIN || err == unix.EINTR:
			return nil // nothing after all; the loop polls again
		case err != nil:
			lws.Errf("%s: %s: read: %v", Name, what, err)
			return err
		case n == 0:
			// The last writer went: a FIFO now polls readable for
			// ever. Close it, and open it again from RAW_CLOSE_FILE.
			if vd != nil && c == vd.fifo {
				vd.reopen = true
			}
			return errFIFOClosed
		}
		lws.Noticef("%s: %s: read %d bytes: %q", Name, what, n, buf[:n])

	case lws.CallbackRawCloseFile:
		vd := vhostDataOf(c)
		if vd == nil || c != vd.fifo {
			return nil
		}
		vd.fifo = nil
		if !vd.reopen || vd.gone {
			// Closed for another reason (the vhost is going, a read
			// failed): it stays closed.
			return nil
		}
		vd.reopen = false
		if err := vd.openFIFO(); err != nil {
			lws.Errf("%s: FIFO %s: %v", Name, vd.fifoPath, err)
			return nil
		}
		lws.Noticef("%s: FIFO %s reopened", Name, vd.fifoPath)

	// RAW sockets.

	case lws.CallbackRawRX:
		s, ok := c.User().(*session)
		if !ok || s == nil {
			return nil
		}
		for len(in) > 0 {
			n := min(len(in), pieceSize)
			s.push(in[:n])
			in = in[n:]
		}
		if len(s.q) >= queuePieces {
			if err := c.RxFlowControl(false); err != nil {
				return err
			}
		}
		c.CallbackOnWritable()

	case lws.CallbackRawWriteable:
		s, ok := c.User().(*session)
		if !ok || s == nil || len(s.q) == 0 {
			return nil // a WRITEABLE nobody asked for
		}
		if _, err := c.Write(s.q[0], lws.WriteRaw); err != nil {
			return err
		}
		s.pop()
		if len(s.q) > 0 {
			c.CallbackOnWritable()
		} else if !c.RxFlowAllowed() {
			return c.RxFlowControl(true)
		}

	default:
		return lws.CallbackHTTPDummy(c, reason, in)
	}
	return nil
}

// vhostDataOf returns the protocol's state on c's vhost, or nil.
func vhostDataOf(c *lws.Conn) *vhostData {
	vd, _ := c.VhostData().(*vhostData)
	return vd
}

// push queues a copy of p, at most pieceSize bytes.
func (s *session) push(p []byte) {
	var b []byte
	if n := len(s.free); n > 0 {
		b = s.free[n-1][:0]
		s.free[n-1] = nil
		s.free = s.free[:n-1]
	} else {
		b = make([]byte, 0, pieceSize)
	}
	s.q = append(s.q, append(b, p...))
	s.bytes += len(p)
}

// pop drops the oldest piece, keeping its buffer for reuse.
func (s *session) pop() {
	b := s.q[0]
	s.bytes -= len(b)
	n := copy(s.q, s.q[1:])
	s.q[n] = nil
	s.q = s.q[:n]
	if len(s.free) < queuePieces {
		s.free = append(s.free, b)
	}
}

// makeFIFO makes the FIFO at fifoPath, or checks that the one there is a
// FIFO.
func (vd *vhostData) makeFIFO() error {
	err := unix.Mkfifo(vd.fifoPath, 0o666)
	if err == nil {
		vd.made = true
		return nil
	}
	if !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("%s: mkfifo %s: %w", Name, vd.fifoPath, err)
	}
	fi, err := os.Stat(vd.fifoPath)
	if err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	if fi.Mode().Type() != fs.ModeNamedPipe {
		return fmt.Errorf("%s: %s exists and is not a FIFO", Name, vd.fifoPath)
	}
	return nil
}

// openFIFO opens the FIFO for reading and adopts it on the vhost.
func (vd *vhostData) openFIFO() error {
	fd, err := unix.Open(vd.fifoPath, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("%s: opening FIFO %s: %w", Name, vd.fifoPath, err)
	}
	// The library owns fd from here on, also when adoption fails.
	c, err := vd.vh.AdoptDescriptor(lws.AdoptInfo{Type: lws.AdoptRawFileDesc, FD: fd, Protocol: Name})
	if err != nil {
		return fmt.Errorf("%s: adopting FIFO %s: %w", Name, vd.fifoPath, err)
	}
	vd.fifo = c
	return nil
}

// removeFIFO removes the FIFO if the protocol made it.
func (vd *vhostData) removeFIFO() {
	if !vd.made {
		return
	}
	vd.made = false
	if err := os.Remove(vd.fifoPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		lws.Warnf("%s: removing FIFO %s: %v", Name, vd.fifoPath, err)
	}
}
