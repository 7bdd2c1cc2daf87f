package zipfs_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"testing"

	"github.com/golws/lws/zipfs"
)

// maxFuzzRead caps what is read of each file, so that a zip bomb costs
// no more than this.
const maxFuzzRead = 1 << 20

// FuzzNew feeds arbitrary bytes to New and, when they make an archive,
// walks it reading every file, plain and as gzip.
func FuzzNew(f *testing.F) {
	valid := buildArchive(f, testMembers())
	f.Add(valid)
	f.Add(buildArchive(f, []member{
		{"a", zip.Store, []byte("a")},
		{"a/b", zip.Deflate, []byte("bbbbbbbbbbbbbbbbbb")},
		{"../x", zip.Store, nil},
		{"c/", zip.Store, nil},
		{"c", zip.Deflate, []byte("c")},
	}))
	f.Add(buildArchive(f, nil))
	f.Add(valid[:len(valid)-1])
	f.Add([]byte("PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys, err := zipfs.New(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		defer fsys.Close()
		if _, err := fsys.Stat("."); err != nil {
			t.Fatalf("Stat(.): %v", err)
		}
		err = fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
			if err != nil {
				// Only the files' contents can be bad, not the index.
				t.Fatalf("walk %s: %v", name, err)
			}
			st, err := fsys.Stat(name)
			if err != nil {
				t.Fatalf("Stat(%q) of a listed name: %v", name, err)
			}
			if st.IsDir() != d.IsDir() || st.Name() != d.Name() {
				t.Fatalf("%s: Stat %v and the directory's entry %v disagree", name, st, d)
			}
			if d.IsDir() {
				if _, err := fsys.OpenGzip(name); !errors.Is(err, zipfs.ErrNotCompressed) {
					t.Fatalf("OpenGzip(%q) of a directory: %v", name, err)
				}
				return nil
			}
			readCapped(t, fsys.Open, name)
			readCapped(t, fsys.OpenGzip, name)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// readCapped opens name with open and reads at most maxFuzzRead bytes of
// it. Errors of opening and reading are the archive's: they are fine.
func readCapped(t *testing.T, open func(string) (fs.File, error), name string) {
	f, err := open(name)
	if err != nil {
		return
	}
	if _, err := f.Stat(); err != nil {
		t.Fatalf("Stat of opened %q: %v", name, err)
	}
	io.Copy(io.Discard, io.LimitReader(f, maxFuzzRead))
	if err := f.Close(); errors.Is(err, fs.ErrClosed) {
		t.Fatalf("Close of %q: %v", name, err)
	}
}
