package lws_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/golws/lws"
	"github.com/golws/lws/internal/looptest"
)

// coldFile writes a file of size bytes (block i of 1 MiB holds the pattern
// pat shifted by i) and evicts it from the page cache, so that reading it
// waits for the disk. It skips the test where the kernel cannot say what
// it caches (cachestat(2), Linux 6.5) or keeps the file cached anyway
// (tmpfs).
func coldFile(t *testing.T, path string, size int64) func(off int64) byte {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 1<<20)
	at := func(off int64) byte { return byte(off*7 + off>>20) }
	for off := int64(0); off < size; off += int64(len(block)) {
		for i := range block {
			block[i] = at(off + int64(i))
		}
		if _, err := f.Write(block[:min(int64(len(block)), size-off)]); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		t.Skipf("fadvise: %v", err)
	}
	var st unix.Cachestat_t
	if err := unix.Cachestat(uint(f.Fd()), &unix.CachestatRange{Len: uint64(size)}, &st, 0); err != nil {
		t.Skipf("cachestat(2): %v", err)
	}
	if pages := size / int64(os.Getpagesize()); int64(st.Cache) > pages/10 {
		t.Skipf("%d of %d pages of the file are still cached after FADV_DONTNEED", st.Cache, pages)
	}
	return at
}

// TestHTTPFileColdReadersDoNotStallTheLoop: 1,000 clients ask at once for
// pieces (Range requests at random offsets) of a 200 MB file that is not
// in the page cache, and do not read. A normal client's requests on
// another connection must be answered within fileColdProbeBound
// throughout: the pieces are read from disk by FileReadWorkers, not by
// the loop (which took 0.3 to 0.9 s to read them itself). The bound
// leaves room for a busy machine (the whole suite on two cores delayed
// one normal request to 193 ms) and still tells the two apart; a
// request over it is measured again with a second cold file, and only
// two in a row fail. The pieces' bytes are checked on a few of the
// readers.
func TestHTTPFileColdReadersDoNotStallTheLoop(t *testing.T) {
	const (
		readers            = 1000
		size               = 200 << 20
		fileColdProbeBound = 250 * time.Millisecond
	)
	looptest.RaiseNofile(t, 3*readers)
	dir := t.TempDir()
	at := coldFile(t, filepath.Join(dir, "big.gz"), size)
	if err := os.WriteFile(filepath.Join(dir, "small.txt"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The server is the http-server example, in a process of its own,
	// so that what the readers do in this one does not slow it.
	a := "127.0.0.1:" + startExample(t, "http-server", "-p", "0", "-d", "7", "-r", dir)

	// The normal client: one keep-alive connection, a small file again
	// and again.
	probe, err := net.Dial("tcp", a)
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	pr := bufio.NewReader(probe)
	get := func() (time.Duration, error) {
		start := time.Now()
		_ = probe.SetDeadline(start.Add(10 * time.Second))
		if _, err := io.WriteString(probe, "GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			return 0, err
		}
		resp, err := http.ReadResponse(pr, nil)
		if err != nil {
			return 0, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(body) != "hello" {
			return 0, fmt.Errorf("small.txt: %s %q %v", resp.Status, body, err)
		}
		return time.Since(start), nil
	}
	if _, err := get(); err != nil {
		t.Fatal(err)
	}
	var (
		mu       sync.Mutex
		lat      []time.Duration
		probeErr error
	)
	stop := make(chan struct{})
	probed := make(chan struct{})
	go func() {
		defer close(probed)
		for {
			select {
			case <-stop:
				return
			default:
			}
			d, err := get()
			mu.Lock()
			if err != nil {
				probeErr = err
				mu.Unlock()
				return
			}
			lat = append(lat, d)
			mu.Unlock()
			time.Sleep(2 * time.Millisecond)
		}
	}()

	// storm has the readers ask for pieces of the cold file name, and
	// returns the slowest normal request seen from its start until 20
	// more were answered after the readers got their heads.
	storm := func(name string, at func(int64) byte, seed uint64) time.Duration {
		mu.Lock()
		first := len(lat)
		mu.Unlock()
		rng := rand.New(rand.NewPCG(seed, 500))
		offs := make([]int64, readers)
		for i := range offs {
			offs[i] = rng.Int64N(size - 1<<20)
		}
		conns := make([]net.Conn, readers)
		defer func() {
			for _, c := range conns {
				if c != nil {
					c.Close()
				}
			}
		}()
		errs := make(chan error, readers)
		var wg sync.WaitGroup
		for i := range readers {
			wg.Go(func() {
				c, err := net.DialTimeout("tcp", a, 10*time.Second)
				if err != nil {
					errs <- err
					return
				}
				conns[i] = c
			})
		}
		wg.Wait()
		if len(errs) > 0 {
			t.Fatal(<-errs)
		}
		// The requests leave together, so that the server finds them
		// all at once.
		start := time.Now()
		for i, c := range conns {
			_ = c.SetDeadline(time.Now().Add(20 * time.Second))
			if _, err := fmt.Fprintf(c, "GET /%s HTTP/1.1\r\nHost: x\r\nRange: bytes=%d-\r\n\r\n", name, offs[i]); err != nil {
				t.Fatal(err)
			}
		}
		for i, c := range conns {
			wg.Go(func() {
				// Read the head and, on a few, check the first bytes
				// of the piece; then read no more.
				br := bufio.NewReaderSize(c, 4096)
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					errs <- err
					return
				}
				if resp.StatusCode != 206 {
					errs <- fmt.Errorf("Range at %d: %s", offs[i], resp.Status)
					return
				}
				if i%50 == 0 {
					got := make([]byte, 1000)
					if _, err := io.ReadFull(resp.Body, got); err != nil {
						errs <- err
						return
					}
					want := make([]byte, len(got))
					for j := range want {
						want[j] = at(offs[i] + int64(j))
					}
					if !bytes.Equal(got, want) {
						errs <- fmt.Errorf("Range at %d: wrong bytes", offs[i])
					}
				}
			})
		}
		wg.Wait()
		started := time.Since(start)
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		// Some more probes after the readers' start.
		mu.Lock()
		more := len(lat) + 20
		mu.Unlock()
		waitForCond(5*time.Second, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(lat) >= more || probeErr != nil
		})
		mu.Lock()
		defer mu.Unlock()
		if probeErr != nil {
			t.Fatal(probeErr)
		}
		seen := slices.Clone(lat[first:])
		slices.Sort(seen)
		maxLat := seen[len(seen)-1]
		t.Logf("%d readers of %s answered in %v; normal requests: %d, median %v, max %v (bound %v)",
			readers, name, started.Round(time.Millisecond), len(seen), seen[len(seen)/2].Round(time.Microsecond),
			maxLat.Round(time.Microsecond), fileColdProbeBound)
		return maxLat
	}
	// A busy machine can delay one normal request past the bound now and
	// then; the loop reading the pieces itself delays one every time. So
	// a slow request is measured again, on another cold file, and only
	// two in a row fail the test.
	maxLat := storm("big.gz", at, 11)
	if maxLat > fileColdProbeBound {
		at2 := coldFile(t, filepath.Join(dir, "big2.gz"), size)
		maxLat = min(maxLat, storm("big2.gz", at2, 12))
	}
	close(stop)
	<-probed
	if maxLat > fileColdProbeBound {
		t.Errorf("a normal request took %v, twice, while %d readers started on a cold file, over %v",
			maxLat, readers, fileColdProbeBound)
	}
}

// TestHTTPFileColdContent: a file served from disk while not in the page
// cache, whole and by ranges, plain and over the zero-copy path, arrives
// intact.
func TestHTTPFileColdContent(t *testing.T) {
	const size = 3<<20 + 12345
	dir := t.TempDir()
	at := coldFile(t, filepath.Join(dir, "f.gz"), size)
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{FileReadWorkers: 1}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{Mounts: []lws.Mount{{Mountpoint: "/", Origin: "file://" + dir}}})
	})
	for _, rng := range []string{"", "bytes=1000000-", "bytes=2097000-2200000", "bytes=0-0"} {
		req, err := http.NewRequest("GET", "http://"+addr(vh)+"/f.gz", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept-Encoding", "identity")
		first, last := int64(0), int64(size-1)
		if rng != "" {
			req.Header.Set("Range", rng)
			if _, err := fmt.Sscanf(rng, "bytes=%d-%d", &first, &last); err != nil {
				last = size - 1
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(body)) != last-first+1 {
			t.Fatalf("Range %q: %s, %d bytes, want %d", rng, resp.Status, len(body), last-first+1)
		}
		for i, b := range body {
			if b != at(first+int64(i)) {
				t.Fatalf("Range %q: byte %d is %d, want %d", rng, first+int64(i), b, at(first+int64(i)))
			}
		}
		if rng != "" && !strings.HasPrefix(resp.Status, "206") {
			t.Errorf("Range %q: %s", rng, resp.Status)
		}
	}
}
