package lws_test

import (
	"bytes"
	"crypto/rand"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/golws/lws"
	"github.com/golws/lws/pmdeflate"
)

// pmdExtension is golws's permessage-deflate with the options named as
// lws names them ("" for the defaults).
func pmdExtension(t testing.TB, options string) lws.Extension {
	t.Helper()
	ext, err := pmdExtensionOf(options)
	if err != nil {
		t.Fatal(err)
	}
	return ext
}

// pmdExtensionOf is pmdExtension for code without a testing.TB.
func pmdExtensionOf(options string) (lws.Extension, error) {
	o, err := pmdeflate.ParseOptions(options)
	if err != nil {
		return lws.Extension{}, err
	}
	return lws.PermessageDeflate(o), nil
}

// deflateEchoVhost creates a listening vhost that accepts
// permessage-deflate with the options given.
func deflateEchoVhost(t testing.TB, cx *lws.Context, options string, protos ...lws.Protocol) *lws.Vhost {
	t.Helper()
	vh, err := cx.CreateVhost(lws.VhostInfo{Name: "ws", Port: lws.PortAny, Iface: "127.0.0.1", Protocols: protos,
		Extensions: []lws.Extension{pmdExtension(t, options)}})
	if err != nil {
		t.Fatal(err)
	}
	return vh
}

// deflateMessage is one of the messages the interoperability tests of
// permessage-deflate exchange.
type deflateMessage struct {
	name         string
	data         []byte
	binary       bool
	compressible bool
}

// deflateInteropMessages returns a 1 MiB compressible message and a 1 MiB
// random one, each as text and as binary. The random text is random code
// points from U+0020 to U+07FF, which deflate shrinks by a sixth at most.
func deflateInteropMessages(t testing.TB) []deflateMessage {
	const size = 1 << 20
	line := `{"id": 12345, "name": "The quick brown fox", "tags": ["jumps", "over", "the lazy dog"], "ok": true}` + "\n"
	compressible := []byte(strings.Repeat(line, size/len(line)+1)[:size])
	random := make([]byte, size)
	if _, err := rand.Read(random); err != nil {
		t.Fatal(err)
	}
	text := make([]byte, 0, size)
	for i := 0; len(text)+2 <= size; i += 2 {
		r := 0x20 + rune(int(random[i%(size-1)])|int(random[(i+1)%(size-1)])<<8)%(0x800-0x20)
		text = utf8.AppendRune(text, r)
	}
	text = append(text, bytes.Repeat([]byte("A"), size-len(text))...)
	return []deflateMessage{
		{"compressible text", compressible, false, true},
		{"compressible binary", compressible, true, true},
		{"random text", text, false, false},
		{"random binary", random, true, false},
	}
}

// pmdCounts counts, on one side, the messages a permessage-deflate
// extension received compressed (decoded) and sent compressed (encoded).
type pmdCounts struct {
	decoded, encoded atomic.Int64
}

// countingExtension wraps ext so that every session it negotiates counts
// the messages it decodes and the messages it chooses to compress.
func countingExtension(ext lws.Extension) (lws.Extension, *pmdCounts) {
	n := new(pmdCounts)
	negotiate := ext.Negotiate
	ext.Negotiate = func(c *lws.Conn, server bool, params string) (lws.ExtensionSession, string, error) {
		s, answer, err := negotiate(c, server, params)
		if s != nil {
			s = &countingSession{ExtensionSession: s, n: n}
		}
		return s, answer, err
	}
	return ext, n
}

type countingSession struct {
	lws.ExtensionSession
	n *pmdCounts
}

func (s *countingSession) Decode(dst []byte) (int, bool, error) {
	n, end, err := s.ExtensionSession.Decode(dst)
	if end && err == nil {
		s.n.decoded.Add(1)
	}
	return n, end, err
}

func (s *countingSession) Encode(dst, in []byte, first, final bool) ([]byte, bool, error) {
	out, transformed, err := s.ExtensionSession.Encode(dst, in, first, final)
	if first && transformed && err == nil {
		s.n.encoded.Add(1)
	}
	return out, transformed, err
}
