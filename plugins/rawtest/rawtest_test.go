package rawtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/golws/lws"
	"github.com/golws/lws/internal/looptest"
)

// ioTimeout bounds every exchange of a test: it turns a hang into a
// failure and is never what a test waits for.
const ioTimeout = 10 * time.Second

// startServer runs a context with a vhost on 127.0.0.1 whose connections
// fall back to RAW sockets of the protocol when they do not start with an
// HTTP method; HTTP requests get the 404 of the first protocol. opts are
// the protocol's per-vhost options besides "raw". wrap, if not nil,
// wraps the protocol's callback. It returns the vhost's address.
func startServer(t *testing.T, backend string, opts map[string]string, wrap func(lws.Callback) lws.Callback) string {
	t.Helper()
	p := Protocol()
	if wrap != nil {
		p.Callback = wrap(p.Callback)
	}
	pvo := map[string]string{"raw": "1"}
	for k, v := range opts {
		pvo[k] = v
	}
	cx, err := lws.NewContext(lws.ContextInfo{EventLib: backend})
	if err != nil {
		t.Fatal(err)
	}
	vh, err := cx.CreateVhost(lws.VhostInfo{
		Name: "raw", Port: lws.PortAny, Iface: "127.0.0.1",
		Protocols:            []lws.Protocol{{Name: "http", Callback: lws.CallbackHTTPDummy}, p},
		ProtocolOptions:      map[string]map[string]string{Name: pvo},
		Options:              lws.OptionFallbackToApplyListenAcceptConfig,
		ListenAcceptRole:     lws.RoleRawSkt,
		ListenAcceptProtocol: Name,
	})
	if err != nil {
		cx.Destroy()
		t.Fatal(err)
	}
	looptest.Run(t, cx)
	return "127.0.0.1:" + strconv.Itoa(vh.Port())
}

func forEachBackend(t *testing.T, fn func(t *testing.T, backend string)) {
	for _, b := range []string{lws.EventLibEpoll, lws.EventLibPoll} {
		t.Run(b, func(t *testing.T) { fn(t, b) })
	}
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(ioTimeout))
	return nc
}

// echo sends p and expects it back.
func echo(t *testing.T, nc net.Conn, p string) {
	t.Helper()
	if _, err := io.WriteString(nc, p); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(p))
	if _, err := io.ReadFull(nc, got); err != nil {
		t.Fatalf("reading the echo of %q: %v (got %q)", p, err, got)
	}
	if string(got) != p {
		t.Fatalf("echo %q, want %q", got, p)
	}
}

func TestRawEcho(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		addr := startServer(t, backend, nil, nil)
		nc := dial(t, addr)
		echo(t, nc, "hello\n")
		echo(t, nc, "again, and a little longer than before\n")
		echo(t, nc, string(bytes.Repeat([]byte("0123456789abcdef"), 40))) // several pieces

		// Other clients are served alongside.
		nc2 := dial(t, addr)
		echo(t, nc2, "second client\n")
		echo(t, nc, "first client\n")
	})
}

func TestHTTPStillServed(t *testing.T) {
	addr := startServer(t, "", nil, nil)
	client := &http.Client{Timeout: ioTimeout}
	resp, err := client.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("HTTP answered %d, want the first protocol's 404", resp.StatusCode)
	}
	// And RAW on the same port, next to it.
	echo(t, dial(t, addr), "not HTTP\n")
}

// smallBuffers sets the kernel buffers of a socket that is not connected
// yet small, so that its writes stop after a few KiB when the peer does
// not read, and the peer's when it does not read itself.
func smallBuffers(fd int) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 4096); err != nil {
		return err
	}
	return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4096)
}

// TestFloodIsEchoedWhole has a client send 1 MiB without reading. The
// server's writes stall, its queue fills and it stops reading; the client
// then reads, and must get every byte back, in order.
func TestFloodIsEchoedWhole(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		var (
			stalled    = make(chan struct{}) // closed when the queue is full and the pipe choked
			stalledSet atomic.Bool
			maxPieces  atomic.Int64 // longest queue after an RAW_RX, the first one apart
			firstRX    atomic.Int64 // pieces queued by the first RAW_RX
			rxCount    atomic.Int64
			pauses     atomic.Int64 // times reception was turned off
			failure    atomic.Pointer[string]
		)
		fail := func(format string, args ...any) {
			msg := fmt.Sprintf(format, args...)
			failure.CompareAndSwap(nil, &msg)
		}
		wrap := func(inner lws.Callback) lws.Callback {
			return func(c *lws.Conn, reason lws.Reason, in []byte) error {
				if reason == lws.CallbackRawAdopt {
					// Only the send buffer: shrinking the receive
					// buffer of a connected socket below the window
					// already offered makes the kernel drop data and
					// wait for retransmissions.
					if err := unix.SetsockoptInt(c.FD(), unix.SOL_SOCKET, unix.SO_SNDBUF, 4096); err != nil {
						fail("server socket buffers: %v", err)
					}
				}
				wasOn := c.RxFlowAllowed()
				err := inner(c, reason, in)
				if reason != lws.CallbackRawRX {
					return err
				}
				if !wasOn {
					fail("RAW_RX while reception was off")
				}
				s := c.User().(*session)
				n := int64(len(s.q))
				total := 0
				for _, p := range s.q {
					if len(p) == 0 || len(p) > pieceSize {
						fail("a piece of %d bytes", len(p))
					}
					total += len(p)
				}
				if total != s.bytes {
					fail("queue holds %d bytes, counted %d", total, s.bytes)
				}
				if rxCount.Add(1) == 1 {
					firstRX.Store(n)
				} else if n > maxPieces.Load() {
					maxPieces.Store(n)
				}
				if !c.RxFlowAllowed() {
					pauses.Add(1)
					if c.SendPipeChoked() && !stalledSet.Swap(true) {
						close(stalled)
					}
				}
				return err
			}
		}
		addr := startServer(t, backend, nil, wrap)

		d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			var serr error
			if err := rc.Control(func(fd uintptr) { serr = smallBuffers(int(fd)) }); err != nil {
				return err
			}
			return serr
		}}
		nc, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(ioTimeout))

		flood := make([]byte, 1<<20)
		for i := range flood {
			flood[i] = byte(i ^ i>>8 ^ i>>16)
		}
		flood[0] = 'x' // not the start of an HTTP method
		written := make(chan error, 1)
		go func() {
			_, err := nc.Write(flood)
			written <- err
		}()

		// The client reads nothing until the server has stopped reading
		// because it cannot write.
		select {
		case <-stalled:
		case err := <-written:
			t.Fatalf("1 MiB was taken without the server ever stalling (write error %v)", err)
		case <-time.After(ioTimeout):
			t.Fatal("the server never stalled")
		}

		got := make([]byte, len(flood))
		if n, err := io.ReadFull(nc, got); err != nil {
			t.Fatalf("reading the echo: %d bytes: %v; %d reads, %d pauses", n, err, rxCount.Load(), pauses.Load())
		}
		if err := <-written; err != nil {
			t.Fatalf("writing the flood: %v", err)
		}
		if !bytes.Equal(got, flood) {
			i := 0
			for i < len(got) && got[i] == flood[i] {
				i++
			}
			t.Fatalf("the echo differs from what was sent at byte %d", i)
		}
		if msg := failure.Load(); msg != nil {
			t.Fatal(*msg)
		}
		if m := maxPieces.Load(); m > queuePieces {
			t.Fatalf("%d pieces queued, more than %d", m, queuePieces)
		}
		// The first read is made before the connection falls back to RAW,
		// with the service buffer (4 KiB).
		if f := firstRX.Load(); f > 4096/pieceSize {
			t.Fatalf("the first read queued %d pieces", f)
		}
		if pauses.Load() == 0 {
			t.Fatal("reception was never turned off")
		}
		t.Logf("%d reads, %d pauses", rxCount.Load(), pauses.Load())
	})
}

// openWriter opens the FIFO for writing; it blocks until the FIFO has a
// reader.
func openWriter(t *testing.T, path string) *os.File {
	t.Helper()
	type result struct {
		f   *os.File
		err error
	}
	ch := make(chan result, 1)
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		ch <- result{f, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r.f
	case <-time.After(ioTimeout):
		t.Fatal("the FIFO has no reader")
	}
	return nil
}

func TestFIFO(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		path := filepath.Join(t.TempDir(), "lws-test-raw")
		// Registered first, so it runs once the context is destroyed.
		t.Cleanup(func() {
			if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the FIFO the protocol made is still there after PROTOCOL_DESTROY: %v", err)
			}
		})
		log := watchLog(t)
		startServer(t, backend, map[string]string{"fifo-path": path}, nil)
		awaitLog(t, log, Name+": FIFO "+path+" created")
		if fi, err := os.Lstat(path); err != nil || fi.Mode().Type() != fs.ModeNamedPipe {
			t.Fatalf("%s: %v, %v", path, fi, err)
		}

		read := func(data string) string {
			return fmt.Sprintf("%s: FIFO %s: read %d bytes: %q", Name, path, len(data), data)
		}
		for i, data := range []string{"data\n", "more data, after re-opening\n", "and once more\n"} {
			w := openWriter(t, path)
			if _, err := io.WriteString(w, data); err != nil {
				t.Fatal(err)
			}
			awaitLog(t, log, read(data))
			if i == 0 {
				// A second write of the same writer.
				if _, err := io.WriteString(w, "second\n"); err != nil {
					t.Fatal(err)
				}
				awaitLog(t, log, read("second\n"))
			}
			// The writer leaves: the protocol opens the FIFO again.
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			awaitLog(t, log, Name+": FIFO "+path+" reopened")
		}
	})
}

func TestFIFOWriterGoneBeforeRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	log := watchLog(t)
	startServer(t, "", map[string]string{"fifo-path": path}, nil)
	// Write and close at once: the data and the writer's leaving come
	// together, and the data is still logged.
	w := openWriter(t, path)
	if _, err := io.WriteString(w, "quick\n"); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	awaitLog(t, log, fmt.Sprintf("%s: FIFO %s: read 6 bytes: %q", Name, path, "quick\n"))
	awaitLog(t, log, Name+": FIFO "+path+" reopened")
	w = openWriter(t, path)
	defer w.Close()
	if _, err := io.WriteString(w, "next\n"); err != nil {
		t.Fatal(err)
	}
	awaitLog(t, log, fmt.Sprintf("%s: FIFO %s: read 5 bytes: %q", Name, path, "next\n"))
}

func TestFIFOExisting(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	// A FIFO that was there is used, and left there.
	t.Cleanup(func() {
		if fi, err := os.Lstat(path); err != nil || fi.Mode().Type() != fs.ModeNamedPipe {
			t.Errorf("a FIFO the protocol did not make was removed: %v", err)
		}
	})
	log := watchLog(t)
	startServer(t, "", map[string]string{"fifo-path": path}, nil)
	w := openWriter(t, path)
	defer w.Close()
	if _, err := io.WriteString(w, "x"); err != nil {
		t.Fatal(err)
	}
	awaitLog(t, log, fmt.Sprintf("%s: FIFO %s: read 1 bytes: %q", Name, path, "x"))
}

func TestFIFOPathNotAFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	cx, err := lws.NewContext(lws.ContextInfo{})
	if err != nil {
		t.Fatal(err)
	}
	defer cx.Destroy()
	_, err = cx.CreateVhost(lws.VhostInfo{
		Port: lws.PortNoListen, Protocols: []lws.Protocol{Protocol()},
		ProtocolOptions: map[string]map[string]string{Name: {"fifo-path": path}},
	})
	if err == nil {
		t.Fatal("a vhost was made with a regular file as its FIFO")
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "x" {
		t.Fatalf("the file was touched: %q, %v", b, err)
	}
}
