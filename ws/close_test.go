package ws

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"unicode/utf8"
)

func closePayload(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}

// TestCloseCodesAutobahn checks the codes of the Autobahn testsuite's
// cases 7.7.x (valid, echoed) and 7.9.x (invalid, protocol error), and
// the 7.13.x codes above the range.
func TestCloseCodesAutobahn(t *testing.T) {
	for _, c := range []CloseCode{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999} {
		if !c.ValidOnWire() {
			t.Errorf("%d must be valid on the wire", c)
		}
	}
	for _, c := range []CloseCode{0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999, 5000, 65535} {
		if c.ValidOnWire() {
			t.Errorf("%d must be invalid on the wire", c)
		}
	}
}

func TestValidOnWireEveryCode(t *testing.T) {
	for i := 0; i <= 0xFFFF; i++ {
		c := CloseCode(i)
		want := (i >= 1000 && i <= 1003) || (i >= 1007 && i <= 1014) || (i >= 3000 && i <= 4999)
		if c.ValidOnWire() != want {
			t.Fatalf("%d: ValidOnWire=%v", i, !want)
		}
	}
	for _, c := range []CloseCode{CloseServiceRestart, CloseTryAgainLater, CloseBadGateway} {
		if !c.ValidOnWire() {
			t.Errorf("registered code %d refused", c)
		}
	}
	for _, c := range []CloseCode{CloseNoStatus, CloseAbnormal, CloseTLSHandshake} {
		if c.ValidOnWire() {
			t.Errorf("reserved code %d accepted", c)
		}
	}
}

func TestParseClosePayload(t *testing.T) {
	cases := []struct {
		name    string
		p       []byte
		code    CloseCode
		reason  string
		errCode CloseCode
	}{
		{"empty", nil, CloseNoStatus, "", 0},
		{"one byte", []byte{0x03}, 0, "", CloseProtocolError},
		{"code only", closePayload(1000, ""), CloseNormal, "", 0},
		{"code and reason", closePayload(1001, "Hello World!"), CloseGoingAway, "Hello World!", 0},
		{"reason of 123", closePayload(1000, strings.Repeat("*", 123)), CloseNormal, strings.Repeat("*", 123), 0},
		{"payload of 126", closePayload(1000, strings.Repeat("*", 124)), 0, "", CloseProtocolError},
		{"private code", closePayload(4321, "x"), 4321, "x", 0},
		{"service restart", closePayload(1012, ""), CloseServiceRestart, "", 0},
		{"code 999", closePayload(999, ""), 0, "", CloseProtocolError},
		{"code 1005", closePayload(1005, ""), 0, "", CloseProtocolError},
		{"code 1006", closePayload(1006, ""), 0, "", CloseProtocolError},
		{"code 1015", closePayload(1015, ""), 0, "", CloseProtocolError},
		{"code 2999", closePayload(2999, ""), 0, "", CloseProtocolError},
		{"code 5000", closePayload(5000, ""), 0, "", CloseProtocolError},
		// Autobahn case 7.5.1: a surrogate in the reason.
		{"invalid utf-8 reason", closePayload(1000, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64"),
			0, "", CloseInvalidPayload},
		{"truncated character", closePayload(1000, "caf\xc3"), 0, "", CloseInvalidPayload},
		{"invalid code wins over reason", closePayload(1004, "\xff"), 0, "", CloseProtocolError},
	}
	for _, c := range cases {
		code, reason, err := ParseClosePayload(c.p)
		if c.errCode != 0 {
			pe, ok := err.(*ProtocolError)
			if !ok || pe.Code != c.errCode {
				t.Errorf("%s: error %v, want close %d", c.name, err, c.errCode)
			}
			continue
		}
		if err != nil || code != c.code || string(reason) != c.reason {
			t.Errorf("%s: %d %q %v, want %d %q", c.name, code, reason, err, c.code, c.reason)
		}
	}
}

func TestAppendClosePayload(t *testing.T) {
	if got := AppendClosePayload(nil, CloseNormal, ""); !bytes.Equal(got, []byte{0x03, 0xE8}) {
		t.Fatalf("code only: % x", got)
	}
	if got := AppendClosePayload([]byte("x"), CloseGoingAway, "bye"); string(got) != "x\x03\xe9bye" {
		t.Fatalf("with prefix: %q", got)
	}
	if got := AppendClosePayload(nil, CloseNoStatus, "ignored"); len(got) != 0 {
		t.Fatalf("no status: % x", got)
	}
	long := strings.Repeat("a", 200)
	if got := AppendClosePayload(nil, CloseNormal, long); len(got) != 125 || string(got[2:]) != long[:123] {
		t.Fatalf("long ASCII reason: %d bytes", len(got))
	}
	// Reasons made of 2, 3 and 4-byte characters are cut on a boundary.
	for _, r := range []string{"é", "€", "𝄞", "a€"} {
		reason := strings.Repeat(r, 100)
		got := AppendClosePayload(nil, CloseInternalError, reason)
		if len(got) > 125 || len(got) < 125-3 || !utf8.Valid(got[2:]) || !strings.HasPrefix(reason, string(got[2:])) {
			t.Fatalf("%q reason: %d bytes, valid=%v", r, len(got), utf8.Valid(got[2:]))
		}
		code, back, err := ParseClosePayload(got)
		if err != nil || code != CloseInternalError || string(back) != string(got[2:]) {
			t.Fatalf("%q reason does not parse back: %v", r, err)
		}
	}
	// Exactly 123 bytes is kept whole.
	exact := strings.Repeat("€", 41)
	if got := AppendClosePayload(nil, CloseNormal, exact); string(got[2:]) != exact {
		t.Fatalf("123-byte reason cut to %d", len(got)-2)
	}
}

func TestCloseAllocs(t *testing.T) {
	p := closePayload(1000, "going home")
	buf := make([]byte, 0, 125)
	a := testing.AllocsPerRun(100, func() {
		ParseClosePayload(p)
		AppendClosePayload(buf, CloseNormal, "going home")
	})
	if a != 0 {
		t.Fatalf("%v allocations", a)
	}
}

func TestNames(t *testing.T) {
	if OpText.String() != "text" || OpPong.String() != "pong" || Opcode(3).String() != "opcode 3" {
		t.Fatal("Opcode.String")
	}
	if CloseNormal.String() != "normal closure" || CloseCode(4000).String() != "close code 4000" {
		t.Fatal("CloseCode.String")
	}
	for op := Opcode(0); op < 16; op++ {
		want := op == 0 || op == 1 || op == 2 || op == 8 || op == 9 || op == 10
		if op.IsReserved() == want {
			t.Errorf("%v: IsReserved=%v", op, !want)
		}
		if op.IsControl() != (op >= 8) {
			t.Errorf("%v: IsControl=%v", op, op.IsControl())
		}
	}
}
