// Package lws is golws: libwebsockets' event-loop networking model in Go,
// serving WebSocket, HTTP/1.1, HTTP/2, TLS and RAW sockets, as servers and
// (HTTP/2 aside) as clients. An HTTP/2 connection's streams are child
// connections of it ([Conn.Network]), each with its own callbacks, so the
// same protocols and mounts serve HTTP/1 and HTTP/2 alike.
//
// A [Context] owns a service loop that holds every connection's descriptor
// in epoll (or poll(2)) and calls protocol callbacks with a [Reason], one
// at a time, never concurrently: there is no goroutine per connection.
// A [Vhost] groups protocols, mounts and TLS settings on a listen port.
// Connections ([Conn], lws's "wsi") are accepted by a vhost, made with
// [Context.ClientConnect], or adopted ([Vhost.AdoptSocket],
// [Vhost.AdoptDescriptor]); each is bound to one [Protocol], whose
// Callback sees everything that happens to it. Names follow lws:
// lws_callback_on_writable(wsi) is c.CallbackOnWritable(),
// LWS_CALLBACK_RAW_RX is [CallbackRawRX].
//
// # A server in a few lines
//
//	cx, err := lws.NewContext(lws.ContextInfo{})
//	if err != nil {
//		return err
//	}
//	defer cx.Destroy()
//	_, err = cx.CreateVhost(lws.VhostInfo{
//		Port:      7681,
//		Protocols: []lws.Protocol{myProtocol},
//		Mounts:    []lws.Mount{{Mountpoint: "/", Origin: "file:///var/www", Default: "index.html"}},
//	})
//	if err != nil {
//		return err // the port is taken, or a PROTOCOL_INIT failed
//	}
//	return cx.Run(ctx) // every callback runs on this goroutine
//
// The package's examples are complete programs with a client of their
// own: a RAW echo (the model), a WebSocket server, a file server, logging.
//
// # The receiver is the boss
//
// Data is written only from a WRITEABLE callback (RAW_WRITEABLE,
// SERVER_WRITEABLE, HTTP_WRITEABLE, CLIENT_WRITEABLE), and only once per
// callback. To send, ask with [Conn.CallbackOnWritable] and write when
// called back; make the data then, not before, so that a slow peer slows
// its producer instead of filling memory. A second Write in the same
// callback is refused ([ErrBackToBackWrite]) unless [Conn.SendPipeChoked] said
// the pipe is free in between. What the kernel does not take at once is
// kept by the library (at most that one write) and sent as the socket
// drains; no WRITEABLE is delivered meanwhile. WRITEABLE callbacks that
// were not asked for may arrive: a callback with nothing to send returns
// nil.
//
// On the receiving side, [Conn.RxFlowControl](false) stops reading the
// descriptor, so the peer meets TCP's own backpressure; data already read
// is held and delivered first when reception is turned back on.
//
// # One loop, one goroutine
//
// Everything runs on the goroutine servicing the loop ([Context.Run] or
// [Context.Service]): callbacks, and every method of Context, Vhost and
// Conn. The one exception is [Context.CancelService], which any goroutine
// may call: the loop wakes and delivers EVENT_WAIT_CANCELLED to every
// protocol of every vhost, where the protocol picks up what other
// goroutines published under their own lock and asks for WRITEABLE
// callbacks. Calling anything else from another goroutine is a data race,
// which go test -race reports.
//
// # Protocols and their data
//
// A [Protocol] has a Name (the WebSocket subprotocol, the target of
// callback:// mounts, the key of per-vhost options), a Callback, and
// NewSession, which makes each connection's data ([Conn.User]).
// PROTOCOL_INIT comes once per vhost, with no connection data: it reads
// the vhost's options ([VhostInfo].ProtocolOptions, lws's pvo) with
// [Conn.ProtocolOption] and keeps per-vhost state with
// [Conn.SetVhostData]. Plugins register protocols by name from init
// ([RegisterProtocol], [LookupProtocol]); the classic ones are the
// packages under plugins/, and plugins/dumbincrement is the template to
// start from.
//
// # Roles
//
// A connection's role decides what its bytes mean:
//
//   - WebSocket (RFC 6455), a vhost's default with HTTP: ESTABLISHED,
//     RECEIVE in pieces (a [MessageBuffer] gathers whole messages),
//     SERVER_WRITEABLE, CLOSED; clients get the CLIENT_* reasons.
//   - HTTP/1.1: declared mounts ([Mount]) serve files (any io/fs.FS, zip
//     archives), CGI programs, redirects and callback:// protocols without
//     HTTP code; a protocol may also answer HTTP itself (HTTP,
//     HTTP_BODY, HTTP_WRITEABLE). [Context.ClientConnect] with a method is
//     an HTTP client.
//   - RAW: sockets that carry bytes as they are ([RoleRawSkt] listeners,
//     "RAW" clients, adopted sockets) and adopted files, pipes and ttys.
//
// TLS (crypto/tls) wraps any of them: a vhost with a certificate serves
// https and wss, a client asks for it with [ClientUseSSL].
//
// A connection that carries others is their network connection (lws's
// network wsi): the socket, its readiness and what is queued for it belong
// to it, and a child travelling on it (an HTTP/2 stream, a pipelined
// client transaction, as those come) writes and is flow-controlled
// through it; [Conn.Network] finds it. Children close before their
// parent, each with its own close reason; a parent that is open hears
// CHILD_CLOSING for each ([Conn.ChildClosing]). A CGI program's pipes
// are children of the HTTP connection they serve.
//
// # Closing, timers, limits
//
// Return an error from a callback to close its connection (lws's
// "return -1"), with [Conn.CloseReason] for a WebSocket close code, or call
// [Conn.Close]. A panic in a callback is recovered and closes only that
// connection. Timers ([Conn.SetTimer], [Conn.SetTimeout],
// [Context.Schedule]) run on the loop from one heap. The connection table
// follows RLIMIT_NOFILE; the loop reads at most
// [ContextInfo].ServiceBufferSize at a time.
//
// # Where things are
//
//   - this package: contexts, vhosts, connections, the loop, the roles,
//     mounts, TLS, logging ([SetLogLevel])
//   - ws, h1: the WebSocket and HTTP/1 wire codecs, without I/O; hdr: the
//     request header table, with lws's token names ([Conn.Hdr] takes a
//     hdr.Token), filled by the HTTP/1 parser or any other wire's decoder;
//     httpsem: HTTP semantics apart from the wire (dates, ranges,
//     conditional requests, status texts)
//   - spa: form bodies (urlencoded, multipart); zipfs: zip archives as
//     io/fs.FS
//   - plugins/...: the classic protocols (echo, dumb-increment, mirror,
//     lws-status, fraggle, post-demo, raw-test, server-status)
//   - cmd/lwsws: the JSON-configured server; cmd/lws-client: the client
//     tool; cmd/lws-bench: the load generator
//   - examples/...: minimal runnable programs, and examples/greeter, a
//     plugin in its smallest form
//   - docs/design.md: what was chosen and why; docs/lwsws.md: lwsws's
//     configuration
package lws
