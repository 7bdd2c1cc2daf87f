package attack

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// siege is a set of attacking connections. Each is watched by a reader
// that counts what the server sends and notes when the server closes the
// connection; the attacker itself never closes one before the end.
type siege struct {
	conns  []*held
	closed atomic.Int64 // connections the server closed
	ending atomic.Bool  // the attacker is closing them: not the server
	wg     sync.WaitGroup
}

// held is one attacking connection.
type held struct {
	c        net.Conn
	opened   time.Time
	closedAt atomic.Int64 // when the server closed it, UnixNano; 0 while open
	got      atomic.Int64 // bytes received from the server
}

// open connects n times to addr (parallel dials at a time), sends first
// on each connection if it is not empty, and starts watching them. A
// failed dial fails the test: the attack must be whole to mean anything.
func (s *siege) open(t *testing.T, addr string, n, parallel int, first func(i int) []byte) {
	t.Helper()
	conns := make([]*held, n)
	errs := make(chan error, n)
	next := make(chan int)
	var dialers sync.WaitGroup
	for range parallel {
		dialers.Go(func() {
			for i := range next {
				c, err := net.DialTimeout("tcp", addr, 10*time.Second)
				if err != nil {
					errs <- err
					continue
				}
				h := &held{c: c, opened: time.Now()}
				if b := first(i); len(b) > 0 {
					if _, err := c.Write(b); err != nil {
						errs <- err
					}
				}
				conns[i] = h
				s.watch(h)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	dialers.Wait()
	close(errs)
	for _, c := range conns {
		if c != nil {
			s.conns = append(s.conns, c)
		}
	}
	if err, ok := <-errs; ok {
		t.Fatalf("opening %d connections to %s: %d failed, the first with %v", n, addr, 1+len(errs), err)
	}
}

func (s *siege) watch(h *held) {
	s.wg.Go(func() {
		buf := make([]byte, 512)
		for {
			n, err := h.c.Read(buf)
			h.got.Add(int64(n))
			if err != nil {
				if !s.ending.Load() {
					h.closedAt.Store(time.Now().UnixNano())
					s.closed.Add(1)
				}
				return
			}
		}
	})
}

// end closes every connection still open and waits for the readers.
func (s *siege) end() {
	s.ending.Store(true)
	for _, h := range s.conns {
		h.c.Close()
	}
	s.wg.Wait()
}

// lifetimes returns the shortest and longest time from opening to the
// server's close, over the connections the server closed, and the bytes
// the server sent on all of them.
func (s *siege) lifetimes() (shortest, longest time.Duration, received int64) {
	first := true
	for _, h := range s.conns {
		received += h.got.Load()
		at := h.closedAt.Load()
		if at == 0 {
			continue
		}
		d := time.Unix(0, at).Sub(h.opened)
		if first || d < shortest {
			shortest = d
		}
		if first || d > longest {
			longest = d
		}
		first = false
	}
	return shortest, longest, received
}

// peakMemory samples the server's resident memory every interval until
// stopped, and returns the largest sample.
type peakMemory struct {
	stopc chan struct{}
	done  chan struct{}
	peak  int64
}

func samplePeak(s *server, interval time.Duration) *peakMemory {
	p := &peakMemory{stopc: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			if m, err := s.readMem(); err == nil && m.rss > p.peak {
				p.peak = m.rss
			}
			select {
			case <-p.stopc:
				return
			case <-tick.C:
			}
		}
	}()
	return p
}

func (p *peakMemory) stop() int64 {
	close(p.stopc)
	<-p.done
	return p.peak
}
