package lws_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/golws/lws"
	"github.com/golws/lws/pmdeflate"
	lwsws "github.com/golws/lws/ws"
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

// echoDeflateMessages connects golws's client, with the extension ext, to
// the echo server on port under protocol, and sends each of the
// deflateInteropMessages once its previous echo is back; it fails the
// test unless the extension was agreed and every echo came back intact
// with its type. It returns the messages sent.
func echoDeflateMessages(t *testing.T, port int, protocol string, ext lws.Extension) []deflateMessage {
	t.Helper()
	msgs := deflateInteropMessages(t)
	rec := newRecorder()
	sent := 0
	awaiting := false // a message is out and its echo not yet back
	var got []byte
	proto := lws.Protocol{Name: protocol, Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackClientEstablished:
			rec.add(fmt.Sprint("established pmd ", c.ExtensionActive("permessage-deflate")))
			c.CallbackOnWritable()
		case lws.CallbackClientWriteable:
			if awaiting {
				return nil
			}
			if sent == len(msgs) {
				c.CloseReason(lwsws.CloseNormal, "done")
				return errors.New("done")
			}
			wt := lws.WriteText
			if msgs[sent].binary {
				wt = lws.WriteBinary
			}
			if _, err := c.Write(msgs[sent].data, wt); err != nil {
				return err
			}
			sent++
			awaiting = true
		case lws.CallbackClientReceive:
			got = append(got, in...)
			if c.IsFinalFragment() {
				m := msgs[sent-1]
				rec.add(fmt.Sprintf("echo %s: intact %v, binary %v", m.name, bytes.Equal(got, m.data), c.FrameIsBinary()))
				got = got[:0]
				awaiting = false
				c.CallbackOnWritable()
			}
		case lws.CallbackClientConnectionError:
			rec.add("error " + string(in))
		}
		return nil
	}}
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh, err := cx.CreateVhost(lws.VhostInfo{Name: "c", Port: lws.PortNoListen, Protocols: []lws.Protocol{proto},
			Extensions: []lws.Extension{ext}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cx.ClientConnect(lws.ClientConnectInfo{Vhost: vh, Address: "127.0.0.1", Port: port, Protocol: protocol}); err != nil {
			t.Fatal(err)
		}
	})
	if ev := rec.await(t, "established"); ev != "established pmd true" {
		t.Fatalf("%q (events %q)", ev, rec.list())
	}
	for _, m := range msgs {
		want := fmt.Sprintf("echo %s: intact true, binary %v", m.name, m.binary)
		if ev := rec.await(t, "echo"); ev != want {
			t.Fatalf("%q, want %q", ev, want)
		}
	}
	return msgs
}
