package lws

import (
	"slices"
	"testing"
	"time"
)

// TestWorkPool checks the pool's contract on a real loop: connections get
// workers in the order they were queued and never more than the limit at
// once, a removed one never starts, a worker given back early (released,
// then ended without one) frees its place once, and each result runs on
// the loop.
func TestWorkPool(t *testing.T) {
	cx, err := NewContext(ContextInfo{})
	if err != nil {
		t.Fatal(err)
	}
	defer cx.Destroy()
	l := cx.loop
	conns := make([]*Conn, 5)
	gates := make([]chan bool, len(conns))
	for i := range conns {
		conns[i], gates[i] = &Conn{}, make(chan bool)
	}
	var started, finished []int
	p := &workPool{l: l, limit: 2}
	p.start = func(c *Conn) bool {
		i := slices.Index(conns, c)
		started = append(started, i)
		if p.running >= p.limit {
			t.Errorf("conn %d started with %d of %d workers taken", i, p.running, p.limit)
		}
		p.spawn(func() (func(), bool) {
			held := <-gates[i]
			if !held {
				l.post(p.release) // gave its worker back while waiting
			}
			return func() { finished = append(finished, i) }, held
		})
		return true
	}
	serviceUntil := func(n int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for len(finished) < n {
			if time.Now().After(deadline) {
				t.Fatalf("finished %v, want %d results", finished, n)
			}
			if err := cx.Service(time.Second); err != nil {
				t.Fatal(err)
			}
		}
	}
	check := func(what string, got, want []int) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Fatalf("%s %v, want %v", what, got, want)
		}
	}

	for _, c := range conns {
		p.add(c)
	}
	check("started", started, []int{0, 1})
	p.remove(conns[2])

	gates[0] <- true
	serviceUntil(1)
	check("started", started, []int{0, 1, 3})

	gates[1] <- false
	serviceUntil(2)
	check("started", started, []int{0, 1, 3, 4})
	if p.running != 2 {
		t.Fatalf("%d workers taken, want 2", p.running)
	}

	gates[4] <- true
	gates[3] <- true
	serviceUntil(4)
	check("finished", finished[:2], []int{0, 1})
	if p.running != 0 || len(p.queue) != 0 {
		t.Fatalf("after all: %d workers taken, %d queued", p.running, len(p.queue))
	}
	p.wait()
}
