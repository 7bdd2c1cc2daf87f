package ws

import (
	"encoding/binary"
	"math/bits"
)

// The reserved bits of Header.RSV.
const (
	RSV1 byte = 4 // the "Per-Message Compressed" bit of permessage-deflate
	RSV2 byte = 2
	RSV3 byte = 1
)

// MaxHeaderSize is the largest encoded header: 2 bytes, an 8-byte
// extended length and a 4-byte masking key.
const MaxHeaderSize = 14

// MaxControlPayload is the largest payload of a control frame (RFC 6455
// section 5.5).
const MaxControlPayload = 125

// Header is a decoded frame header (RFC 6455 section 5.2).
type Header struct {
	// Fin is set on the last frame of a message.
	Fin bool
	// RSV holds the three reserved bits as 0 to 7: RSV1 is 4, RSV2 is 2
	// and RSV3 is 1.
	RSV byte
	// Opcode is the frame's opcode.
	Opcode Opcode
	// Masked tells whether the payload is masked with Mask.
	Masked bool
	// Mask is the masking key, meaningful when Masked.
	Mask [4]byte
	// Length is the payload length in bytes.
	Length int64
}

// HeaderSize returns the number of bytes AppendHeader writes for h.
func HeaderSize(h Header) int {
	n := 2
	switch {
	case h.Length > 0xFFFF:
		n += 8
	case h.Length > 125:
		n += 2
	}
	if h.Masked {
		n += 4
	}
	return n
}

// AppendHeader appends the encoded header to dst and returns the extended
// slice. The length uses the minimal encoding; the masking key is appended
// when h.Masked. Only the low three bits of h.RSV and the low four bits of
// h.Opcode are used. It panics if h.Length is negative.
func AppendHeader(dst []byte, h Header) []byte {
	if h.Length < 0 {
		panic("ws: AppendHeader with a negative length")
	}
	var buf [MaxHeaderSize]byte
	buf[0] = (h.RSV&7)<<4 | byte(h.Opcode&0xF)
	if h.Fin {
		buf[0] |= 0x80
	}
	if h.Masked {
		buf[1] = 0x80
	}
	n := 2
	switch {
	case h.Length > 0xFFFF:
		buf[1] |= 127
		binary.BigEndian.PutUint64(buf[2:], uint64(h.Length))
		n += 8
	case h.Length > 125:
		buf[1] |= 126
		binary.BigEndian.PutUint16(buf[2:], uint16(h.Length))
		n += 2
	default:
		buf[1] |= byte(h.Length)
	}
	if h.Masked {
		copy(buf[n:], h.Mask[:])
		n += 4
	}
	return append(dst, buf[:n]...)
}

// Mask XORs b in place with the masking key, starting at key offset pos
// (only pos%4 matters), and returns the key offset for the byte that would
// follow b. Masking and unmasking are the same operation, so a payload
// split over several buffers is handled by passing each call's result to
// the next.
func Mask(key [4]byte, pos int, b []byte) int {
	pos &= 3
	end := (pos + len(b)) & 3
	if len(b) < 8 {
		for i := range b {
			b[i] ^= key[(pos+i)&3]
		}
		return end
	}
	// Rotate the key so that its first byte lines up with b[0], then
	// work on eight bytes at a time: eight is a multiple of four, so the
	// key stays aligned for every word.
	k32 := bits.RotateLeft32(binary.LittleEndian.Uint32(key[:]), -8*pos)
	k := uint64(k32) | uint64(k32)<<32
	for len(b) >= 32 {
		binary.LittleEndian.PutUint64(b[0:], binary.LittleEndian.Uint64(b[0:])^k)
		binary.LittleEndian.PutUint64(b[8:], binary.LittleEndian.Uint64(b[8:])^k)
		binary.LittleEndian.PutUint64(b[16:], binary.LittleEndian.Uint64(b[16:])^k)
		binary.LittleEndian.PutUint64(b[24:], binary.LittleEndian.Uint64(b[24:])^k)
		b = b[32:]
	}
	for len(b) >= 8 {
		binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k)
		b = b[8:]
	}
	// Fewer than eight bytes remain; the key still starts at its
	// rotated first byte.
	for i := range b {
		b[i] ^= byte(k >> (8 * uint(i)))
	}
	return end
}
