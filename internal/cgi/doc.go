// Package cgi holds the process and header pieces of golws's cgi:// mounts
// (lws's LWSMPRO_CGI); the loop owns the descriptors.
//
// The package does four things and nothing more:
//
//   - [Env] turns a [Request] into the RFC 3875 meta-variables handed to
//     the script.
//   - [Start] spawns the script with three pipes and returns a [Process]
//     whose stdin, stdout and stderr ends are non-blocking, close-on-exec
//     descriptors. The service loop adopts them, writes the request body to
//     stdin, reads stdout and stderr, enforces the timeout and calls
//     [Process.Kill], [Process.Reap] and [Process.CloseFDs] as needed.
//   - [HeaderParser] parses the response head the script writes to stdout
//     (RFC 3875 section 6.3) incrementally, so the loop can feed it
//     whatever each read returned, and renders the HTTP/1 response head
//     with [HeaderParser.AppendResponseHead], leaving out the hop-by-hop
//     headers: the server frames the response itself.
//   - [SniffChunked] tells whether the body of a script that declared
//     "Transfer-Encoding: chunked" really is chunk-coded.
//
// Nothing here starts goroutines, blocks or polls: every call returns at
// once, which is what a single-threaded event loop needs.
package cgi
