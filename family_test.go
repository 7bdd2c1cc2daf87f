package lws_test

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/golws/lws"
)

func TestRxBufferSizeCapsDeliveries(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		const cap = 100
		pieces := make(chan int, 1024)
		proto := lws.Protocol{Name: "small", RxBufferSize: cap, Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
			if reason == lws.CallbackRawRX {
				pieces <- len(in)
			}
			return nil
		}}
		var vh *lws.Vhost
		newContext(t, lws.ContextInfo{EventLib: backend}, func(cx *lws.Context) {
			vh = rawVhost(t, cx, "small", proto)
		})
		nc, err := net.Dial("tcp", addr(vh))
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		const total = 10000
		if _, err := nc.Write(make([]byte, total)); err != nil {
			t.Fatal(err)
		}
		for got := 0; got < total; {
			n := <-pieces
			if n > cap || n == 0 {
				t.Fatalf("RAW_RX of %d bytes with RxBufferSize %d", n, cap)
			}
			got += n
		}
	})
}

func TestParentAndChildConnections(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		rec := newRecorder()
		var pipes [][2]int
		proto := lws.Protocol{Name: "family", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
			switch reason {
			case lws.CallbackRawAdopt:
				// Two children: adopted pipes whose lives end with the parent's.
				for range 2 {
					var p [2]int
					if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
						return err
					}
					pipes = append(pipes, p)
					child, err := c.Vhost().AdoptDescriptor(lws.AdoptInfo{FD: p[0], Parent: c, Opaque: fmt.Sprint("child", len(pipes))})
					if err != nil {
						return err
					}
					if child.Parent() != c {
						return fmt.Errorf("child's parent is %v", child.Parent())
					}
				}
			case lws.CallbackRawRXFile:
				// The first child's writer closed: close that child.
				return fmt.Errorf("done")
			case lws.CallbackChildClosing:
				rec.add(fmt.Sprint("child-closing ", c.ChildClosing().Opaque(), " parent-closed=", c.Closed()))
			case lws.CallbackRawCloseFile:
				rec.add(fmt.Sprint("close ", c.Opaque()))
			case lws.CallbackRawClose:
				rec.add("parent close")
			}
			return nil
		}}
		var vh *lws.Vhost
		r := newContext(t, lws.ContextInfo{EventLib: backend}, func(cx *lws.Context) {
			vh = rawVhost(t, cx, "family", proto)
		})
		nc, err := net.Dial("tcp", addr(vh))
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		waitFor(t, "the children", func() bool {
			done := false
			r.do(func() { done = len(pipes) == 2 })
			return done
		})
		// The first child closes on its own: the parent hears of it.
		unix.Close(pipes[0][1])
		rec.await(t, "child-closing child1")
		// The parent closes: the other child goes first, then the parent.
		nc.Close()
		rec.await(t, "parent close")
		unix.Close(pipes[1][1])
		got := strings.Join(rec.list(), "; ")
		want := "close child1; child-closing child1 parent-closed=false; close child2; parent close"
		if got != want {
			t.Fatalf("events\n got %s\nwant %s", got, want)
		}
	})
}
