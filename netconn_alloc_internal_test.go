//go:build !race

package lws

import (
	"io"
	"net"
	"testing"
)

// TestStreamChildWriteableAllocatesNothing pins the routing of stream
// children's WRITEABLE as allocation-free: once the children exist, a
// request for WRITEABLE on each of two children, the walk that serves
// them through their network connection, their writes and the credit they
// are given allocate nothing anywhere in the process. (The race detector
// allocates on its own: this runs only without it.)
func TestStreamChildWriteableAllocatesNothing(t *testing.T) {
	for _, backend := range []string{EventLibEpoll, EventLibPoll} {
		t.Run(backend, func(t *testing.T) {
			rec := &muxRecorder{ch: make(chan string, 1024)}
			nc, err := net.Dial("tcp", startMux(t, ContextInfo{EventLib: backend}, rec))
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			if _, err := nc.Write(muxCommands("1o0", "2o0")); err != nil {
				t.Fatal(err)
			}
			cmds := muxCommands("1c1", "2c1", "1w1", "2w1")
			got := make([]byte, 2*(2+muxMsgLen))
			round := func() {
				if _, err := nc.Write(cmds); err != nil {
					t.Fatal(err)
				}
				if _, err := io.ReadFull(nc, got); err != nil {
					t.Fatal(err)
				}
				if got[0] == got[2+muxMsgLen] {
					t.Fatalf("one child served twice: % x", got)
				}
			}
			for range 100 {
				round()
			}
			rec.quiet.Store(true)
			if avg := testing.AllocsPerRun(1000, round); avg != 0 {
				t.Fatalf("%.2f allocations per round of two children's writes, want 0", avg)
			}
		})
	}
}
