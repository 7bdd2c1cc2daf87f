package pmdeflate

import (
	"bytes"
	"errors"
	"sync"

	kflate "github.com/klauspost/compress/flate"
)

// The compressor is klauspost/compress/flate's: unlike compress/flate it
// compresses with windows below 32 KiB (NewWriterWindow), which a
// negotiated max_window_bits below 15 requires, and it primes a pooled
// Writer with a new dictionary (ResetDict) instead of needing a new one.

// syncMarker is what a sync flush ends with; RFC 7692 section 7.2.1 has
// the sender remove it from the end of every message.
var syncMarker = []byte{0x00, 0x00, 0xff, 0xff}

// appender is an io.Writer appending to buf.
type appender struct{ buf []byte }

// Write appends p.
func (a *appender) Write(p []byte) (int, error) {
	a.buf = append(a.buf, p...)
	return len(p), nil
}

// deflater is a pooled compressor with its output.
type deflater struct {
	w   *kflate.Writer
	out appender
	key int
}

// Pools of compressors, one per compressor configuration: stored blocks,
// Huffman only and levels 1..9 with the full window, then the windows
// of 8..14 bits.
const (
	keyStored   = 0
	keyHuffman  = 1
	keyLevel    = 1  // + level 1..9
	keyWindow   = 11 // + bits-8
	compressors = keyWindow + 7
)

var deflaters [compressors]sync.Pool

// compressorKey is the pool of the compressor for level (Options's) and
// window bits.
func compressorKey(level, bits int) int {
	switch {
	case level == -1:
		return keyStored
	case level == -2:
		return keyHuffman
	case bits < 15:
		return keyWindow + bits - 8
	}
	return keyLevel + level
}

// getDeflater borrows a compressor for the key.
func getDeflater(key int) *deflater {
	if d, ok := deflaters[key].Get().(*deflater); ok {
		return d
	}
	d := &deflater{key: key}
	var err error
	switch {
	case key == keyStored:
		d.w, err = kflate.NewWriter(&d.out, kflate.NoCompression)
	case key == keyHuffman:
		d.w, err = kflate.NewWriter(&d.out, kflate.HuffmanOnly)
	case key >= keyWindow:
		d.w, err = kflate.NewWriterWindow(&d.out, 1<<(key-keyWindow+8))
	default:
		d.w, err = kflate.NewWriter(&d.out, key-keyLevel)
	}
	if err != nil {
		panic("pmdeflate: compressor configuration: " + err.Error()) // the keys are all valid
	}
	return d
}

// Encode compresses one piece of a message to send, appending the result
// to dst. first marks the message's first piece: on it Encode decides
// whether the message is compressed at all (compressed false: every piece
// of it is appended as it is and its first frame goes without RSV1). By
// default every message is compressed, as lws does (lws 4.1's client
// stops writing once it receives an uncompressed message on a compressed
// connection); with compress_min_size set, a message sent in one piece
// is sent as it is when shorter than that or when compressing would not
// make it shorter. final
// marks the message's last piece, whose output ends without the sync
// flush's 00 00 ff ff, as RFC 7692 requires.
//
// Every piece's output is complete: a piece that is not final ends with a
// sync flush too, so that the compressor is borrowed from its pool only
// for the call, however long the message takes to send; the next piece's
// compressor is primed with what the message sent so far (up to
// tx_dict_size bytes within the window).
func (s *Session) Encode(dst, in []byte, first, final bool) (out []byte, compressed bool, err error) {
	if first {
		if s.txOpen {
			s.endTx()
			return dst, false, errors.New("pmdeflate: Encode of a new message before the last one's final piece")
		}
		s.txOpen = true
		s.txOn = !final || len(in) >= s.o.CompressMinSize
		s.txKey = compressorKey(orDefault(s.o.CompressionLevel, DefaultCompressionLevel), s.txBits)
		if s.txOn && !final && !s.txTakeover {
			// The message's own history, for its later pieces.
			s.txRing = scratches.Get().(*[]byte)
			s.txHist = history{buf: (*s.txRing)[:s.txHistSize()], size: s.txHistSize()}
		}
	} else if !s.txOpen {
		return dst, false, errors.New("pmdeflate: Encode of a message's later piece with no message begun; mark its first piece")
	}
	if !s.txOn {
		if final {
			s.endTx()
		}
		return append(dst, in...), false, nil
	}
	if !final && len(in) == 0 {
		return dst, true, nil
	}
	d := getDeflater(s.txKey)
	// Prime with what the peer's inflater has in its window: earlier
	// messages (context takeover) and earlier pieces of this one.
	scratch := scratches.Get().(*[]byte)
	d.w.ResetDict(&d.out, s.txHist.bytes(*scratch))
	scratches.Put(scratch)
	start := len(dst)
	d.out.buf = dst
	_, err = d.w.Write(in)
	if err == nil {
		err = d.w.Flush()
	}
	out, d.out.buf = d.out.buf, nil
	deflaters[d.key].Put(d)
	if err == nil && !bytes.HasSuffix(out[start:], syncMarker) {
		err = errors.New("pmdeflate: the compressor's flush did not end in 00 00 ff ff")
	}
	if err != nil {
		s.endTx()
		return out[:start], true, err
	}
	if !final {
		s.txHist.write(in)
		return out, true, nil
	}
	out = out[:len(out)-len(syncMarker)]
	if first && s.o.CompressMinSize > 0 && len(out)-start >= len(in) {
		// Not worth it: send it as it is. The history stays as it
		// was, as does the peer's, which never sees this message.
		s.endTx()
		return append(out[:start], in...), false, nil
	}
	s.txHist.write(in)
	s.endTx()
	return out, true, nil
}

// txHistSize is the size of the send history: tx_dict_size within the
// window.
func (s *Session) txHistSize() int {
	return min(1<<s.txBits, orDefault(s.o.TxDictSize, DefaultTxDictSize))
}

// endTx ends the message being sent, giving back a borrowed history.
func (s *Session) endTx() {
	s.txOpen = false
	if s.txRing != nil {
		scratches.Put(s.txRing)
		s.txRing = nil
		s.txHist = history{}
	}
	if s.txResize {
		s.txResize = false
		s.resizeTxHist()
	}
}
