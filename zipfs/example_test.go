package zipfs_test

import (
	"archive/zip"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/golws/lws/zipfs"
)

// Example serves a file of a zip archive the way an HTTP file mount does:
// as the stored gzip stream when the client accepts gzip and the member is
// deflated, and as plain content otherwise.
func Example() {
	// An archive to serve, made here for the example.
	dir, err := os.MkdirTemp("", "zipfs-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	archive := filepath.Join(dir, "site.zip")
	out, err := os.Create(archive)
	if err != nil {
		log.Fatal(err)
	}
	zw := zip.NewWriter(out)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "index.html", Method: zip.Deflate})
	io.WriteString(w, strings.Repeat("<p>hello from inside a zip file</p>\n", 20))
	zw.Close()
	out.Close()

	fsys, err := zipfs.Open(archive)
	if err != nil {
		log.Fatal(err)
	}
	defer fsys.Close()

	// serve gives the body to send for name, and its Content-Encoding.
	serve := func(name, acceptEncoding string) (body io.ReadCloser, encoding string, size int64) {
		if strings.Contains(acceptEncoding, "gzip") {
			f, err := fsys.OpenGzip(name)
			if err == nil {
				st, _ := f.Stat()
				return f, "gzip", st.Size()
			}
			if !errors.Is(err, zipfs.ErrNotCompressed) {
				log.Fatal(err)
			}
		}
		f, err := fsys.Open(name)
		if err != nil {
			log.Fatal(err)
		}
		st, _ := f.Stat()
		return f, "", st.Size()
	}

	body, encoding, size := serve("index.html", "")
	plain, _ := io.ReadAll(body)
	body.Close()
	fmt.Printf("plain: %d bytes, Content-Length %d, encoding %q\n", len(plain), size, encoding)

	body, encoding, size = serve("index.html", "gzip, deflate")
	gz, _ := io.ReadAll(body)
	body.Close()
	fmt.Printf("gzip: Content-Length matches %v, encoding %q\n", int64(len(gz)) == size, encoding)

	// What the client does with it.
	zr, err := gzip.NewReader(strings.NewReader(string(gz)))
	if err != nil {
		log.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	fmt.Println("client inflates it to the same content:", string(unzipped) == string(plain))
	// Output:
	// plain: 720 bytes, Content-Length 720, encoding ""
	// gzip: Content-Length matches true, encoding "gzip"
	// client inflates it to the same content: true
}
