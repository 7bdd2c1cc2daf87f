package lws_test

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golws/lws"
)

func TestWriteableRequestsCoalesceAndBroadcast(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		var (
			mu        sync.Mutex
			writeable = map[*lws.Conn]int{}
			conns     []*lws.Conn
		)
		adopted := make(chan struct{}, 16)
		cb := func(c *lws.Conn, reason lws.Reason, in []byte) error {
			switch reason {
			case lws.CallbackRawAdopt:
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
				adopted <- struct{}{}
			case lws.CallbackRawWriteable:
				mu.Lock()
				writeable[c]++
				mu.Unlock()
			}
			return nil
		}
		var a, b *lws.Vhost
		r := newContext(t, lws.ContextInfo{EventLib: backend}, func(cx *lws.Context) {
			a = rawVhost(t, cx, "a", lws.Protocol{Name: "p", Callback: cb}, lws.Protocol{Name: "other", Callback: cb})
			b = rawVhost(t, cx, "b", lws.Protocol{Name: "p", Callback: cb})
		})
		for _, vh := range []*lws.Vhost{a, a, b, b} {
			nc, err := net.Dial("tcp", addr(vh))
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			<-adopted
		}
		count := func() (total int, per []int) {
			mu.Lock()
			defer mu.Unlock()
			for _, c := range conns {
				per = append(per, writeable[c])
				total += writeable[c]
			}
			return
		}
		// Five requests on one connection in one callback: one WRITEABLE.
		r.do(func() {
			for range 5 {
				conns[0].CallbackOnWritable()
			}
		})
		r.do(func() {}) // let the loop finish the pass that serves it
		if total, per := count(); total != 1 || per[0] != 1 {
			t.Fatalf("five coalesced requests gave %v WRITEABLEs", per)
		}
		// One vhost's protocol, then every vhost's.
		r.do(func() { a.CallbackOnWritableAllProtocol("p") })
		r.do(func() {})
		if total, per := count(); total != 3 || per[1] != 1 {
			t.Fatalf("after the vhost broadcast: %v", per)
		}
		r.do(func() { r.cx.CallbackOnWritableAllProtocol("p") })
		r.do(func() {})
		if total, per := count(); total != 7 {
			t.Fatalf("after the context broadcast: %v", per)
		}
	})
}

// TestMisuseFromAnotherGoroutineIsARace shows that calling the loop's API
// from a goroutine other than the loop's is caught by the race detector: a
// child test process breaks the rule and must report a data race.
func TestMisuseFromAnotherGoroutineIsARace(t *testing.T) {
	if os.Getenv("LWS_MISUSE_CHILD") == "1" {
		misuse(t)
		return
	}
	if !raceEnabled {
		t.Skip("the race detector is off: run with -race (as scripts/test.sh does)")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMisuseFromAnotherGoroutineIsARace$", "-test.count=1")
	cmd.Env = append(os.Environ(), "LWS_MISUSE_CHILD=1", "GORACE=halt_on_error=1")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "DATA RACE") || !strings.Contains(string(out), "CallbackOnWritable") {
		t.Fatalf("the race detector did not report the misuse (err %v):\n%s", err, out)
	}
}

// misuse calls CallbackOnWritable from the test goroutine while the loop
// runs: exactly what the documentation forbids.
func misuse(t *testing.T) {
	got := make(chan *lws.Conn, 1)
	proto := lws.Protocol{Name: "m", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackRawAdopt:
			got <- c
		case lws.CallbackRawRX:
			c.CallbackOnWritable()
		}
		return nil
	}}
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) { vh = rawVhost(t, cx, "m", proto) })
	nc, err := net.Dial("tcp", addr(vh))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	c := <-got
	c.CallbackOnWritable() // wrong: not on the loop
	for range 50 {
		_, _ = nc.Write([]byte("x"))
		time.Sleep(time.Millisecond) // give the loop turns on the connection
	}
}
