package ws

import (
	"bytes"
	"strings"
	"testing"
)

func TestAcceptKeyRFC(t *testing.T) {
	// RFC 6455 section 1.3.
	if got := AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("AcceptKey = %q", got)
	}
}

func TestValidClientKey(t *testing.T) {
	for _, k := range []string{"dGhlIHNhbXBsZSBub25jZQ==", "AAAAAAAAAAAAAAAAAAAAAA==", "/+/+/+/+/+/+/+/+/+/+/w=="} {
		if !ValidClientKey(k) {
			t.Errorf("%q refused", k)
		}
	}
	for _, k := range []string{
		"",
		"dGhlIHNhbXBsZSBub25jZQ",     // no padding
		"dGhlIHNhbXBsZSBub25jZQ=",    // short padding
		"dGhlIHNhbXBsZSBub25jZQ===",  // too long
		"dGhlIHNhbXBsZSBub25jZWE=",   // 17 bytes
		"dGhlIHNhbXBsZSBub25j",       // 15 bytes
		"dGhlIHNhbXBsZSBub25jZ\nQ==", // line break
		"dGhlIHNhbXBsZSBub25jZ-==",   // URL alphabet
		" dGhlIHNhbXBsZSBub25jZQ=",
	} {
		if ValidClientKey(k) {
			t.Errorf("%q accepted", k)
		}
	}
}

func TestNewClientKey(t *testing.T) {
	k, err := NewClientKey(strings.NewReader("the sample nonce"))
	if err != nil || k != "dGhlIHNhbXBsZSBub25jZQ==" {
		t.Fatalf("NewClientKey = %q, %v", k, err)
	}
	if _, err := NewClientKey(bytes.NewReader(make([]byte, 15))); err == nil {
		t.Fatal("short reader accepted")
	}
	k1, err1 := NewClientKey(nil)
	k2, err2 := NewClientKey(nil)
	if err1 != nil || err2 != nil || !ValidClientKey(k1) || k1 == k2 {
		t.Fatalf("random keys %q %q: %v %v", k1, k2, err1, err2)
	}
}
