// Command raw-netcat is golws's minimal RAW client: like netcat, it copies
// its standard input to a TCP connection and the connection to its standard
// output.
//
//	go run ./examples/raw-netcat 127.0.0.1 7681
//
// Both ends live in one service loop: standard input is adopted as a RAW
// file descriptor and the connection is a RAW client ("RAW" method). Input
// waits in a bounded buffer until the socket is writeable; while that
// buffer is full, standard input is not read (RxFlowControl). When input
// ends, the sending side of the connection is shut down once everything was
// sent, and the program exits when the peer closes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/golws/lws"
)

const bufferSize = 16 << 10

// netcat is the state shared by the two connections; both live on the one
// loop, so no locking is needed.
type netcat struct {
	sock, stdin *lws.Conn
	pending     []byte // read from stdin, not yet sent
	stdinDone   bool
	halfClosed  bool
	err         error
	stop        context.CancelFunc
}

func (n *netcat) callback(c *lws.Conn, reason lws.Reason, in []byte) error {
	switch reason {
	case lws.CallbackClientConnectionError:
		n.err = errors.New(string(in))
		n.stop()

	case lws.CallbackRawConnected:
		lws.Userf("connected to %v", c.PeerAddr())
		if len(n.pending) > 0 || n.stdinDone {
			c.CallbackOnWritable()
		}

	case lws.CallbackRawRX:
		if _, err := os.Stdout.Write(in); err != nil {
			return err
		}

	case lws.CallbackRawWriteable:
		if len(n.pending) > 0 {
			if _, err := c.Write(n.pending, lws.WriteRaw); err != nil {
				return err
			}
			n.pending = n.pending[:0]
			if n.stdin != nil && !n.stdinDone {
				if err := n.stdin.RxFlowControl(true); err != nil {
					return err
				}
			}
			if n.stdinDone {
				c.CallbackOnWritable() // come back to shut down once this is sent
			}
			return nil
		}
		if n.stdinDone && !n.halfClosed {
			// Everything was sent: tell the peer we are done, keep reading.
			n.halfClosed = true
			return unix.Shutdown(c.FD(), unix.SHUT_WR)
		}

	case lws.CallbackRawClose:
		n.stop()

	case lws.CallbackRawRXFile:
		free := n.pending[len(n.pending):cap(n.pending)]
		if len(free) == 0 {
			return c.RxFlowControl(false)
		}
		got, err := unix.Read(c.FD(), free)
		if err == unix.EAGAIN || err == unix.EINTR {
			return nil
		}
		if err != nil || got == 0 {
			n.stdinDone = true
			if n.sock != nil {
				n.sock.CallbackOnWritable()
			}
			return errors.New("end of input") // closes the stdin connection
		}
		n.pending = n.pending[:len(n.pending)+got]
		if len(n.pending) == cap(n.pending) {
			if err := c.RxFlowControl(false); err != nil {
				return err
			}
		}
		if n.sock != nil {
			n.sock.CallbackOnWritable()
		}

	case lws.CallbackRawCloseFile:
		n.stdin = nil
	}
	return nil
}

func main() {
	eventLib := flag.String("e", "", "event loop backend: epoll or poll (default: the platform's, or poll when stdin is a regular file)")
	logLevel := flag.Int("d", int(lws.DefaultLogLevel), "log level bit mask (lws's -d)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: raw-netcat [-d mask] [-e epoll|poll] HOST PORT")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 2 {
		flag.Usage()
		os.Exit(2)
	}
	port, err := strconv.Atoi(flag.Arg(1))
	if err != nil {
		fmt.Fprintln(os.Stderr, "raw-netcat: bad port:", flag.Arg(1))
		os.Exit(2)
	}
	lws.SetLogLevel(lws.LogLevel(*logLevel), nil)

	// epoll cannot watch a regular file; poll(2) reports one always ready.
	var st unix.Stat_t
	if *eventLib == "" && unix.Fstat(0, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG {
		*eventLib = lws.EventLibPoll
	}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	n := &netcat{pending: make([]byte, 0, bufferSize), stop: stop}

	cx, err := lws.NewContext(lws.ContextInfo{EventLib: *eventLib})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer cx.Destroy()
	vh, err := cx.CreateVhost(lws.VhostInfo{
		Port:      lws.PortNoListen,
		Protocols: []lws.Protocol{{Name: "raw-netcat", Callback: n.callback}},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	in, err := unix.Dup(0)
	if err == nil {
		n.stdin, err = vh.AdoptDescriptor(lws.AdoptInfo{Type: lws.AdoptRawFileDesc, FD: in})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "raw-netcat: stdin:", err)
		os.Exit(1)
	}
	n.sock, err = cx.ClientConnect(lws.ClientConnectInfo{Address: flag.Arg(0), Port: port, Method: "RAW"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := cx.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if n.err != nil {
		fmt.Fprintln(os.Stderr, "raw-netcat:", n.err)
		os.Exit(1)
	}
}
