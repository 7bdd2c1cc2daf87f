package ws

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"io"
)

// acceptGUID is the GUID of RFC 6455 section 1.3 that the server appends
// to the client's key.
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// AcceptKey returns the Sec-WebSocket-Accept value for a client's
// Sec-WebSocket-Key (RFC 6455 section 4.2.2): the base64 of the SHA-1 of
// the key followed by the protocol's GUID.
func AcceptKey(clientKey string) string {
	return string(AppendAcceptKey(nil, []byte(clientKey)))
}

// AppendAcceptKey appends the Sec-WebSocket-Accept value for clientKey to
// dst; it allocates nothing when dst has room and the key is of the usual
// 24 bytes.
func AppendAcceptKey(dst, clientKey []byte) []byte {
	var in [64]byte
	b := append(append(in[:0], clientKey...), acceptGUID...)
	sum := sha1.Sum(b)
	return base64.StdEncoding.AppendEncode(dst, sum[:])
}

// ValidClientKey reports whether key is a valid Sec-WebSocket-Key: the
// base64 (with padding) of exactly 16 bytes (RFC 6455 section 4.1): 22
// characters of the standard base64 alphabet followed by "==". The four
// unused bits of the last character are not required to be zero.
func ValidClientKey[K ~string | ~[]byte](key K) bool {
	if len(key) != 24 || key[22] != '=' || key[23] != '=' {
		return false
	}
	for i := 0; i < 22; i++ {
		c := key[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}

// NewClientKey returns a fresh Sec-WebSocket-Key: the base64 of 16 bytes
// read from r, or from crypto/rand when r is nil.
func NewClientKey(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	var nonce [16]byte
	if _, err := io.ReadFull(r, nonce[:]); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(nonce[:]), nil
}
