package lws

import (
	"bytes"
	"crypto/tls"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/golws/lws/internal/selfsigned"
)

// tlsPair makes a server and a client tls.Conn over tlsTransports, shakes
// hands over a real TCP connection (as the handshake pool does), then
// switches both transports to memory, as the loop does.
func tlsPair(t *testing.T) (srv, cli *tls.Conn, st, ct *tlsTransport) {
	t.Helper()
	certPEM, keyPEM, err := selfsigned.Generate(time.Hour, "localhost")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	st, ct = &tlsTransport{hs: sn}, &tlsTransport{hs: cn}
	// No session tickets: a ticket written after the handshake would be
	// left in the socket, not in the memory the test feeds.
	srv = tls.Server(st, &tls.Config{Certificates: []tls.Certificate{cert}, SessionTicketsDisabled: true})
	cli = tls.Client(ct, &tls.Config{InsecureSkipVerify: true})
	errc := make(chan error, 1)
	go func() { errc <- srv.Handshake() }()
	if err := cli.Handshake(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	sn.Close()
	cn.Close()
	st.hs, ct.hs = nil, nil
	return srv, cli, st, ct
}

// TestCryptoTLSKeepsPartialRecords pins the crypto/tls behaviour the loop
// relies on: a temporary error from the transport's Read leaves the part
// of a record already read in place, and later reads complete it. If a Go
// release changes that, this fails.
func TestCryptoTLSKeepsPartialRecords(t *testing.T) {
	srv, cli, st, ct := tlsPair(t)
	msg := bytes.Repeat([]byte("partial records survive. "), 400) // 10000 bytes: one record
	if _, err := srv.Write(msg); err != nil {
		t.Fatal(err)
	}
	wire := append([]byte(nil), st.out...)
	st.out = st.out[:0]
	buf := make([]byte, 16<<10)
	var got []byte
	// Feed the record a few bytes at a time: every read before the last
	// piece must report "would block", never a lasting error.
	for i := 0; i < len(wire); i += 333 {
		ct.in = append(ct.in, wire[i:min(i+333, len(wire))]...)
		for {
			n, err := cli.Read(buf)
			got = append(got, buf[:n]...)
			if err == nil {
				continue
			}
			if !errors.Is(err, errWouldBlock) {
				t.Fatalf("read after %d of %d bytes: %v", min(i+333, len(wire)), len(wire), err)
			}
			break
		}
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("got %d bytes, want %d", len(got), len(msg))
	}
	// And the other way, after would-block errors on the server side.
	if _, err := srv.Read(buf); !errors.Is(err, errWouldBlock) {
		t.Fatalf("an empty transport: %v, want would-block", err)
	}
	if _, err := cli.Write([]byte("back")); err != nil {
		t.Fatal(err)
	}
	st.in = append(st.in, ct.out...)
	if n, err := srv.Read(buf); err != nil || string(buf[:n]) != "back" {
		t.Fatalf("server read %q, %v", buf[:n], err)
	}
}

// TestCryptoTLSWritesNeverFail pins that writes through the memory
// transport are accepted whole, however much is written, so that the
// loop applies backpressure before encrypting and never after.
func TestCryptoTLSWritesNeverFail(t *testing.T) {
	srv, cli, st, ct := tlsPair(t)
	big := bytes.Repeat([]byte{0x5a}, 1<<20)
	n, err := srv.Write(big)
	if err != nil || n != len(big) {
		t.Fatalf("Write: %d, %v", n, err)
	}
	if len(st.out) < len(big) || len(st.out) > len(big)+len(big)/100 {
		t.Fatalf("%d bytes of ciphertext for %d of plaintext", len(st.out), len(big))
	}
	ct.in = st.out
	buf := make([]byte, 16<<10)
	total := 0
	for {
		n, err := cli.Read(buf)
		total += n
		if errors.Is(err, errWouldBlock) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if total != len(big) {
		t.Fatalf("read %d of %d", total, len(big))
	}
}
