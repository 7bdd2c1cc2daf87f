package pmdeflate

import (
	"fmt"
	"testing"
)

// TestMemoryBetweenMessages: between messages a Session holds only the
// histories context takeover needs, at most 2^window_bits bytes each, and
// nothing when no context takeover or the shared compressor applies.
func TestMemoryBetweenMessages(t *testing.T) {
	for _, tc := range []struct {
		opts   string
		offer  string
		rx, tx int // the bytes each history holds
	}{
		{"", "client_max_window_bits", 1 << 15, DefaultTxDictSize},
		{"client_max_window_bits=9", "client_max_window_bits", 1 << 9, DefaultTxDictSize},
		{"server_max_window_bits=8", "", 1 << 15, 1 << 8},
		{"tx_dict_size=32768", "", 1 << 15, 1 << 15},
		{"client_no_context_takeover", "", 0, DefaultTxDictSize},
		{"", "server_no_context_takeover", 1 << 15, 0},
		{"shared_compressor", "client_max_window_bits", 0, 0},
	} {
		t.Run(fmt.Sprintf("%s/%s", tc.opts, tc.offer), func(t *testing.T) {
			so, err := ParseOptions(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			sp, answer, err := so.Accept(tc.offer)
			if err != nil {
				t.Fatal(err)
			}
			var co Options
			if tc.offer == "server_no_context_takeover" {
				co.ServerNoContextTakeover = true
			}
			cp, err := co.Confirm(answer)
			if err != nil {
				t.Fatal(err)
			}
			server, client := NewSession(sp, true, so), NewSession(cp, false, co)
			for i := range 3 {
				msg := jsonMessage(50000, uint64(i))
				for _, dir := range [][2]*Session{{server, client}, {client, server}} {
					// The second message in pieces.
					var out []byte
					var err error
					for off, piece := 0, []int{len(msg), 7000}[i%2]; off < len(msg) && err == nil; off += piece {
						end := min(off+piece, len(msg))
						out, _, err = dir[0].Encode(out, msg[off:end], off == 0, end == len(msg))
					}
					if err != nil {
						t.Fatal(err)
					}
					decodeAll(t, dir[1], out, 4096, 4096)
				}
			}
			if server.inf != nil || server.txRing != nil || client.inf != nil || client.txRing != nil {
				t.Error("an inflater or a message's history outlives its message")
			}
			if got := len(server.rxHist.buf); got != tc.rx {
				t.Errorf("the server keeps %d bytes of what it received, want %d", got, tc.rx)
			}
			if got := len(server.txHist.buf); got != tc.tx {
				t.Errorf("the server keeps %d bytes of what it sent, want %d", got, tc.tx)
			}
			server.Release()
			client.Release()
			if server.rxHist.buf != nil || server.txHist.buf != nil {
				t.Error("Release keeps a history")
			}
		})
	}
}
