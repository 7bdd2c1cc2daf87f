package lws

import "time"

// The loop keeps every deadline (connection timeouts, connection timers,
// user scheduled callbacks) in one binary heap of timerEntry values that are
// embedded in their owners, so arming a timer allocates nothing and no
// goroutine or time.Timer exists per connection.

type timerKind uint8

const (
	timerSul      timerKind = iota // a user Sul
	timerTimeout                   // Conn.SetTimeout
	timerConn                      // Conn.SetTimer
	timerValidity                  // the connection-validity policy
)

type timerEntry struct {
	when int64 // loop clock, ns
	seq  uint64
	pos  int32 // position in the heap plus one; 0 when not armed
	kind timerKind
	conn *Conn
	sul  *Sul
}

type timerHeap struct {
	items []*timerEntry
	seq   uint64
}

func (h *timerHeap) less(i, j int) bool {
	a, b := h.items[i], h.items[j]
	if a.when != b.when {
		return a.when < b.when
	}
	return a.seq < b.seq
}

func (h *timerHeap) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].pos = int32(i + 1)
	h.items[j].pos = int32(j + 1)
}

func (h *timerHeap) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

func (h *timerHeap) down(i int) {
	n := len(h.items)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		j := l
		if r := l + 1; r < n && h.less(r, l) {
			j = r
		}
		if !h.less(j, i) {
			return
		}
		h.swap(i, j)
		i = j
	}
}

// schedule arms e at when, rescheduling it if it was armed.
func (h *timerHeap) schedule(e *timerEntry, when int64) {
	h.seq++
	e.when, e.seq = when, h.seq
	if e.pos > 0 {
		h.down(int(e.pos) - 1)
		h.up(int(e.pos) - 1)
		return
	}
	h.items = append(h.items, e)
	e.pos = int32(len(h.items))
	h.up(len(h.items) - 1)
}

// cancel disarms e; it is a no-op for an entry that is not armed.
func (h *timerHeap) cancel(e *timerEntry) {
	if e.pos == 0 {
		return
	}
	i := int(e.pos) - 1
	last := len(h.items) - 1
	if i != last {
		h.swap(i, last)
	}
	h.items[last] = nil
	h.items = h.items[:last]
	if i != last {
		h.down(i)
		h.up(i)
	}
	e.pos = 0
}

// peek returns the earliest entry or nil.
func (h *timerHeap) peek() *timerEntry {
	if len(h.items) == 0 {
		return nil
	}
	return h.items[0]
}

func (e *timerEntry) armed() bool { return e.pos > 0 }

// Sul is a callback scheduled on the service loop: lws's sorted usec list
// entry (lws_sul). Embed one in your own struct (its zero value is ready) and
// arm it with Context.Schedule. A Sul belongs to one context at a time and,
// like everything but CancelService, is used only from the loop.
type Sul struct {
	e    timerEntry
	fn   func(*Sul)
	loop *loop
}

// Scheduled reports whether s is armed.
func (s *Sul) Scheduled() bool { return s.loop != nil && s.e.armed() }

// Cancel disarms s; cancelling an unarmed Sul does nothing.
func (s *Sul) Cancel() {
	if s.loop != nil {
		s.loop.timers.cancel(&s.e)
	}
}

// Schedule arms s to call fn on the loop after d (lws_sul_schedule). Arming
// an armed Sul moves it. A nil fn keeps the function given before. Callbacks
// with the same deadline run in the order they were scheduled.
func (cx *Context) Schedule(s *Sul, d time.Duration, fn func(*Sul)) {
	l := cx.loop
	if s.loop != nil && s.loop != l {
		s.Cancel()
	}
	s.loop = l
	s.e.kind = timerSul
	s.e.sul = s
	if fn != nil {
		s.fn = fn
	}
	if d < 0 {
		d = 0
	}
	l.timers.schedule(&s.e, l.now()+int64(d))
}
