package status

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/golws/lws/internal/looptest"
)

// sendQueue sums the kernel's send queues (written and not yet
// acknowledged: tx_queue, what SIOCOUTQ reports) of the sockets bound
// to the local port, from /proc/net/tcp and tcp6.
func sendQueue(port int) (int64, error) {
	var sum int64
	want := fmt.Sprintf(":%04X", port)
	for _, name := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(name)
		if err != nil {
			return 0, err
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			// sl local_address rem_address st tx_queue:rx_queue ...
			fs := strings.Fields(sc.Text())
			if len(fs) < 5 || !strings.HasSuffix(fs[1], want) {
				continue
			}
			tx, _, _ := strings.Cut(fs[4], ":")
			n, err := strconv.ParseInt(tx, 16, 64)
			if err != nil {
				continue
			}
			sum += n
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return 0, err
		}
	}
	return sum, nil
}

// readHead reads a handshake's answer up to its blank line, a byte at a
// time so that nothing after it is taken from the kernel, and checks that
// it is a 101.
func readHead(nc net.Conn, buf []byte) error {
	n := 0
	for n < 4 || string(buf[n-4:n]) != "\r\n\r\n" {
		if n == len(buf) {
			return fmt.Errorf("handshake answer longer than %d bytes: %q", len(buf), buf)
		}
		if _, err := nc.Read(buf[n : n+1]); err != nil {
			return fmt.Errorf("handshake answer %q: %w", buf[:n], err)
		}
		n++
	}
	if !strings.HasPrefix(string(buf[:n]), "HTTP/1.1 101 ") {
		return fmt.Errorf("handshake answer %q", buf[:n])
	}
	return nil
}

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestStatusNonReadingClients is a slow-reader attack on lws-status, on
// each backend: 2,000 clients arrive one after another, each asking for
// the protocol with a 4 KiB receive buffer and reading nothing after the
// handshake's answer (not even its first status), while one normal client
// reads every status. Every arrival changes the list, which grows with
// the attack: told of every change, each client would be sent a status
// per arrival (quadratic work), and the kernel would queue megabytes for
// each client that does not read. Asserted: a plain HTTP request made
// every 100 ms is answered within 500 ms throughout; the kernel's send
// queues of all the server's sockets together stay under 128 KiB per
// connection (SendQueueLimit, 64 KiB, plus one write's worth; the attack
// is stopped if they pass it); the heap grows by under 10 KiB per
// connection; the reading client is sent at most one status per
// MinInterval; and its last status lists every connection. The arrivals
// must be over within 30 s.
func TestStatusNonReadingClients(t *testing.T) {
	const (
		attackers  = 2000
		probeEvery = 100 * time.Millisecond
		probeMax   = 500 * time.Millisecond
		perConnQ   = 128 << 10 // kernel send queue per connection
		perConnMem = 10 << 10  // heap per connection
		attackMax  = 30 * time.Second
	)
	looptest.RaiseNofile(t, 2*attackers+1024)
	forEachBackend(t, func(t *testing.T, backend string) {
		heap0 := heapInUse()

		addr := startServer(t, backend)
		_, ps, _ := net.SplitHostPort(addr)
		port, err := strconv.Atoi(ps)
		if err != nil {
			t.Fatal(err)
		}

		// The normal client reads every status and keeps the latest,
		// counting its connections cheaply; the last one is decoded at the
		// end.
		var lastListed, statuses atomic.Int64
		var latest atomic.Pointer[[]byte]
		since := time.Now().Unix()
		reader := dialGorilla(t, addr, "reader")
		defer reader.Close()
		readerErr := make(chan error, 1)
		go func() {
			for {
				_ = reader.SetReadDeadline(time.Now().Add(time.Minute))
				_, p, err := reader.ReadMessage()
				if err != nil {
					readerErr <- err
					return
				}
				latest.Store(&p)
				lastListed.Store(int64(bytes.Count(p, []byte(`{"peer":`))))
				statuses.Add(1)
			}
		}()

		stop := make(chan struct{})
		var wg sync.WaitGroup
		defer func() { close(stop); wg.Wait() }()
		// abort ends the attack early: the kernel's queues are past the
		// bound, and pushing them further would press the machine's TCP
		// memory.
		abort := make(chan struct{})
		var aborted sync.Once

		// The probe: a new connection and a request every 100 ms; the
		// vhost's only protocol answers it 404.
		var probeWorst atomic.Int64
		probeErr := make(chan error, 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(probeEvery)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				start := time.Now()
				err := func() error {
					nc, err := net.DialTimeout("tcp", addr, ioTimeout)
					if err != nil {
						return err
					}
					defer nc.Close()
					_ = nc.SetDeadline(time.Now().Add(ioTimeout))
					if _, err := nc.Write([]byte("GET /probe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")); err != nil {
						return err
					}
					line, err := bufio.NewReader(nc).ReadString('\n')
					if err != nil {
						return err
					}
					if !strings.HasPrefix(line, "HTTP/1.1 404 ") {
						return fmt.Errorf("probe answered %q", line)
					}
					return nil
				}()
				if err != nil {
					select {
					case probeErr <- err:
					default:
					}
					return
				}
				if testing.Verbose() && time.Since(start) > 100*time.Millisecond {
					t.Logf("probe %v at %v", time.Since(start), start.Format("15:04:05.000"))
				}
				if d := int64(time.Since(start)); d > probeWorst.Load() {
					probeWorst.Store(d)
				}
			}
		}()

		// The kernel's send queues of the server's sockets, sampled.
		var queueWorst atomic.Int64
		queueBound := int64(attackers+2) * perConnQ
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				q, err := sendQueue(port)
				if err != nil {
					t.Error(err)
					return
				}
				if q > queueWorst.Load() {
					queueWorst.Store(q)
				}
				if q > queueBound {
					aborted.Do(func() { close(abort) })
				}
			}
		}()

		// The attack: clients that ask for the protocol and never read.
		dialer := net.Dialer{Timeout: ioTimeout, Control: func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 4096)
			})
			return errors.Join(err, serr)
		}}
		upgrade := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
			"Sec-WebSocket-Protocol: " + Name + "\r\nUser-Agent: silent\r\n\r\n"
		var head [256]byte
		conns := make([]net.Conn, 0, attackers)
		defer func() {
			for _, nc := range conns {
				nc.Close()
			}
		}()
		start := time.Now()
	attack:
		for range attackers {
			select {
			case <-abort:
				break attack
			default:
			}
			if time.Since(start) > attackMax {
				t.Errorf("the server took %d arrivals in %v: too slow", len(conns), attackMax)
				break
			}
			nc, err := dialer.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, nc)
			_ = nc.SetDeadline(time.Now().Add(ioTimeout))
			if _, err := nc.Write([]byte(upgrade)); err != nil {
				t.Fatal(err)
			}
			// The handshake's answer is the last thing it reads.
			if err := readHead(nc, head[:]); err != nil {
				t.Fatal(err)
			}
		}
		arrived := time.Since(start)

		// The reading client's status comes to list everyone: the attackers,
		// itself.
		deadline := time.After(30 * time.Second)
	wait:
		for lastListed.Load() != int64(len(conns)+1) {
			select {
			case <-abort:
				break wait
			case err := <-readerErr:
				t.Fatalf("reading client: %v", err)
			case <-deadline:
				t.Errorf("the reading client's latest status lists %d connections, want %d", lastListed.Load(), len(conns)+1)
				break wait
			case <-time.After(20 * time.Millisecond):
			}
		}
		listed := time.Since(start)
		told := statuses.Load()
		if p := latest.Load(); p != nil && lastListed.Load() == int64(len(conns)+1) {
			uas := slices.Repeat([]string{"silent"}, len(conns))
			m, err := decode(*p)
			if err == nil {
				err = check(m, since, append(uas, "reader")...)
			}
			if err != nil {
				t.Errorf("the reading client's last status: %v", err)
			}
		}
		heap1 := heapInUse()
		select {
		case err := <-probeErr:
			t.Errorf("probe: %v", err)
		default:
		}
		t.Logf("%d attackers arrived in %v; the reader's status listed all %v after the first, its %dth; worst probe %v; "+
			"worst kernel send queue %d KiB (%d B per connection); heap growth %d KiB (%d B per connection)",
			len(conns), arrived.Round(time.Millisecond), listed.Round(time.Millisecond), told,
			time.Duration(probeWorst.Load()).Round(time.Millisecond),
			queueWorst.Load()>>10, queueWorst.Load()/int64(len(conns)+1),
			(int64(heap1)-int64(heap0))>>10, (int64(heap1)-int64(heap0))/int64(len(conns)+1))
		select {
		case <-abort:
			t.Fatalf("the kernel's send queues passed %d MiB (%d KiB per connection) after %d arrivals: attack stopped",
				queueBound>>20, perConnQ>>10, len(conns))
		default:
		}
		// Changes are gathered: the reader is told of them at most once per
		// MinInterval, besides its first status.
		if most := int64(listed/MinInterval) + 2; told > most {
			t.Errorf("the reading client was sent %d statuses in %v, want at most %d (one per %v)",
				told, listed.Round(time.Millisecond), most, MinInterval)
		}
		if w := time.Duration(probeWorst.Load()); w > probeMax {
			t.Errorf("a probe request took %v, want under %v", w, probeMax)
		}
		if g := int64(heap1) - int64(heap0); g > int64(len(conns)+1)*perConnMem {
			t.Errorf("the heap grew by %d KiB, over %d KiB per connection", g>>10, perConnMem>>10)
		}
	})
}
