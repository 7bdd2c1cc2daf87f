package lws_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/golws/lws"
)

// burstProtocol answers the line "go" with rounds chunks, one per
// WRITEABLE callback, each asking for the next; a final error, if set, is
// returned from the callback after the last write. calls records the
// loop's write system call count when "go" arrives.
func burstProtocol(rounds, size int, last error, calls *[]uint64, cx **lws.Context) lws.Protocol {
	sent := 0
	return lws.Protocol{Name: "burst", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackRawRX:
			*calls = append(*calls, lws.WriteCalls(*cx))
			c.CallbackOnWritable()
		case lws.CallbackRawWriteable:
			if sent == rounds {
				return nil
			}
			if held := c.BufferedAmount(); held != 0 {
				return fmt.Errorf("WRITEABLE with %d bytes held", held)
			}
			chunk := bytes.Repeat([]byte{byte('a' + sent%26)}, size)
			if _, err := c.Write(chunk, lws.WriteRaw); err != nil {
				return err
			}
			sent++
			if sent == rounds {
				return last
			}
			c.CallbackOnWritable()
		}
		return nil
	}}
}

// startBurst serves burstProtocol and sends it "go" from a new client
// connection, closed when the test ends.
func startBurst(t *testing.T, backend string, rounds, size int, last error, calls *[]uint64, cx **lws.Context) (*loopRunner, net.Conn) {
	t.Helper()
	r := newContext(t, lws.ContextInfo{EventLib: backend}, func(c *lws.Context) {
		*cx = c
		rawVhost(t, c, "burst", burstProtocol(rounds, size, last, calls, cx))
	})
	var port int
	r.do(func() { port = (*cx).Vhosts()[1].Port() })
	nc, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := nc.Write([]byte("go")); err != nil {
		t.Fatal(err)
	}
	return r, nc
}

func burstWant(rounds, size int) []byte {
	var want []byte
	for i := range rounds {
		want = append(want, bytes.Repeat([]byte{byte('a' + i%26)}, size)...)
	}
	return want
}

// TestWriteableCallbacksBatchWrites: a protocol that writes in one
// WRITEABLE after another, asking each time for the next, has its writes
// gathered: 64 callbacks of 100 bytes reach the kernel in one write, in
// order, and each callback sees nothing held.
func TestWriteableCallbacksBatchWrites(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		const rounds, size = 64, 100
		var calls []uint64
		var cx *lws.Context
		r, nc := startBurst(t, backend, rounds, size, nil, &calls, &cx)
		got := make([]byte, rounds*size)
		if _, err := io.ReadFull(nc, got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, burstWant(rounds, size)) {
			t.Fatal("the stream differs from the writes in order")
		}
		var before, after uint64
		r.do(func() {
			after = lws.WriteCalls(cx)
			before = calls[0]
		})
		if n := after - before; n != 1 {
			t.Fatalf("%d callbacks' writes took %d write system calls, want 1", rounds, n)
		}
	})
}

// TestBatchedWritesPrecedeClose: writes gathered in a pass reach the peer
// before the connection closes because the last callback returned an
// error, and larger-than-batch totals go out in order too.
func TestBatchedWritesPrecedeClose(t *testing.T) {
	for _, tc := range []struct {
		name         string
		rounds, size int
	}{{"small", 10, 100}, {"over-the-batch", 40, 3000}} {
		t.Run(tc.name, func(t *testing.T) {
			var calls []uint64
			var cx *lws.Context
			_, nc := startBurst(t, "", tc.rounds, tc.size, errors.New("done"), &calls, &cx)
			got, err := io.ReadAll(nc)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, burstWant(tc.rounds, tc.size)) {
				t.Fatalf("got %d bytes before EOF, want the %d written, in order", len(got), tc.rounds*tc.size)
			}
		})
	}
}
