package lws

import (
	"errors"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// File reads that would wait for the disk are made off the loop. Before a
// piece of a file on disk is read or handed to sendfile(2), the loop asks
// the kernel, with cachestat(2), whether every page of it is in the page
// cache: one system call, with no copy. When one is missing, a goroutine
// of a bounded pool (ContextInfo.FileReadWorkers) reads the piece with
// pread(2) into a buffer of its own, which brings it into the cache, and
// hands the connection back to the loop, which then sends the piece from
// the cache as usual. The connection sends nothing meanwhile (it is owed
// no WRITEABLE), and connections beyond the pool wait in order. Without
// this, 500 readers asking at once for pieces of a large file the cache
// does not hold (another part of it, a Range) stall the loop for as long
// as the disk takes to find each piece, every other client with it.
// lws reads files on its loop.

// warmPiece is the most a worker reads for one piece: sendfile's largest.
const warmPiece = 1 << 20

// noCachestat is set once the kernel has said it has no cachestat(2)
// (before Linux 6.5): pieces are then read on the loop, as lws does.
var noCachestat atomic.Bool

// pageSize is the page cache's unit.
var pageSize = int64(os.Getpagesize())

// fileCached reports whether every page of n bytes of f from off is in
// the page cache, or when the kernel cannot tell, true.
func fileCached(f *os.File, off, n int64) bool {
	if n <= 0 || noCachestat.Load() {
		return true
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return true
	}
	var st unix.Cachestat_t
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.Cachestat(uint(fd), &unix.CachestatRange{Off: uint64(off), Len: uint64(n)}, &st, 0)
	}); err != nil {
		return true
	}
	if serr != nil {
		if errors.Is(serr, unix.ENOSYS) {
			noCachestat.Store(true)
		}
		return true
	}
	pages := (off+n+pageSize-1)/pageSize - off/pageSize
	return int64(st.Cache) >= pages
}

// fileWarm is a piece of a file to bring into the page cache.
type fileWarm struct {
	c      *Conn
	ft     *fileTx
	off, n int64
}

// warmFile queues the piece of the connection's file at ft.off for a
// worker. The connection is handed back (fileWarmed) once it is cached.
func (c *Conn) warmFile(ft *fileTx, n int64) {
	l := c.loop
	ft.warming = true
	l.warmQ = append(l.warmQ, fileWarm{c: c, ft: ft, off: ft.off, n: min(n, warmPiece)})
	l.pumpWarm()
}

// pumpWarm starts reads while fewer than FileReadWorkers run.
func (l *loop) pumpWarm() {
	cx := l.cx
	for l.warming < cx.info.FileReadWorkers && len(l.warmQ) > 0 {
		w := l.warmQ[0]
		l.warmQ[0] = fileWarm{}
		l.warmQ = l.warmQ[1:]
		if w.c.Closed() || w.c.txn() == nil || w.c.txn().file != w.ft {
			continue // gone meanwhile
		}
		f, ok := w.ft.f.(*os.File)
		if !ok {
			continue
		}
		var buf []byte
		if n := len(l.warmBufs); n > 0 {
			buf, l.warmBufs = l.warmBufs[n-1], l.warmBufs[:n-1]
		} else {
			buf = make([]byte, filePiece)
		}
		l.warming++
		cx.fileReads.Add(1)
		go func() {
			defer cx.fileReads.Done()
			// An *os.File may be read while the loop closes it (the
			// client left): the read then fails, and nothing else does.
			for done := int64(0); done < w.n; {
				k, err := f.ReadAt(buf[:min(int64(len(buf)), w.n-done)], w.off+done)
				done += int64(k)
				if err != nil || k == 0 {
					break
				}
			}
			l.post(func() {
				l.warming--
				l.warmBufs = append(l.warmBufs, buf)
				w.c.fileWarmed(w.ft)
				l.pumpWarm()
			})
		}()
	}
}

// fileWarmed goes on sending the connection's file once a worker has
// read its next piece.
func (c *Conn) fileWarmed(ft *fileTx) {
	if c.Closed() || c.txn() == nil || c.txn().file != ft {
		return
	}
	ft.warming = false
	if ft.head != nil {
		// The response has not started: its head goes with this piece.
		c.txn().file = nil
		if err := c.sendFileHead(ft.f, ft.head, ft.left, ft.off); err != nil {
			c.loop.userClose(c, err)
		}
		return
	}
	c.CallbackOnWritable()
}
