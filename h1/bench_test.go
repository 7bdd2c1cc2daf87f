package h1

import (
	"fmt"
	"testing"

	"github.com/golws/lws/hdr"
)

// browserGET is what a browser sends for a page: a GET with about ten
// headers.
const browserGET = "GET /docs/index.html?lang=en&theme=dark HTTP/1.1\r\n" +
	"Host: www.example.com\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n" +
	"Accept-Language: en-GB,en;q=0.5\r\n" +
	"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
	"Referer: https://www.example.com/\r\n" +
	"Connection: keep-alive\r\n" +
	"Cookie: session=0123456789abcdef; theme=dark\r\n" +
	"Upgrade-Insecure-Requests: 1\r\n" +
	"DNT: 1\r\n" +
	"Sec-Fetch-Dest: document\r\n" +
	"Cache-Control: max-age=0\r\n" +
	"\r\n"

// wsUpgrade is a WebSocket opening handshake (RFC 6455 1.3).
const wsUpgrade = "GET /chat HTTP/1.1\r\n" +
	"Host: server.example.com\r\n" +
	"Upgrade: websocket\r\n" +
	"Connection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
	"Origin: http://example.com\r\n" +
	"Sec-WebSocket-Protocol: chat, superchat\r\n" +
	"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" +
	"Sec-WebSocket-Version: 13\r\n" +
	"\r\n"

func benchParse(b *testing.B, req string) {
	in := []byte(req)
	t := hdr.NewTable(0)
	var p Parser
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		p.Reset(t)
		if _, done, err := p.Parse(in); !done || err != nil {
			b.Fatal(done, err)
		}
	}
}

func BenchmarkBrowserGET(b *testing.B) { benchParse(b, browserGET) }

func BenchmarkWebSocketUpgrade(b *testing.B) { benchParse(b, wsUpgrade) }

// BenchmarkBrowserGETBytewise feeds the request one byte per call.
func BenchmarkBrowserGETBytewise(b *testing.B) {
	in := []byte(browserGET)
	t := hdr.NewTable(0)
	var p Parser
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		p.Reset(t)
		for i := range in {
			if _, _, err := p.Parse(in[i : i+1]); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// benchChunked decodes a 64 KiB body sent in chunks of size bytes, each
// size line carrying ext.
func benchChunked(b *testing.B, size int, ext string) {
	var body []byte
	for range (64 << 10) / size {
		body = fmt.Appendf(body, "%x%s\r\n", size, ext)
		body = append(body, make([]byte, size)...)
		body = append(body, "\r\n"...)
	}
	body = append(body, "0\r\n\r\n"...)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var d ChunkedDecoder
	for b.Loop() {
		d.Reset()
		for in := body; len(in) > 0 && !d.Done(); {
			n, _, err := d.Next(in)
			if err != nil {
				b.Fatal(err)
			}
			in = in[n:]
		}
	}
}

func BenchmarkChunked1K(b *testing.B)    { benchChunked(b, 1<<10, "") }
func BenchmarkChunked16(b *testing.B)    { benchChunked(b, 16, "") }
func BenchmarkChunked16Ext(b *testing.B) { benchChunked(b, 16, ` ; name="quoted value";x=y`) }
