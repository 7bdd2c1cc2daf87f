// Package zipfs serves the members of a .zip archive as an io/fs.FS: mount
// origins of golws's HTTP file serving may be zip archives, as in
// libwebsockets' "serving from inside a zip file".
//
// Open (or New, for any io.ReaderAt) reads the archive's central directory
// once and indexes its members; nothing of their contents is read until a
// file is opened, and no file is ever buffered whole. The FS's Open gives a
// member's plain content, inflated as it is read by archive/zip's own
// reader, so memory stays bounded whatever the member's size. When the
// client accepts gzip, OpenGzip gives a deflate-compressed member as a
// complete gzip stream (RFC 1952) made of a fixed header, the member's
// compressed bytes exactly as the archive stores them, and a trailer with
// the member's CRC-32 and size: the server sends it with
// "Content-Encoding: gzip" and nothing is inflated or recompressed. A
// member that is not stored deflated gives ErrNotCompressed, and is served
// from Open instead.
//
// Directories need not be members of the archive: a member "a/b.txt"
// makes a directory "a" exist, and "." is the root. Names are those of
// fs.ValidPath; members whose names are not valid (absolute, with ".." or
// empty elements) are not served. When a name is given by several
// members, the first one in the central directory is served; when it is
// both a file and a directory, the directory wins.
//
// An FS is immutable once made and may be used from any number of
// goroutines; each file it opens is for one goroutine at a time.
package zipfs
