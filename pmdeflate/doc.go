// Package pmdeflate is golws's permessage-deflate WebSocket extension
// (RFC 7692), the counterpart of lws's
// lib/roles/ws/ext/extension-permessage-deflate.c: it negotiates the
// extension's parameters (Options.Accept on a server, Options.Offer and
// Options.Confirm on a client) and compresses and decompresses the
// messages of one connection end (Session).
//
// The package is pure: it does no I/O and does not know package lws, which
// wraps it as an lws.Extension and applies a Session to the frames of a
// connection.
//
// Memory is bounded and mostly borrowed. Between messages a Session keeps
// only the histories negotiated context takeover needs: what it received,
// 2^window_bits bytes (32 KiB by default), and what it sent, at most
// tx_dict_size bytes (1 KiB by default); nothing when no_context_takeover
// applies both ways (shared_compressor). While a message is being
// received it borrows an inflater (about 38 KB) and stages the message's
// compressed input, at most about 96 KiB beyond the piece just fed: the
// inflater runs only when it cannot run out of input mid-message, so no
// goroutine is needed. A compressor (about 830 KB at level 1) is borrowed
// only for the duration of each Encode call. Decompressed output is pulled
// into the caller's buffer, so a small message that inflates to gigabytes
// costs one buffer, never the whole message.
//
// Compression is klauspost/compress/flate's, which compresses with the
// small windows RFC 7692 negotiates and primes a pooled compressor with a
// history; inflating is klauspost's too, measured faster than
// compress/flate's on small messages.
package pmdeflate
