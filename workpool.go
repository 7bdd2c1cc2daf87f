package lws

import "sync"

// workPool is a bounded pool of goroutines that the loop feeds with
// connections, for work that must not run on the loop because it blocks
// or computes for long: name resolution of client connections and TLS
// handshakes. Its contract:
//
//   - Connections wait in a FIFO queue (add) and are handed to start, on
//     the loop and in order, while fewer than limit workers run. start
//     reports whether it took a worker; a connection closed while it
//     waited is skipped, and remove drops a closing one from the queue.
//   - start runs the work on a goroutine with spawn. The work's result
//     goes back to the loop through the loop's post/wake-up path: the done
//     function it returns runs on the loop, the worker is given back
//     (when the goroutine still held it) and the queue moves on.
//   - A worker may give its place back while it waits on its peer
//     (release, posted from the goroutine) and queue its connection again
//     (add) to get one back in turn; start then sees that the connection
//     already has a goroutine.
//   - wait returns once every goroutine spawned has finished; the context
//     calls it on Destroy, after cancelling or closing what they block on.
//
// Everything but spawn's goroutine and wait runs on the loop.
type workPool struct {
	l       *loop
	limit   int                // workers that may run at once
	start   func(c *Conn) bool // begins c's work; reports whether it took a worker
	queue   []*Conn            // waiting for a worker, oldest first
	running int                // workers taken
	workers sync.WaitGroup     // goroutines spawned and not finished
}

// add queues c for a worker and starts what the limit allows.
func (p *workPool) add(c *Conn) {
	p.queue = append(p.queue, c)
	p.pump()
}

// pump hands waiting connections, in order, to start while workers are
// free.
func (p *workPool) pump() {
	for p.running < p.limit && len(p.queue) > 0 {
		c := p.queue[0]
		p.queue[0] = nil
		p.queue = p.queue[1:]
		if c.Closed() {
			continue
		}
		if p.start(c) {
			p.running++
		}
	}
}

// remove drops c, which is closing, from the queue.
func (p *workPool) remove(c *Conn) {
	for i, q := range p.queue {
		if q == c {
			p.queue = append(p.queue[:i], p.queue[i+1:]...)
			return
		}
	}
}

// release gives a worker back and starts the next waiting connection.
func (p *workPool) release() {
	p.running--
	p.pump()
}

// spawn runs work on a new goroutine, which holds the worker start took.
// work returns done, run on the loop afterwards, and whether the
// goroutine still holds its worker (it may have released it while
// waiting and ended without taking one again).
func (p *workPool) spawn(work func() (done func(), held bool)) {
	p.workers.Add(1)
	go func() {
		defer p.workers.Done()
		done, held := work()
		p.l.post(func() {
			if held {
				p.running--
			}
			done()
			p.pump()
		})
	}()
}

// wait returns once every goroutine spawned has finished.
func (p *workPool) wait() { p.workers.Wait() }
