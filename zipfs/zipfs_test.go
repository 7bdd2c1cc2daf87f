package zipfs_test

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/golws/lws/zipfs"
)

var modTime = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// member is a file of a test archive.
type member struct {
	name   string
	method uint16
	data   []byte
}

// textData is a repetitive text of about 100 KiB, which deflates well.
func textData() []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < 100<<10; i++ {
		fmt.Fprintf(&b, "line %d: the quick brown fox jumps over the lazy dog\n", i%97)
	}
	return b.Bytes()
}

func testMembers() []member {
	return []member{
		{"text.txt", zip.Deflate, textData()},
		{"stored.bin", zip.Store, []byte("stored, not compressed\x00\x01\x02")},
		{"dir/sub/x.html", zip.Deflate, []byte("<!doctype html><title>x</title><p>hello</p>\n")},
		{"empty/", zip.Store, nil},
	}
}

// buildArchive writes members into a zip archive.
func buildArchive(t testing.TB, members []member) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, m := range members {
		fw, err := w.CreateHeader(&zip.FileHeader{Name: m.name, Method: m.method, Modified: modTime})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(m.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func newTestFS(t *testing.T) (*zipfs.FS, []byte) {
	t.Helper()
	archive := buildArchive(t, testMembers())
	fsys, err := zipfs.New(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	return fsys, archive
}

func TestFSTest(t *testing.T) {
	fsys, _ := newTestFS(t)
	if err := fstest.TestFS(fsys, "text.txt", "stored.bin", "dir/sub/x.html", "dir", "dir/sub", "empty"); err != nil {
		t.Fatal(err)
	}
}

func TestOpenDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "site.zip")
	if err := os.WriteFile(path, buildArchive(t, testMembers()), 0o644); err != nil {
		t.Fatal(err)
	}
	fsys, err := zipfs.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(fsys, "text.txt", "stored.bin", "dir/sub/x.html", "empty"); err != nil {
		t.Error(err)
	}
	if err := fsys.Close(); err != nil {
		t.Error(err)
	}
	if _, err := zipfs.Open(filepath.Join(t.TempDir(), "missing.zip")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open of a missing archive: %v, want fs.ErrNotExist", err)
	}
	if _, err := zipfs.Open(t.TempDir()); err == nil {
		t.Error("Open of a directory succeeded")
	}
}

func TestContentAndStat(t *testing.T) {
	fsys, _ := newTestFS(t)
	for _, m := range testMembers() {
		if strings.HasSuffix(m.name, "/") {
			continue
		}
		got, err := fs.ReadFile(fsys, m.name)
		if err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
		if !bytes.Equal(got, m.data) {
			t.Errorf("%s: content differs", m.name)
		}
		st, err := fs.Stat(fsys, m.name)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() != int64(len(m.data)) || !st.ModTime().Equal(modTime) || !st.Mode().IsRegular() {
			t.Errorf("%s: stat size %d time %v mode %v; want %d %v regular",
				m.name, st.Size(), st.ModTime(), st.Mode(), len(m.data), modTime)
		}
	}
	for _, dir := range []string{".", "dir", "dir/sub", "empty"} {
		st, err := fsys.Stat(dir)
		if err != nil || !st.IsDir() {
			t.Errorf("Stat(%q) = %v, %v; want a directory", dir, st, err)
		}
		f, err := fsys.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := f.(fs.ReadDirFile); !ok {
			t.Errorf("Open(%q) is not an fs.ReadDirFile", dir)
		}
		f.Close()
	}
	if st, _ := fsys.Stat("empty"); !st.ModTime().Equal(modTime) {
		t.Errorf("empty: mod time %v, want the member's %v", st.ModTime(), modTime)
	}
	list, err := fsys.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range list {
		names = append(names, d.Name())
	}
	if got, want := strings.Join(names, " "), "dir empty stored.bin text.txt"; got != want {
		t.Errorf("ReadDir(.) = %s, want %s", got, want)
	}
	if list, err := fsys.ReadDir("empty"); err != nil || len(list) != 0 {
		t.Errorf("ReadDir(empty) = %v, %v", list, err)
	}
}

func TestErrors(t *testing.T) {
	fsys, _ := newTestFS(t)
	for _, name := range []string{"missing", "dir/missing", "text.txt/x", "dir/sub/y.html"} {
		if _, err := fsys.Open(name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Open(%q): %v, want fs.ErrNotExist", name, err)
		}
		if _, err := fsys.Stat(name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat(%q): %v, want fs.ErrNotExist", name, err)
		}
		if _, err := fsys.OpenGzip(name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("OpenGzip(%q): %v, want fs.ErrNotExist", name, err)
		}
	}
	for _, name := range []string{"../x", "/text.txt", "dir/", "./text.txt", "dir//sub", "", "dir/../text.txt"} {
		for op, call := range map[string]func(string) error{
			"Open":     func(n string) error { _, err := fsys.Open(n); return err },
			"Stat":     func(n string) error { _, err := fsys.Stat(n); return err },
			"ReadDir":  func(n string) error { _, err := fsys.ReadDir(n); return err },
			"OpenGzip": func(n string) error { _, err := fsys.OpenGzip(n); return err },
		} {
			err := call(name)
			var pe *fs.PathError
			if !errors.Is(err, fs.ErrInvalid) || !errors.As(err, &pe) {
				t.Errorf("%s(%q): %v, want a *fs.PathError with fs.ErrInvalid", op, name, err)
			}
		}
	}
	if _, err := fsys.ReadDir("text.txt"); err == nil {
		t.Error("ReadDir of a file succeeded")
	}
	for _, name := range []string{"stored.bin", "dir", "empty", "."} {
		if _, err := fsys.OpenGzip(name); !errors.Is(err, zipfs.ErrNotCompressed) {
			t.Errorf("OpenGzip(%q): %v, want ErrNotCompressed", name, err)
		}
	}
}

func TestCorruptArchive(t *testing.T) {
	archive := buildArchive(t, testMembers())
	for name, data := range map[string][]byte{
		"empty":     nil,
		"garbage":   []byte("this is not a zip archive at all, not even close"),
		"truncated": archive[:len(archive)-10],
		"no end":    archive[:len(archive)/2],
	} {
		if _, err := zipfs.New(bytes.NewReader(data), int64(len(data))); err == nil {
			t.Errorf("New(%s) succeeded", name)
		}
	}
}

func TestOpenGzip(t *testing.T) {
	fsys, archive := newTestFS(t)
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		t.Fatal(err)
	}
	members := map[string]*zip.File{}
	for _, zf := range zr.File {
		members[zf.Name] = zf
	}
	for _, m := range testMembers() {
		if m.method != zip.Deflate {
			continue
		}
		zf := members[m.name]
		f, err := fsys.OpenGzip(m.name)
		if err != nil {
			t.Fatal(err)
		}
		gz, err := io.ReadAll(f)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if want := int64(10 + zf.CompressedSize64 + 8); st.Size() != want || int64(len(gz)) != want {
			t.Errorf("%s: Stat size %d, read %d bytes; want %d", m.name, st.Size(), len(gz), want)
		}
		if !st.ModTime().Equal(modTime) || st.Name() != zf.FileInfo().Name() {
			t.Errorf("%s: Stat name %q time %v", m.name, st.Name(), st.ModTime())
		}

		// The header, byte by byte.
		wantHdr := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255}
		binary.LittleEndian.PutUint32(wantHdr[4:], uint32(modTime.Unix()))
		if !bytes.Equal(gz[:10], wantHdr) {
			t.Errorf("%s: header % x, want % x", m.name, gz[:10], wantHdr)
		}
		// The body is the member's stored deflate data, untouched.
		body := gz[10 : len(gz)-8]
		rr, err := zf.OpenRaw()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(rr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(body, raw) {
			t.Errorf("%s: gzip body differs from the member's raw data", m.name)
		}
		off, err := zf.DataOffset()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(body, archive[off:off+int64(zf.CompressedSize64)]) {
			t.Errorf("%s: gzip body differs from the archive's bytes at the data offset", m.name)
		}
		// The trailer.
		trl := gz[len(gz)-8:]
		if crc := binary.LittleEndian.Uint32(trl); crc != crc32.ChecksumIEEE(m.data) || crc != zf.CRC32 {
			t.Errorf("%s: trailer CRC %08x, want %08x", m.name, crc, zf.CRC32)
		}
		if size := binary.LittleEndian.Uint32(trl[4:]); size != uint32(len(m.data)) {
			t.Errorf("%s: trailer ISIZE %d, want %d", m.name, size, len(m.data))
		}
		// And the whole is a gzip stream of the content.
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatal(err)
		}
		zr.Multistream(false)
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s: gunzip: %v", m.name, err)
		}
		if !bytes.Equal(plain, m.data) {
			t.Errorf("%s: gunzipped content differs", m.name)
		}
		if !zr.ModTime.Equal(modTime) || zr.OS != 255 {
			t.Errorf("%s: gzip header time %v OS %d", m.name, zr.ModTime, zr.OS)
		}
	}
}

// TestOpenGzipSmallReads reads the gzip stream a few bytes at a time,
// across the header, body and trailer boundaries.
func TestOpenGzipSmallReads(t *testing.T) {
	fsys, _ := newTestFS(t)
	for _, size := range []int{1, 3, 7, 10, 11, 4096} {
		f, err := fsys.OpenGzip("dir/sub/x.html")
		if err != nil {
			t.Fatal(err)
		}
		whole, err := fsys.OpenGzip("dir/sub/x.html")
		if err != nil {
			t.Fatal(err)
		}
		want, _ := io.ReadAll(whole)
		var got []byte
		buf := make([]byte, size)
		for {
			n, err := f.Read(buf)
			got = append(got, buf[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(got, want) {
			t.Errorf("reads of %d: got %d bytes, want %d", size, len(got), len(want))
		}
		if n, err := f.Read(buf); n != 0 || err != io.EOF {
			t.Errorf("read after the end: %d, %v", n, err)
		}
		f.Close()
		if _, err := f.Read(buf); !errors.Is(err, fs.ErrClosed) {
			t.Errorf("read after Close: %v, want fs.ErrClosed", err)
		}
		whole.Close()
	}
}

// TestOpenGzipTruncated serves a member whose data the archive lacks:
// reading stops with an error instead of a well-formed trailer.
func TestOpenGzipTruncated(t *testing.T) {
	archive := buildArchive(t, testMembers())
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		t.Fatal(err)
	}
	off, err := zr.File[0].DataOffset()
	if err != nil {
		t.Fatal(err)
	}
	// A reader whose data ends in the middle of the first member's data
	// once the central directory is read.
	short := &shortReaderAt{r: bytes.NewReader(archive), cut: off + 100}
	fsys, err := zipfs.New(short, int64(len(archive)))
	if err != nil {
		t.Fatal(err)
	}
	short.cutting = true
	f, err := fsys.OpenGzip("text.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(f); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("read of a truncated member: %v, want io.ErrUnexpectedEOF", err)
	}
}

// shortReaderAt, when cutting, ends at cut.
type shortReaderAt struct {
	r       io.ReaderAt
	cut     int64
	cutting bool
}

func (s *shortReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if !s.cutting {
		return s.r.ReadAt(p, off)
	}
	if off >= s.cut {
		return 0, io.EOF
	}
	if off+int64(len(p)) > s.cut {
		n, _ := s.r.ReadAt(p[:s.cut-off], off)
		return n, io.EOF
	}
	return s.r.ReadAt(p, off)
}

// TestConflicts checks names given twice, or as both file and directory.
func TestConflicts(t *testing.T) {
	archive := buildArchive(t, []member{
		{"a", zip.Store, []byte("file a")},
		{"a/b", zip.Store, []byte("file a/b")},
		{"c/", zip.Store, nil},
		{"c", zip.Store, []byte("file c")},
		{"d", zip.Store, []byte("first d")},
		{"d", zip.Store, []byte("second d")},
		{"../evil", zip.Store, []byte("outside")},
		{"/abs", zip.Store, []byte("absolute")},
	})
	fsys, err := zipfs.New(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(fsys, "a/b", "c", "d"); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"a", "c"} {
		if st, err := fsys.Stat(dir); err != nil || !st.IsDir() {
			t.Errorf("%s: %v, %v; want a directory", dir, st, err)
		}
	}
	if b, err := fs.ReadFile(fsys, "d"); err != nil || string(b) != "first d" {
		t.Errorf("d: %q, %v; want the first member", b, err)
	}
	list, _ := fsys.ReadDir(".")
	if len(list) != 3 {
		t.Errorf("root lists %d entries, want 3 (a c d)", len(list))
	}
}

func TestConcurrentReads(t *testing.T) {
	fsys, _ := newTestFS(t)
	want := textData()
	errc := make(chan error, 8)
	for range 8 {
		go func() {
			b, err := fs.ReadFile(fsys, "text.txt")
			if err == nil && !bytes.Equal(b, want) {
				err = errors.New("content differs")
			}
			if err == nil {
				var f fs.File
				if f, err = fsys.OpenGzip("text.txt"); err == nil {
					_, err = io.Copy(io.Discard, f)
					f.Close()
				}
			}
			errc <- err
		}()
	}
	for range 8 {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
}
