// Package lws is golws: libwebsockets' event-loop networking model in Go.
//
// A Context owns a service loop that holds every connection's descriptor
// in epoll (or poll(2)) and calls protocol callbacks with a Reason, one at a
// time, never concurrently: there is no goroutine per connection. Vhosts
// group protocols on a listen port; connections (Conn, lws's "wsi") are
// accepted, adopted, or made with ClientConnect, and are bound to one
// protocol, whose Callback sees everything that happens to them.
//
// # The receiver is the boss
//
// Data is written only from a WRITEABLE callback (RAW_WRITEABLE,
// SERVER_WRITEABLE, ...), and only once per callback. To send, ask with
// Conn.CallbackOnWritable and write when called back; generate the data
// then, not before, so that a slow peer slows its producer instead of
// filling memory. A second Write in the same callback is refused
// (ErrBackToBackWrite) unless SendPipeChoked said the pipe is free in
// between. What the kernel does not take at once is kept by the library
// (at most that one write) and sent as the socket drains; no WRITEABLE is
// delivered meanwhile. WRITEABLE callbacks that were not asked for may
// arrive; a callback with nothing to send just returns nil.
//
// On the receiving side, Conn.RxFlowControl(false) stops reading the
// descriptor, so the peer meets real TCP backpressure; data already read is
// held and delivered first when reception is turned back on.
//
// # One loop, one goroutine
//
// Everything runs on the goroutine servicing the loop (Context.Run or
// Context.Service): callbacks, and every method of Context, Vhost and
// Conn. The single exception is Context.CancelService, which any goroutine
// may call: the loop wakes and delivers EVENT_WAIT_CANCELLED to every
// protocol of every vhost, where the protocol picks up what other
// goroutines published under their own lock and asks for WRITEABLE
// callbacks. Calling anything else from another goroutine is a data race,
// and go test -race reports it.
//
// # Closing
//
// Return an error from a callback to close its connection (lws's
// "return -1"), or call Conn.Close. The library closes connections whose
// peer went away, and a connection's timeout (Conn.SetTimeout) closes it
// when it expires. Timers (Conn.SetTimer, Context.Schedule) run on the
// loop from one heap.
//
// # Roles
//
// A connection's role decides what its bytes mean. This release serves RAW
// sockets (server, client and adopted) and adopted file descriptors; the
// WebSocket, HTTP/1, HTTP/2 and TLS roles build on the same loop.
//
// The pure codecs and the readiness backends live in their own packages
// under internal/ and beside this one; cmd holds the commands and examples
// the runnable minimal programs.
package lws
