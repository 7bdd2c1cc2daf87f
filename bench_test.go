package lws_test

import (
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/golws/lws"
)

// BenchmarkRawEcho compares, in one run, golws's RAW echo (both backends)
// with the usual Go design, a goroutine per connection doing io.Copy. Each
// op is one message sent and its echo received; clients are Go net
// connections, each in its own goroutine, with one message in flight.
// allocs/op counts the whole process: server and clients.
func BenchmarkRawEcho(b *testing.B) {
	for _, size := range []int{64, 1024} {
		for _, conns := range []int{1, 64} {
			name := fmt.Sprintf("%dB-%dconns", size, conns)
			for _, backend := range backends {
				b.Run("golws-"+backend+"/"+name, func(b *testing.B) {
					var vh *lws.Vhost
					newContext(b, lws.ContextInfo{EventLib: backend}, func(cx *lws.Context) {
						vh = rawVhost(b, cx, "echo", echoProtocol())
					})
					runEchoLoad(b, addr(vh), size, conns)
				})
			}
			b.Run("net-goroutine-per-conn/"+name, func(b *testing.B) {
				ln := netEchoServer(b)
				runEchoLoad(b, ln.Addr().String(), size, conns)
			})
		}
	}
}

// netEchoServer is the goroutine-per-connection baseline.
func netEchoServer(b *testing.B) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	b.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln
}

func runEchoLoad(b *testing.B, address string, size, conns int) {
	clients := make([]net.Conn, conns)
	for i := range clients {
		nc, err := net.Dial("tcp", address)
		if err != nil {
			b.Fatal(err)
		}
		clients[i] = nc
	}
	defer func() {
		for _, nc := range clients {
			nc.Close()
		}
	}()
	driveLoad(b, size, conns, func(i int) func() error {
		nc := clients[i]
		msg := make([]byte, size)
		got := make([]byte, size)
		return func() error {
			if _, err := nc.Write(msg); err != nil {
				return err
			}
			_, err := io.ReadFull(nc, got)
			return err
		}
	})
}

// driveLoad runs b.N round trips spread over conns workers, each with one
// message in flight, and reports messages per second. newOp makes worker
// i's round trip; each worker makes one untimed round trip first so that
// buffers exist before timing.
func driveLoad(b *testing.B, size, conns int, newOp func(i int) func() error) {
	msgs := make(chan struct{}, conns)
	errs := make(chan error, conns)
	var wg sync.WaitGroup
	for i := range conns {
		op := newOp(i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range msgs {
				if err := op(); err != nil {
					errs <- err
					return
				}
			}
		}()
		msgs <- struct{}{}
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		msgs <- struct{}{}
	}
	close(msgs)
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
}

// TestRawEchoSteadyStateAllocatesNothing pins the allocation-free hot
// path: once a connection is set up, echoing a message allocates nothing
// anywhere in the process.
func TestRawEchoSteadyStateAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own; this runs in the non-race pass")
	}
	forEachBackend(t, func(t *testing.T, backend string) {
		var vh *lws.Vhost
		newContext(t, lws.ContextInfo{EventLib: backend}, func(cx *lws.Context) {
			vh = rawVhost(t, cx, "echo", echoProtocol())
		})
		nc, err := net.Dial("tcp", addr(vh))
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		msg := make([]byte, 512)
		got := make([]byte, 512)
		echo := func() {
			if _, err := nc.Write(msg); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(nc, got); err != nil {
				t.Fatal(err)
			}
		}
		for range 100 {
			echo()
		}
		if avg := testing.AllocsPerRun(2000, echo); avg != 0 {
			t.Fatalf("%.2f allocations per echoed message, want 0", avg)
		}
	})
}
