package pmdeflate

import (
	"fmt"
)

// Session is one connection end's permessage-deflate: it decompresses the
// messages it receives (Feed, Decode) and compresses those it sends
// (Encode). It is not safe for concurrent use; one goroutine (lws's loop)
// drives a connection.
type Session struct {
	o Options

	// Receiving: the inflater and its staged input are borrowed from a
	// pool while a message is in flight.
	rxTakeover bool
	rxHist     history
	inf        *inflater
	rxEOF      bool    // the deflate stream of the message ended
	peek       [1]byte // a decoded byte read ahead to see the end coming
	peeked     bool    // peek holds the next byte of the message

	// Sending: the compressor is borrowed for each Encode call. txHist
	// is the history of what was sent: kept between messages with
	// context takeover; without it, borrowed (txRing) while a message
	// sent in pieces is in flight.
	txBits     int
	txTakeover bool
	txHist     history
	txRing     *[]byte
	txKey      int  // the compressor of the message being sent
	txOn       bool // the message being sent is compressed
	txOpen     bool // a message is being sent
	txResize   bool // tx_dict_size changed while a message was being sent
}

// NewSession makes one connection end's Session from the negotiated
// parameters; server tells which end it is, o are the vhost's options (the
// ones the handshake did not decide: compression level, buffer sizes ...).
func NewSession(p Params, server bool, o Options) *Session {
	s := &Session{o: o}
	sb, cb := orDefault(p.ServerMaxWindowBits, 15), orDefault(p.ClientMaxWindowBits, 15)
	if server {
		s.txBits = min(sb, o.serverBits())
		s.txTakeover = !p.ServerNoContextTakeover && !o.ServerNoContextTakeover
		s.rxTakeover = !p.ClientNoContextTakeover
		if s.rxTakeover {
			s.rxHist.size = 1 << cb
		}
	} else {
		s.txBits = min(cb, o.clientBits())
		s.txTakeover = !p.ClientNoContextTakeover && !o.ClientNoContextTakeover
		s.rxTakeover = !p.ServerNoContextTakeover
		if s.rxTakeover {
			s.rxHist.size = 1 << sb
		}
	}
	s.txTakeover = s.txTakeover && !o.SharedCompressor
	s.txBits = max(s.txBits, 8)
	s.resizeTxHist()
	return s
}

// resizeTxHist sizes the history of what was sent, dropping it; sending
// may start over from no history at any message (the peer's window only
// ever holds more).
func (s *Session) resizeTxHist() {
	s.txHist = history{}
	if s.txTakeover {
		s.txHist.size = s.txHistSize()
	}
}

// SetOption changes an option of the running connection
// (lws_set_extension_option): compression_level, mem_level,
// rx_buf_size, tx_buf_size, compress_min_size or tx_dict_size, with Options.Set's
// syntax. A change applies from the next message. The parameters the
// handshake negotiated cannot change.
func (s *Session) SetOption(name, value string) error {
	switch name {
	case "server_no_context_takeover", "client_no_context_takeover",
		"server_max_window_bits", "client_max_window_bits", "shared_compressor":
		return fmt.Errorf("pmdeflate: %s was settled by the handshake and cannot change on an open connection; set it in the vhost's options", name)
	}
	old := s.o.TxDictSize
	if err := s.o.setRuntime(name, value); err != nil {
		return err
	}
	if s.o.TxDictSize != old {
		if s.txOpen {
			s.txResize = true // after this message
		} else {
			s.resizeTxHist()
		}
	}
	return nil
}

// RxBufSize is the most Decode hands out in one call, in bytes
// (2^rx_buf_size).
func (s *Session) RxBufSize() int { return 1 << orDefault(s.o.RxBufSize, DefaultRxBufSize) }

// TxBufSize is the largest frame payload compressed output should be sent
// in, in bytes (2^tx_buf_size), as lws fragments a compressed message into
// frames of its output buffer's size; 0 when tx_buf_size is not set: a
// write then goes in one frame, compressed or not.
func (s *Session) TxBufSize() int {
	if s.o.TxBufSize == 0 {
		return 0
	}
	return 1 << s.o.TxBufSize
}

// Release gives back what the Session borrowed and drops its histories;
// call it when the connection ends. The Session must not be used after.
func (s *Session) Release() {
	s.endRx()
	s.endTx()
	s.rxHist = history{}
	s.txHist = history{}
}
