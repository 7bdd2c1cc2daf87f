package lws_test

import (
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/golws/lws"
)

// TestSendQueueLimit: a RAW server writes 48 KiB per WRITEABLE (more than
// the loop gathers, so that each write meets the kernel), as fast as it
// is let, to a client with a 4 KiB receive buffer that does not read.
// The connection must be choked (SendPipeChoked after a write) once the
// kernel holds SendQueueLimit unsent bytes: what the server got out by
// then is at most the limit, one write and what the client's buffer took.
// Left to the send buffer (a negative limit, lws's way), Linux lets
// megabytes out first. Once the client reads, WRITEABLE comes back.
func TestSendQueueLimit(t *testing.T) {
	const chunk = 48 << 10
	for _, tc := range []struct {
		name    string
		limit   int
		atMost  int64 // bytes out when first choked
		atLeast int64
	}{
		{"default", 0, lws.DefaultSendQueueLimit + chunk + 32<<10, 0},
		{"16KiB", 16 << 10, 16<<10 + chunk + 32<<10, 0},
		{"none", -1, 1 << 62, 256 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.limit < 0 && wmemMax() < 1<<20 {
				t.Skip("net.ipv4.tcp_wmem's maximum is under 1 MiB: the send buffer alone is a tight bound")
			}
			forEachBackend(t, func(t *testing.T, backend string) {
				var out atomic.Int64
				choked := make(chan int64, 1)
				buf := make([]byte, chunk)
				proto := lws.Protocol{Name: "flood", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
					switch reason {
					case lws.CallbackRawAdopt:
						c.CallbackOnWritable()
					case lws.CallbackRawWriteable:
						if _, err := c.Write(buf, lws.WriteRaw); err != nil {
							return err
						}
						n := out.Add(chunk)
						if c.SendPipeChoked() {
							select {
							case choked <- n:
							default:
							}
						}
						c.CallbackOnWritable()
					}
					return nil
				}}
				var vh *lws.Vhost
				newContext(t, lws.ContextInfo{EventLib: backend, SendQueueLimit: tc.limit}, func(cx *lws.Context) {
					vh = rawVhost(t, cx, "flood", proto)
				})
				d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
					var serr error
					err := rc.Control(func(fd uintptr) {
						serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 4096)
					})
					return errors.Join(err, serr)
				}}
				nc, err := d.Dial("tcp", addr(vh))
				if err != nil {
					t.Fatal(err)
				}
				defer nc.Close()
				var first int64
				select {
				case first = <-choked:
				case <-time.After(10 * time.Second):
					t.Fatalf("never choked; %d bytes out", out.Load())
				}
				t.Logf("choked after %d KiB out", first>>10)
				if first > tc.atMost || first < tc.atLeast {
					t.Fatalf("choked after %d bytes out, want %d to %d", first, tc.atLeast, tc.atMost)
				}
				// Reading lets the socket drain: the writes resume.
				_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
				if _, err := io.CopyN(io.Discard, nc, first+4*chunk); err != nil {
					t.Fatalf("reading after the choke: %v (%d bytes out)", err, out.Load())
				}
			})
		})
	}
}

// wmemMax is the largest send buffer Linux grows a TCP socket's to
// (net.ipv4.tcp_wmem's third figure), or 0 if it cannot be read.
func wmemMax() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/tcp_wmem")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) != 3 {
		return 0
	}
	n, _ := strconv.Atoi(f[2])
	return n
}
