package zipfs

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"slices"
	"strings"
	"time"
)

// ErrNotCompressed is the error of OpenGzip for a member whose data is
// not stored as raw deflate (a member stored uncompressed, with another
// method, or encrypted) and for a directory: such a member cannot be sent
// as gzip without compressing it, and is served from FS.Open instead.
var ErrNotCompressed = errors.New("zipfs: member is not stored deflate-compressed")

// errEncrypted refuses members whose data is encrypted, which archive/zip
// cannot read.
var errEncrypted = fmt.Errorf("zipfs: encrypted member: %w", errors.ErrUnsupported)

// flagEncrypted is bit 0 of a member's general purpose flags.
const flagEncrypted = 0x1

// FS is the file system of a zip archive, made by Open or New. It
// implements fs.FS, fs.StatFS and fs.ReadDirFS; OpenGzip gives deflated
// members as gzip streams. An FS may be used by many goroutines at once.
type FS struct {
	entries map[string]*entry // by full name; "." is the root
	closer  io.Closer         // the archive's file when made by Open
}

// entry is a file or directory of the archive.
type entry struct {
	name     string      // full name, as fs.ValidPath
	zf       *zip.File   // the member; nil for an implied directory
	dir      bool        // a directory
	children []*entry    // a directory's entries, sorted by name
	info     *fileInfo   // what Stat and ReadDir tell of it
	modTime  time.Time   // the member's modification time
	mode     fs.FileMode // type and permission bits
}

// Open opens the zip archive at path. The FS keeps the file open until
// its Close.
func Open(path string) (*FS, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = &fs.PathError{Op: "open", Path: path, Err: errors.New("not a regular file")}
	}
	var z *FS
	if err == nil {
		z, err = New(f, st.Size())
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	z.closer = f
	return z, nil
}

// New reads the zip archive of size bytes in r. The archive's central
// directory is read and indexed here; members are read from r only when
// files are opened, so r must stay usable for as long as the FS is used.
func New(r io.ReaderAt, size int64) (*FS, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil && !(errors.Is(err, zip.ErrInsecurePath) && zr != nil) {
		// ErrInsecurePath comes with a usable reader: the names it is
		// about are not valid paths, and are left out below.
		return nil, err
	}
	z := &FS{entries: map[string]*entry{}}
	root := &entry{name: ".", dir: true, mode: fs.ModeDir | 0o555}
	z.entries["."] = root

	for _, zf := range zr.File {
		name, isDir := strings.CutSuffix(zf.Name, "/")
		if !fs.ValidPath(name) || name == "." {
			continue
		}
		isDir = isDir || zf.Mode().IsDir()
		switch e := z.entries[name]; {
		case e == nil:
			e = &entry{name: name, zf: zf, dir: isDir, modTime: zf.Modified}
			if isDir {
				e.mode = dirMode(zf)
			} else {
				e.mode = fileMode(zf)
			}
			z.entries[name] = e
		case isDir && (!e.dir || e.zf == nil):
			// A directory member takes the name from a file, or gives
			// its time and mode to the directory its members implied.
			*e = entry{name: name, zf: zf, dir: true, modTime: zf.Modified, mode: dirMode(zf)}
		default:
			continue // a name given twice: the first member wins
		}
		// Imply the parent directories; a directory wins over a file of
		// the same name.
		for d := path.Dir(name); d != "."; d = path.Dir(d) {
			e := z.entries[d]
			if e != nil && e.dir {
				break // its parents are known already
			}
			z.entries[d] = &entry{name: d, dir: true, mode: fs.ModeDir | 0o555}
		}
	}

	for _, e := range z.entries {
		e.info = &fileInfo{e: e}
		if e != root {
			parent := z.entries[path.Dir(e.name)]
			parent.children = append(parent.children, e)
		}
	}
	for _, e := range z.entries {
		if len(e.children) > 1 {
			slices.SortFunc(e.children, func(a, b *entry) int { return strings.Compare(a.name, b.name) })
		}
	}
	return z, nil
}

func fileMode(zf *zip.File) fs.FileMode {
	if p := zf.Mode().Perm(); p != 0 {
		return p
	}
	return 0o444
}

func dirMode(zf *zip.File) fs.FileMode {
	if p := zf.Mode().Perm(); p != 0 {
		return fs.ModeDir | p
	}
	return fs.ModeDir | 0o555
}

// Close closes the archive's file if the FS was made by Open; for an FS
// made by New it does nothing, the io.ReaderAt being the caller's. Files
// opened before must not be used after it.
func (z *FS) Close() error {
	if z.closer == nil {
		return nil
	}
	return z.closer.Close()
}

// lookup finds the entry of name for operation op.
func (z *FS) lookup(op, name string) (*entry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	e := z.entries[name]
	if e == nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	return e, nil
}

// Open opens the named file or directory. A file reads as its plain
// content, inflated as it is read when the member is compressed; its size
// and CRC-32 are checked at its end. A directory is an fs.ReadDirFile.
func (z *FS) Open(name string) (fs.File, error) {
	e, err := z.lookup("open", name)
	if err != nil {
		return nil, err
	}
	if e.dir {
		return &dirFile{e: e}, nil
	}
	if e.zf.Flags&flagEncrypted != 0 {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errEncrypted}
	}
	rc, err := e.zf.Open()
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &file{e: e, rc: rc}, nil
}

// Stat describes the named file or directory without opening it. A file's
// size is its uncompressed size.
func (z *FS) Stat(name string) (fs.FileInfo, error) {
	e, err := z.lookup("stat", name)
	if err != nil {
		return nil, err
	}
	return e.info, nil
}

// ReadDir lists the named directory, sorted by name.
func (z *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	e, err := z.lookup("readdir", name)
	if err != nil {
		return nil, err
	}
	if !e.dir {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errNotDir}
	}
	list := make([]fs.DirEntry, len(e.children))
	for i, c := range e.children {
		list[i] = c.info
	}
	return list, nil
}

var (
	errNotDir = errors.New("not a directory")
	errIsDir  = errors.New("is a directory")
)

// OpenGzip opens the named member, stored deflate-compressed, as a gzip
// stream (RFC 1952) to send with "Content-Encoding: gzip": a 10-byte
// header carrying the member's modification time, the member's compressed
// data exactly as the archive stores it, and an 8-byte trailer with the
// member's CRC-32 and uncompressed size. Nothing is inflated or
// recompressed. The file reads sequentially; its Stat gives the stream's
// size and the member's modification time. For a member not stored
// deflated, and for a directory, the error matches ErrNotCompressed.
func (z *FS) OpenGzip(name string) (fs.File, error) {
	e, err := z.lookup("open", name)
	if err != nil {
		return nil, err
	}
	if e.dir || e.zf.Method != zip.Deflate || e.zf.Flags&flagEncrypted != 0 {
		return nil, &fs.PathError{Op: "open", Path: name, Err: ErrNotCompressed}
	}
	zf := e.zf
	if zf.CompressedSize64 > math.MaxInt64-gzipHeaderLen-gzipTrailerLen {
		return nil, &fs.PathError{Op: "open", Path: name, Err: zip.ErrFormat}
	}
	raw, err := zf.OpenRaw()
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	g := &gzipFile{e: e, raw: raw, left: zf.CompressedSize64}
	g.hdr = [gzipHeaderLen]byte{0: 0x1f, 1: 0x8b, 2: 8, 3: 0, 8: 0, 9: 255}
	if t := zf.Modified.Unix(); !zf.Modified.IsZero() && t > 0 && t <= math.MaxUint32 {
		putLE32(g.hdr[4:8], uint32(t))
	}
	putLE32(g.trl[0:4], zf.CRC32)
	putLE32(g.trl[4:8], uint32(zf.UncompressedSize64))
	g.info = &fileInfo{e: e, size: int64(gzipHeaderLen + zf.CompressedSize64 + gzipTrailerLen), sized: true}
	return g, nil
}

func putLE32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

const (
	gzipHeaderLen  = 10
	gzipTrailerLen = 8
)

// file is an opened member: archive/zip's reader of its plain content.
type file struct {
	e      *entry
	rc     io.ReadCloser
	closed bool
}

func (f *file) Stat() (fs.FileInfo, error) {
	if f.closed {
		return nil, &fs.PathError{Op: "stat", Path: f.e.name, Err: fs.ErrClosed}
	}
	return f.e.info, nil
}

func (f *file) Read(p []byte) (int, error) {
	if f.closed {
		return 0, &fs.PathError{Op: "read", Path: f.e.name, Err: fs.ErrClosed}
	}
	return f.rc.Read(p)
}

func (f *file) Close() error {
	if f.closed {
		return &fs.PathError{Op: "close", Path: f.e.name, Err: fs.ErrClosed}
	}
	f.closed = true
	return f.rc.Close()
}

// gzipFile is a deflated member read as a gzip stream: hdr, then the
// member's raw data, then trl.
type gzipFile struct {
	e      *entry
	info   *fileInfo
	hdr    [gzipHeaderLen]byte
	trl    [gzipTrailerLen]byte
	raw    io.Reader
	left   uint64 // raw bytes still to read
	off    int    // bytes of hdr, then of trl, already read
	inTrl  bool
	closed bool
}

func (g *gzipFile) Stat() (fs.FileInfo, error) {
	if g.closed {
		return nil, &fs.PathError{Op: "stat", Path: g.e.name, Err: fs.ErrClosed}
	}
	return g.info, nil
}

func (g *gzipFile) Read(p []byte) (int, error) {
	if g.closed {
		return 0, &fs.PathError{Op: "read", Path: g.e.name, Err: fs.ErrClosed}
	}
	if len(p) == 0 {
		return 0, nil
	}
	n := 0
	if g.off < gzipHeaderLen && !g.inTrl {
		c := copy(p, g.hdr[g.off:])
		g.off += c
		n += c
		p = p[c:]
	}
	if len(p) > 0 && g.left > 0 {
		q := p
		if uint64(len(q)) > g.left {
			q = q[:g.left]
		}
		c, err := g.raw.Read(q)
		g.left -= uint64(c)
		n += c
		p = p[c:]
		if err == io.EOF && g.left > 0 {
			err = io.ErrUnexpectedEOF // the archive is shorter than it says
		}
		if err != nil && err != io.EOF {
			return n, &fs.PathError{Op: "read", Path: g.e.name, Err: err}
		}
		if g.left > 0 {
			return n, nil
		}
	}
	if g.left == 0 {
		if !g.inTrl {
			g.inTrl, g.off = true, 0
		}
		c := copy(p, g.trl[g.off:])
		g.off += c
		n += c
		if g.off == gzipTrailerLen {
			return n, io.EOF
		}
	}
	return n, nil
}

func (g *gzipFile) Close() error {
	if g.closed {
		return &fs.PathError{Op: "close", Path: g.e.name, Err: fs.ErrClosed}
	}
	g.closed = true
	return nil
}

// dirFile is an opened directory.
type dirFile struct {
	e      *entry
	off    int // children already listed
	closed bool
}

func (d *dirFile) Stat() (fs.FileInfo, error) {
	if d.closed {
		return nil, &fs.PathError{Op: "stat", Path: d.e.name, Err: fs.ErrClosed}
	}
	return d.e.info, nil
}

func (d *dirFile) Read([]byte) (int, error) {
	if d.closed {
		return 0, &fs.PathError{Op: "read", Path: d.e.name, Err: fs.ErrClosed}
	}
	return 0, &fs.PathError{Op: "read", Path: d.e.name, Err: errIsDir}
}

func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if d.closed {
		return nil, &fs.PathError{Op: "readdir", Path: d.e.name, Err: fs.ErrClosed}
	}
	rest := d.e.children[d.off:]
	if n > 0 && len(rest) == 0 {
		return nil, io.EOF
	}
	if n > 0 && n < len(rest) {
		rest = rest[:n]
	}
	list := make([]fs.DirEntry, len(rest))
	for i, c := range rest {
		list[i] = c.info
	}
	d.off += len(rest)
	return list, nil
}

func (d *dirFile) Close() error {
	if d.closed {
		return &fs.PathError{Op: "close", Path: d.e.name, Err: fs.ErrClosed}
	}
	d.closed = true
	return nil
}

// fileInfo describes an entry, as fs.FileInfo and fs.DirEntry.
type fileInfo struct {
	e     *entry
	size  int64 // with sized: the size to tell instead of the member's
	sized bool
}

func (i *fileInfo) Name() string {
	if i.e.name == "." {
		return "."
	}
	return path.Base(i.e.name)
}

func (i *fileInfo) Size() int64 {
	switch {
	case i.sized:
		return i.size
	case i.e.dir:
		return 0
	case i.e.zf.UncompressedSize64 > math.MaxInt64:
		return math.MaxInt64
	}
	return int64(i.e.zf.UncompressedSize64)
}

func (i *fileInfo) Mode() fs.FileMode  { return i.e.mode }
func (i *fileInfo) ModTime() time.Time { return i.e.modTime }
func (i *fileInfo) IsDir() bool        { return i.e.dir }

// Sys gives the member's *zip.FileHeader, or nil for a directory that is
// not a member.
func (i *fileInfo) Sys() any {
	if i.e.zf == nil {
		return nil
	}
	return &i.e.zf.FileHeader
}

func (i *fileInfo) Type() fs.FileMode          { return i.e.mode.Type() }
func (i *fileInfo) Info() (fs.FileInfo, error) { return i, nil }
func (i *fileInfo) String() string             { return fs.FormatFileInfo(i) }
