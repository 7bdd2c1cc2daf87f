package conformance

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"strings"
	"time"
)

// guid is RFC 6455's handshake constant.
const guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// dial opens TCP to a ws:// URL and performs the opening handshake by
// hand, offering permessage-deflate with offers (none when empty). It
// returns the connection, the octets that followed the server's response
// and the permessage-deflate agreed (nil when none).
func dial(ctx context.Context, rawURL string, cfg *tls.Config, offers []deflateOffer) (net.Conn, []byte, *deflateParams, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, nil, err
	}
	port := "80"
	switch u.Scheme {
	case "ws":
	case "wss":
		port = "443"
	default:
		return nil, nil, nil, fmt.Errorf("unsupported scheme %q (ws:// and wss:// are)", u.Scheme)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), port)
	}
	path := u.RequestURI()
	ctx, cancel := context.WithTimeout(ctx, openHandshakeTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, nil, nil, err
	}
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	if u.Scheme == "wss" {
		c := cfg.Clone()
		if c == nil {
			c = &tls.Config{}
		}
		if c.ServerName == "" {
			c.ServerName = u.Hostname()
		}
		tc := tls.Client(conn, c)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, nil, nil, err
		}
		conn = tc
	}
	var k [16]byte
	binary.LittleEndian.PutUint64(k[:], rand.Uint64())
	binary.LittleEndian.PutUint64(k[8:], rand.Uint64())
	key := base64.StdEncoding.EncodeToString(k[:])
	req := "GET " + path + " HTTP/1.1\r\n" +
		"Host: " + u.Host + "\r\n" +
		"User-Agent: golws-conformance\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Pragma: no-cache\r\n" +
		"Cache-Control: no-cache\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\n" +
		"Sec-WebSocket-Version: 13\r\n"
	if len(offers) > 0 {
		list := make([]string, len(offers))
		for i, o := range offers {
			list[i] = o.String()
		}
		req += "Sec-WebSocket-Extensions: " + strings.Join(list, ", ") + "\r\n"
	}
	req += "\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		conn.Close()
		return nil, nil, nil, err
	}
	var resp []byte
	buf := make([]byte, 4096)
	end := -1
	for end < 0 {
		n, err := conn.Read(buf)
		resp = append(resp, buf[:n]...)
		end = bytes.Index(resp, []byte("\r\n\r\n"))
		if end < 0 && err != nil {
			conn.Close()
			return nil, nil, nil, fmt.Errorf("reading the handshake response: %w", err)
		}
		if len(resp) > 16<<10 {
			conn.Close()
			return nil, nil, nil, errors.New("handshake response headers too long")
		}
	}
	agreed, err := checkResponse(string(resp[:end]), key, offers)
	if err != nil {
		conn.Close()
		return nil, nil, nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, resp[end+4:], agreed, nil
}

// checkResponse verifies the server's handshake response, its
// permessage-deflate answer to offers included, and returns the
// permessage-deflate agreed (nil when none).
func checkResponse(head, key string, offers []deflateOffer) (*deflateParams, error) {
	lines := strings.Split(head, "\r\n")
	status := strings.Fields(lines[0])
	if len(status) < 2 || !strings.HasPrefix(status[0], "HTTP/1.1") || status[1] != "101" {
		return nil, fmt.Errorf("handshake answered %q", lines[0])
	}
	h := map[string]string{}
	for _, l := range lines[1:] {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			return nil, fmt.Errorf("bad header line %q", l)
		}
		name = strings.ToLower(strings.TrimSpace(name))
		if prev, ok := h[name]; ok {
			value = prev + "," + value
		}
		h[name] = strings.TrimSpace(value)
	}
	if !strings.EqualFold(h["upgrade"], "websocket") {
		return nil, fmt.Errorf("handshake response Upgrade: %q", h["upgrade"])
	}
	hasUpgrade := false
	for _, t := range strings.Split(h["connection"], ",") {
		if strings.EqualFold(strings.TrimSpace(t), "upgrade") {
			hasUpgrade = true
		}
	}
	if !hasUpgrade {
		return nil, fmt.Errorf("handshake response Connection: %q", h["connection"])
	}
	sum := sha1.Sum([]byte(key + guid))
	if want := base64.StdEncoding.EncodeToString(sum[:]); h["sec-websocket-accept"] != want {
		return nil, fmt.Errorf("Sec-WebSocket-Accept %q, want %q", h["sec-websocket-accept"], want)
	}
	var ext []string
	if v, ok := h["sec-websocket-extensions"]; ok {
		ext = append(ext, v)
	}
	return checkDeflateAnswer(ext, offers)
}
