// Package testsite is golws's classic test site: the pages lwsws serves by
// default on http://127.0.0.1:7681, all embedded in the binary.
//
// The site root, FS (also given by Site), holds:
//
//	test.html      the test page: panels for dumb-increment-protocol,
//	               lws-mirror-protocol and lws-status, lws's "Close
//	               testing" panel (a dumb-increment connection closed by
//	               hand with a code and reason, or by the server when
//	               asked, showing the code and reason received), lws's
//	               "Send junk" and large-message checks, and two forms
//	               that post to "formtest" (protocol-post-demo)
//	test.js        the page's script; test.css its style
//	lws-common.js  helpers every page may use: lws_gray_out, which dims a
//	               page while its WebSocket is down (lws's "dim"
//	               convention), and get_appropriate_ws_url
//	error.css      the style that status pages made by
//	               Conn.ReturnHTTPStatus link
//	favicon.ico    the site's icon (image/x-icon), which browsers ask
//	               for at /favicon.ico
//
// Book returns a short illustrated story as a zip archive, to serve the
// way lws's test server serves its zip at /ziptest: the members stored
// deflated are sent as they are to clients that accept gzip.
//
// A vhost serves the whole test site with mounts such as
//
//	book, err := testsite.Book()
//	...
//	Mounts: []lws.Mount{
//		{Mountpoint: "/", FS: testsite.Site(), Default: "test.html"},
//		{Mountpoint: "/ziptest", FS: book, Default: "book.html"},
//		{Mountpoint: "/formtest", Origin: "callback://protocol-post-demo"},
//	}
//
// with the protocols of plugins/dumbincrement, plugins/mirror,
// plugins/status and plugins/postdemo on the same vhost. A vhost that
// only wants the shared files mounts FS alone; it has no index.html, so
// a request for "/" itself is still answered 404.
package testsite

import (
	"archive/zip"
	"bytes"
	"embed"
	"io"
	"io/fs"
	"path"
	"sync"
	"time"

	"github.com/golws/lws/zipfs"
)

// FS holds the site's files at its root: error.css, favicon.ico,
// lws-common.js, test.html, test.js and test.css. The book is not in it
// (see Book). Like every embed.FS it reports no modification times: the
// files are served dated from the process start (see lws.Mount.FS).
//
//go:embed error.css favicon.ico lws-common.js test.html test.js test.css server-status.html server-status.js
var FS embed.FS

// bookFiles holds the book's pages under book/.
//
//go:embed book
var bookFiles embed.FS

// Site returns the root of the test site: FS, whose files are at its
// root with no directory to strip. The book is served from Book's archive
// on its own mount, not from Site.
func Site() fs.FS { return FS }

// BookStored is the one member of Book's archive stored uncompressed: it
// is served plain even to clients that accept gzip.
const BookStored = "colophon.txt"

// bookModTime is the modification time of the archive's members, fixed
// so that their ETags and Last-Modified do not change from run to run.
var bookModTime = time.Date(2025, time.March, 1, 12, 0, 0, 0, time.UTC)

var book = sync.OnceValues(func() (*zipfs.FS, error) {
	b, err := bookArchive()
	if err != nil {
		return nil, err
	}
	return zipfs.New(bytes.NewReader(b), int64(len(b)))
})

// Book returns the book, a story of a few thousand words in three
// chapters with a map, as a zip archive read by package zipfs. Its
// members are at the archive's root: book.html (the title page and
// contents, the default page of its mount), book-1.html to book-3.html,
// book.css, map.svg and colophon.txt. Every member is stored deflated
// except BookStored. The archive is built in memory from embedded files
// on the first call; every call returns the same FS, which any number of
// vhosts and goroutines may share (its Close does nothing).
func Book() (*zipfs.FS, error) { return book() }

// bookArchive writes the zip archive of the book's files.
func bookArchive() ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	err := fs.WalkDir(bookFiles, "book", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		member := path.Base(name)
		method := zip.Deflate
		if member == BookStored {
			method = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: member, Method: method, Modified: bookModTime})
		if err != nil {
			return err
		}
		f, err := bookFiles.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
