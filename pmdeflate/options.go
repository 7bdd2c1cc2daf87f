package pmdeflate

import (
	"fmt"
	"strconv"
	"strings"
)

// Name is the extension token of permessage-deflate in
// Sec-WebSocket-Extensions.
const Name = "permessage-deflate"

// Defaults and limits of the options, lws's where lws has the option.
const (
	// DefaultCompressionLevel is lws's compression_level default: 1, the
	// fastest level.
	DefaultCompressionLevel = 1
	// DefaultRxBufSize is lws's rx_buf_size default, a power of two
	// exponent: 10, decoded pieces of at most 1024 bytes.
	DefaultRxBufSize = 10
	// DefaultTxDictSize is how many bytes of what it sent a Session keeps
	// between messages, when context takeover is allowed, to compress the
	// next message against (golws's tx_dict_size). On 1 KiB JSON-like
	// messages 1 KiB of history gains about as much as the whole window
	// (compressed size 0.35 of the original instead of 0.42 without
	// history), and priming the compressor with more costs more time at
	// every message for no better ratio (BenchmarkEncodeDictSize).
	DefaultTxDictSize = 1024
	// minBufPow2 and maxBufPow2 bound rx_buf_size and tx_buf_size: lws
	// needs at least 128 bytes; beyond 2^20 a piece is no longer a piece.
	minBufPow2 = 7
	maxBufPow2 = 20
)

// Options are a vhost's permessage-deflate settings, lws's extension
// options plus golws's own. The zero value is lws's defaults: context
// takeover both ways, 15 window bits both ways, compression level 1,
// 1 KiB pieces. A server uses them to answer offers (Accept), a client to
// make its offer (Offer) and check the answer (Confirm); both pass them on
// to the connection's Session.
type Options struct {
	// ServerNoContextTakeover ("server_no_context_takeover"): the server
	// compresses every message on its own, keeping no history between
	// messages. A server answers with it; a client asks for it in its
	// offer.
	ServerNoContextTakeover bool
	// ClientNoContextTakeover ("client_no_context_takeover"): the client
	// compresses every message on its own. A server answers with it,
	// which frees it from keeping the client's history; a client offers
	// it as a hint.
	ClientNoContextTakeover bool
	// ServerMaxWindowBits ("server_max_window_bits", 8..15; 0 means 15)
	// limits the LZ77 window the server compresses with to 2^bits bytes.
	// A server answers with the smaller of this and the client's limit; a
	// client below 15 asks for it in its offer.
	ServerMaxWindowBits int
	// ClientMaxWindowBits ("client_max_window_bits", 8..15; 0 means 15)
	// limits the window the client compresses with. A server below 15
	// answers with it when the client offered client_max_window_bits
	// (RFC 7692 forbids it otherwise); a client offers it (bare when 15,
	// saying it can honour a limit).
	ClientMaxWindowBits int
	// CompressionLevel ("compression_level") is zlib's level: 1 (fastest)
	// to 9 (smallest); 0 means lws's default, 1. Set maps
	// compression_level=0, zlib's "store only", to -1 here, which sends
	// deflate stored blocks; -2 compresses with Huffman codes only.
	CompressionLevel int
	// RxBufSize ("rx_buf_size") is a power of two exponent, as in lws:
	// Session.Decode hands out decompressed data in pieces of at most
	// 2^RxBufSize bytes, so the protocol receives a large message piece
	// by piece. 7..20; 0 means 10 (1 KiB).
	RxBufSize int
	// TxBufSize ("tx_buf_size") is a power of two exponent, as in lws:
	// the largest frame payload a compressed write is sent in (lws
	// fragments its compressed output into frames of its output buffer's
	// size). pmdeflate produces whole pieces and reports the size in
	// bytes (Session.TxBufSize); the connection's framing applies it.
	// 7..20; 0, golws's default, sends a write in one frame, compressed
	// or not, as golws has no output buffer to fill (lws's default is 10,
	// 1 KiB frames).
	TxBufSize int
	// SharedCompressor ("shared_compressor", golws's): nothing of the
	// compression outlives a message. A server answers every offer with
	// server_no_context_takeover and client_no_context_takeover, a client
	// offers both; compressor and inflater are then only borrowed from
	// pools shared by all connections while a message is in flight.
	SharedCompressor bool
	// CompressMinSize ("compress_min_size", golws's): a message sent in
	// one piece shorter than this many bytes, or whose compressed form
	// would not be shorter, is sent uncompressed (RFC 7692 allows it).
	// 0, the default, compresses every message as lws does: lws 4.1's
	// client stops writing once it receives an uncompressed message on a
	// compressed connection.
	CompressMinSize int
	// TxDictSize ("tx_dict_size", golws's): how many of the last bytes a
	// Session sent it keeps between messages, when context takeover is
	// allowed, and primes the next message's compressor with (capped by
	// the window). A bigger history compresses repetitive messages better
	// and costs time at the start of every message (see the package's
	// benchmarks). 1..32768; 0 means DefaultTxDictSize. lws's mem_level
	// (zlib's memory for compression state, 1..9) sets it too, to
	// 2^(mem_level+2) bytes, so lws's default 8 is the default 1 KiB.
	TxDictSize int
}

// Set sets the option called name, lws's name, to value; an option that
// takes no value (server_no_context_takeover, client_no_context_takeover,
// shared_compressor) is set by an empty value. The window bits options
// accept an empty value too, meaning 15.
func (o *Options) Set(name, value string) error {
	switch name {
	case "server_no_context_takeover", "client_no_context_takeover", "shared_compressor":
		if value != "" {
			return fmt.Errorf("pmdeflate: option %s takes no value, got %q; give it alone", name, value)
		}
		switch name {
		case "server_no_context_takeover":
			o.ServerNoContextTakeover = true
		case "client_no_context_takeover":
			o.ClientNoContextTakeover = true
		default:
			o.SharedCompressor = true
		}
		return nil
	case "server_max_window_bits", "client_max_window_bits":
		bits := 15
		if value != "" {
			var err error
			if bits, err = intOption(name, value, 8, 15); err != nil {
				return err
			}
		}
		if name == "server_max_window_bits" {
			o.ServerMaxWindowBits = bits
		} else {
			o.ClientMaxWindowBits = bits
		}
		return nil
	}
	return o.setRuntime(name, value)
}

// setRuntime sets the options a connection may change while it runs.
func (o *Options) setRuntime(name, value string) error {
	var err error
	switch name {
	case "compression_level":
		var l int
		if l, err = intOption(name, value, 0, 9); err == nil {
			if l == 0 {
				l = -1
			}
			o.CompressionLevel = l
		}
	case "rx_buf_size":
		o.RxBufSize, err = intOption(name, value, minBufPow2, maxBufPow2)
	case "tx_buf_size":
		o.TxBufSize, err = intOption(name, value, minBufPow2, maxBufPow2)
	case "compress_min_size":
		o.CompressMinSize, err = intOption(name, value, 0, 1<<30)
	case "tx_dict_size":
		o.TxDictSize, err = intOption(name, value, 1, 1<<15)
	case "mem_level":
		// zlib's mem_level (1..9, lws's default 8) trades the memory of
		// the compression state for ratio; here that memory is the send
		// history, 2^(mem_level+2) bytes: 8 gives the default 1 KiB.
		var l int
		if l, err = intOption(name, value, 1, 9); err == nil {
			o.TxDictSize = 1 << (l + 2)
		}
	default:
		return fmt.Errorf("pmdeflate: unknown option %q; the options are server_no_context_takeover, client_no_context_takeover, server_max_window_bits, client_max_window_bits, compression_level, mem_level, rx_buf_size, tx_buf_size, shared_compressor, compress_min_size and tx_dict_size", name)
	}
	return err
}

// intOption parses the decimal value of option name within lo..hi.
func intOption(name, value string, lo, hi int) (int, error) {
	v, err := strconv.Atoi(strings.TrimSpace(value))
	if err != nil || v < lo || v > hi {
		return 0, fmt.Errorf("pmdeflate: option %s wants a whole number from %d to %d, got %q", name, lo, hi, value)
	}
	return v, nil
}

// ParseOptions parses a list of options, lws's extension option syntax:
// "name=value; name; ..." (the leading "permessage-deflate;" of an lws
// extension string is accepted and skipped). Later options override
// earlier ones.
func ParseOptions(s string) (Options, error) {
	var o Options
	for i, item := range strings.Split(s, ";") {
		item = strings.TrimSpace(item)
		if item == "" || (i == 0 && item == Name) {
			continue
		}
		name, value, _ := strings.Cut(item, "=")
		if err := o.Set(strings.TrimSpace(name), strings.TrimSpace(value)); err != nil {
			return Options{}, err
		}
	}
	return o, nil
}

// orDefault returns v, or def when v is 0.
func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// serverBits and clientBits are the window bits options with 0 as 15.
func (o *Options) serverBits() int { return orDefault(o.ServerMaxWindowBits, 15) }
func (o *Options) clientBits() int { return orDefault(o.ClientMaxWindowBits, 15) }
