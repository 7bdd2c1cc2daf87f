package pmdeflate

import (
	"strings"
	"testing"
)

// TestAccept checks the server's answers to offers against RFC 7692
// section 7.1.
func TestAccept(t *testing.T) {
	for _, tc := range []struct {
		opts   string // ParseOptions
		offer  string
		answer string
		p      Params
		err    string // "" when accepted
	}{
		// Section 5 examples: a bare offer is accepted as it is.
		{"", "", "", Params{ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}, ""},
		// The client asks the server to keep no context.
		{"", "server_no_context_takeover", "server_no_context_takeover",
			Params{ServerNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}, ""},
		// The client's hint is echoed, so neither keeps its history.
		{"", "client_no_context_takeover", "client_no_context_takeover",
			Params{ClientNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}, ""},
		// server_max_window_bits is echoed with the same or a smaller value.
		{"", "server_max_window_bits=10", "server_max_window_bits=10",
			Params{ServerMaxWindowBits: 10, ClientMaxWindowBits: 15}, ""},
		{"server_max_window_bits=9", "server_max_window_bits=10", "server_max_window_bits=9",
			Params{ServerMaxWindowBits: 9, ClientMaxWindowBits: 15}, ""},
		{"server_max_window_bits=12", "server_max_window_bits=10", "server_max_window_bits=10",
			Params{ServerMaxWindowBits: 10, ClientMaxWindowBits: 15}, ""},
		// A server may limit its own window unasked.
		{"server_max_window_bits=11", "", "server_max_window_bits=11",
			Params{ServerMaxWindowBits: 11, ClientMaxWindowBits: 15}, ""},
		// A bare client_max_window_bits says the client can be limited.
		{"", "client_max_window_bits", "", Params{ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}, ""},
		{"client_max_window_bits=10", "client_max_window_bits", "client_max_window_bits=10",
			Params{ServerMaxWindowBits: 15, ClientMaxWindowBits: 10}, ""},
		{"client_max_window_bits=10", "client_max_window_bits=12", "client_max_window_bits=10",
			Params{ServerMaxWindowBits: 15, ClientMaxWindowBits: 10}, ""},
		{"client_max_window_bits=13", "client_max_window_bits=9", "client_max_window_bits=9",
			Params{ServerMaxWindowBits: 15, ClientMaxWindowBits: 9}, ""},
		// Without the client's offer the server must not limit it.
		{"client_max_window_bits=10", "", "", Params{ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}, ""},
		// Options a server answers with unasked.
		{"server_no_context_takeover; client_no_context_takeover", "",
			"server_no_context_takeover; client_no_context_takeover",
			Params{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}, ""},
		{"shared_compressor", "client_max_window_bits",
			"server_no_context_takeover; client_no_context_takeover",
			Params{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}, ""},
		// Everything at once, spaces and a quoted value.
		{"", ` server_no_context_takeover ;client_no_context_takeover; server_max_window_bits="8"; client_max_window_bits=8 `,
			"server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8; client_max_window_bits=8",
			Params{true, true, 8, 8}, ""},
		// Declines (section 7: unknown, repeated, bad values).
		{"", "server_max_window_bits", "", Params{}, "needs a value"},
		{"", "server_max_window_bits=7", "", Params{}, "not a window size"},
		{"", "server_max_window_bits=16", "", Params{}, "not a window size"},
		{"", "server_max_window_bits=010", "", Params{}, "not a window size"},
		{"", "server_max_window_bits=+9", "", Params{}, "not a window size"},
		{"", "server_max_window_bits=x", "", Params{}, "not a window size"},
		{"", "client_max_window_bits=7", "", Params{}, "not a window size"},
		{"", "client_max_window_bits=", "", Params{}, "malformed"},
		{"", "server_no_context_takeover=1", "", Params{}, "takes no value"},
		{"", "client_no_context_takeover=x", "", Params{}, "takes no value"},
		{"", "server_no_context_takeover; server_no_context_takeover", "", Params{}, "twice"},
		{"", "client_max_window_bits; client_max_window_bits=10", "", Params{}, "twice"},
		{"", "mux", "", Params{}, "unknown parameter"},
		{"", "x-webkit-deflate-frame", "", Params{}, "unknown parameter"},
		{"", "a;;b", "", Params{}, "malformed"},
		{"", "server_max_window_bits=1 0", "", Params{}, "malformed"},
	} {
		o, err := ParseOptions(tc.opts)
		if err != nil {
			t.Fatalf("ParseOptions(%q): %v", tc.opts, err)
		}
		p, answer, err := o.Accept(tc.offer)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("options %q, offer %q: error %v, want one saying %q", tc.opts, tc.offer, err, tc.err)
			}
			continue
		}
		if err != nil || answer != tc.answer || p != tc.p {
			t.Errorf("options %q, offer %q:\n got %q %+v %v\nwant %q %+v", tc.opts, tc.offer, answer, p, err, tc.answer, tc.p)
			continue
		}
		// The client's check of this answer agrees, when the client
		// offered what it did with Options (the offers of the table that
		// Offer can make).
		if co, ok := clientOptionsFor(tc.offer); ok {
			cp, err := co.Confirm(answer)
			if err != nil || cp != p {
				t.Errorf("offer %q, answer %q: the client's Confirm gives %+v %v, the server %+v", tc.offer, answer, cp, err, p)
			}
		}
	}
}

// clientOptionsFor is the client Options whose Offer is offer, if any.
func clientOptionsFor(offer string) (Options, bool) {
	for _, s := range []string{"", "server_no_context_takeover", "client_no_context_takeover",
		"server_max_window_bits=10", "client_max_window_bits=9", "client_max_window_bits=12",
		"server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8; client_max_window_bits=8"} {
		o, _ := ParseOptions(s)
		if o.Offer() == strings.TrimSpace(offer) {
			return o, true
		}
	}
	return Options{}, false
}

// TestOffer checks what a client offers.
func TestOffer(t *testing.T) {
	for opts, want := range map[string]string{
		"":                           "client_max_window_bits",
		"client_max_window_bits=15":  "client_max_window_bits",
		"client_max_window_bits=9":   "client_max_window_bits=9",
		"server_max_window_bits=10":  "server_max_window_bits=10; client_max_window_bits",
		"client_no_context_takeover": "client_no_context_takeover; client_max_window_bits",
		"shared_compressor":          "server_no_context_takeover; client_no_context_takeover; client_max_window_bits",
	} {
		o, err := ParseOptions(opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := o.Offer(); got != want {
			t.Errorf("options %q: offer %q, want %q", opts, got, want)
		}
	}
}

// TestConfirm checks the client's checks of answers against RFC 7692
// section 7.1.
func TestConfirm(t *testing.T) {
	for _, tc := range []struct {
		opts   string
		answer string
		p      Params
		err    string
	}{
		{"", "", Params{ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}, ""},
		// A server may add either no_context_takeover unasked.
		{"", "server_no_context_takeover", Params{ServerNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}, ""},
		{"", "client_no_context_takeover", Params{ClientNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}, ""},
		// ... and limit its own window.
		{"", "server_max_window_bits=9", Params{ServerMaxWindowBits: 9, ClientMaxWindowBits: 15}, ""},
		// The client offered client_max_window_bits: it may be limited.
		{"", "client_max_window_bits=8", Params{ServerMaxWindowBits: 15, ClientMaxWindowBits: 8}, ""},
		{"client_max_window_bits=10", "client_max_window_bits=10", Params{ServerMaxWindowBits: 15, ClientMaxWindowBits: 10}, ""},
		{"server_max_window_bits=10", "server_max_window_bits=9", Params{ServerMaxWindowBits: 9, ClientMaxWindowBits: 15}, ""},
		// Failures.
		{"client_max_window_bits=10", "client_max_window_bits=11", Params{}, "more than the 10 offered"},
		{"server_max_window_bits=10", "server_max_window_bits=11", Params{}, "more than the 10 offered"},
		{"server_max_window_bits=10", "", Params{}, "lacks the server_max_window_bits"},
		{"server_no_context_takeover", "", Params{}, "lacks the server_no_context_takeover"},
		{"shared_compressor", "client_no_context_takeover", Params{}, "lacks the server_no_context_takeover"},
		{"", "client_max_window_bits", Params{}, "needs a value"},
		{"", "server_max_window_bits", Params{}, "needs a value"},
		{"", "server_max_window_bits=16", Params{}, "not a window size"},
		{"", "server_no_context_takeover=1", Params{}, "takes no value"},
		{"", "server_no_context_takeover; server_no_context_takeover", Params{}, "twice"},
		{"", "x", Params{}, "unknown parameter"},
	} {
		o, err := ParseOptions(tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		p, err := o.Confirm(tc.answer)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("options %q, answer %q: error %v, want one saying %q", tc.opts, tc.answer, err, tc.err)
			}
			continue
		}
		if err != nil || p != tc.p {
			t.Errorf("options %q, answer %q: got %+v %v, want %+v", tc.opts, tc.answer, p, err, tc.p)
		}
	}
}

// TestOptions checks option names, values and errors.
func TestOptions(t *testing.T) {
	o, err := ParseOptions("permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits; compression_level=9; rx_buf_size=12; tx_buf_size=11; shared_compressor; compress_min_size=64; tx_dict_size=1024")
	if err != nil {
		t.Fatal(err)
	}
	want := Options{true, true, 10, 15, 9, 12, 11, true, 64, 1024}
	if o != want {
		t.Errorf("got %+v, want %+v", o, want)
	}
	if o, _ := ParseOptions("compression_level=0"); o.CompressionLevel != -1 {
		t.Errorf("compression_level=0 gives level %d, want -1 (stored)", o.CompressionLevel)
	}
	if o, err := ParseOptions("mem_level=8"); err != nil || o.TxDictSize != DefaultTxDictSize {
		t.Errorf("mem_level=8 (lws's default): %v, send history %d, want %d", err, o.TxDictSize, DefaultTxDictSize)
	}
	if o, _ := ParseOptions("mem_level=1"); o.TxDictSize != 8 {
		t.Errorf("mem_level=1 gives a send history of %d bytes, want 8", o.TxDictSize)
	}
	for _, bad := range []string{"mem_level=0", "mem_level=10", "compression_level=10", "rx_buf_size=6", "tx_buf_size=21",
		"server_max_window_bits=7", "client_max_window_bits=16", "server_no_context_takeover=1",
		"tx_dict_size=0", "tx_dict_size=40000", "compress_min_size=-1", "frobnicate", "rx_buf_size"} {
		if _, err := ParseOptions(bad); err == nil {
			t.Errorf("ParseOptions(%q) accepted it", bad)
		}
	}
	s := NewSession(Params{}, true, Options{})
	if err := s.SetOption("rx_buf_size", "8"); err != nil || s.RxBufSize() != 256 {
		t.Errorf("SetOption rx_buf_size=8: %v, RxBufSize %d", err, s.RxBufSize())
	}
	if err := s.SetOption("tx_buf_size", "12"); err != nil || s.TxBufSize() != 4096 {
		t.Errorf("SetOption tx_buf_size=12: %v, TxBufSize %d", err, s.TxBufSize())
	}
	if err := s.SetOption("mem_level", "9"); err != nil {
		t.Errorf("SetOption mem_level=9: %v", err)
	}
	for _, name := range []string{"server_no_context_takeover", "client_max_window_bits", "nope"} {
		if err := s.SetOption(name, "9"); err == nil {
			t.Errorf("SetOption(%q) on an open connection accepted it", name)
		}
	}
}
