package conformance

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// idLess orders case IDs numerically, part by part.
func idLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x < y
		}
	}
	return len(pa) < len(pb)
}

func TestCaseList(t *testing.T) {
	cs := Cases()
	// Autobahn's groups 1-7, 9, 10, 12 and 13 have 517 cases; 2.10 and
	// 2.11 are not run.
	if len(cs) != 515 {
		t.Errorf("%d cases, want 515", len(cs))
	}
	perGroup := map[string]int{}
	for i, c := range cs {
		perGroup[strings.Split(c.ID, ".")[0]]++
		if c.Description == "" || c.Expectation == "" || c.Run == nil {
			t.Errorf("case %s is incomplete", c.ID)
		}
		if i > 0 && !idLess(cs[i-1].ID, c.ID) {
			t.Errorf("case %s follows %s", c.ID, cs[i-1].ID)
		}
		if c.ID == "2.10" || c.ID == "2.11" {
			t.Errorf("case %s is excluded but listed", c.ID)
		}
	}
	want := map[string]int{"1": 16, "2": 9, "3": 7, "4": 10, "5": 20, "6": 145, "7": 37, "9": 54, "10": 1, "12": 90, "13": 126}
	if !reflect.DeepEqual(perGroup, want) {
		t.Errorf("cases per group %v, want %v", perGroup, want)
	}
}

func TestUTF8Sequences(t *testing.T) {
	counts := []int{5, 11, 4, 2, 4, 3, 5, 8, 5, 10, 1, 3, 5, 5, 5, 7, 8, 34, 7}
	groups := utf8Groups()
	if len(groups) != len(counts) {
		t.Fatalf("%d groups, want %d", len(groups), len(counts))
	}
	for gi, g := range groups {
		if len(g.seqs) != counts[gi] {
			t.Errorf("6.%d: %d sequences, want %d", gi+5, len(g.seqs), counts[gi])
		}
		for si, s := range g.seqs {
			id := fmt.Sprintf("6.%d.%d", gi+5, si+1)
			if got := utf8.ValidString(s.payload); got != s.valid {
				t.Errorf("%s: %x declared valid=%v, the standard library says %v", id, s.payload, s.valid, got)
			}
			if got := validUTF8([]byte(s.payload)); got != s.valid {
				t.Errorf("%s: %x declared valid=%v, the validator says %v", id, s.payload, s.valid, got)
			}
			// Octet by octet, the validator must reach the same verdict.
			var st utf8State
			ok := true
			for i := range len(s.payload) {
				ok = st.write([]byte{s.payload[i]}) && ok
			}
			if got := ok && st.complete(); got != s.valid {
				t.Errorf("%s: %x fed octet by octet: valid=%v", id, s.payload, got)
			}
		}
	}
}

func TestUTF8FailsAtFirstInvalidOctet(t *testing.T) {
	for _, tc := range []struct {
		in string
		at int
	}{{invalidUTF8, 12}, {kosme + "\xf4\x90\x80\x80", 12}, {"ab\x80", 2}, {"\xc0\xaf", 0}, {"abcdefghijklmno\xff", 15}} {
		var s utf8State
		if s.write([]byte(tc.in)) || s.n != tc.at {
			t.Errorf("%x: invalid at octet %d, want %d", tc.in, s.n, tc.at)
		}
	}
}

func TestMask(t *testing.T) {
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	for n := range 40 {
		for pos := range 4 {
			p := make([]byte, n)
			for i := range p {
				p[i] = byte(i * 7)
			}
			want := bytes.Clone(p)
			for i := range want {
				want[i] ^= key[(pos+i)&3]
			}
			if mask(p, key, pos); !bytes.Equal(p, want) {
				t.Fatalf("mask of %d octets at %d: %x, want %x", n, pos, p, want)
			}
		}
	}
}

// serverFrame builds an unmasked frame as a server sends it.
func serverFrame(b0 byte, payload []byte) []byte {
	var out []byte
	switch n := len(payload); {
	case n <= 125:
		out = []byte{b0, byte(n)}
	case n <= 0xffff:
		out = binary.BigEndian.AppendUint16([]byte{b0, 126}, uint16(n))
	default:
		out = binary.BigEndian.AppendUint64([]byte{b0, 127}, uint64(n))
	}
	return append(out, payload...)
}

func TestParser(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 70000)
	var stream []byte
	stream = append(stream, serverFrame(0x01, []byte("fragment1"))...)
	stream = append(stream, serverFrame(0x89, []byte("ping"))...)
	stream = append(stream, serverFrame(0x80, []byte("fragment2"))...)
	stream = append(stream, serverFrame(0x82, big)...)
	stream = append(stream, serverFrame(0xc1, []byte("rsv"))...)
	stream = append(stream, serverFrame(0x81, []byte("bad\xed\xa0\x80"))...)
	stream = append(stream, serverFrame(0x88, []byte{0x03, 0xe8, 'b', 'y', 'e'})...)
	want := []string{
		"ping ping", "message text fragment1fragment2", "message binary 70000",
		"violation 1002 RSV = 4 and no extension negotiated", "message text rsv",
		"violation 1007 invalid UTF-8 in a text message at octet 4",
		"violation 1007 text message ends inside a code point (octet 4)", "message text bad\xed\xa0\x80",
		"close 1000 bye",
	}
	for _, chunk := range []int{len(stream), 1, 3, 1000} {
		var got []string
		p := &parser{now: func() timeOffset { return 0 }, emit: func(ev rxEvent) {
			switch ev.kind {
			case rxMessage:
				kind, body := "text", string(ev.payload)
				if ev.binary {
					kind, body = "binary", strconv.Itoa(len(ev.payload))
				}
				got = append(got, "message "+kind+" "+body)
			case rxPing:
				got = append(got, "ping "+string(ev.payload))
			case rxViolation:
				got = append(got, fmt.Sprintf("violation %d %s", ev.code, ev.text))
			case rxClose:
				got = append(got, fmt.Sprintf("close %d %s", ev.code, ev.reason))
			}
		}}
		for i := 0; i < len(stream); i += chunk {
			p.feed(bytes.Clone(stream[i:min(i+chunk, len(stream))]))
		}
		// In small chunks, the validator notices the invalid octet in
		// every later chunk of the frame too, as Autobahn's does.
		got = dedupe(got)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("in chunks of %d:\n got %q\nwant %q", chunk, got, want)
		}
	}
}

func dedupe(s []string) []string {
	var out []string
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func TestFrameBytes(t *testing.T) {
	f := Frame{Opcode: OpText, Fin: true, RSV: 5, Payload: []byte("ab"), Length: 5}
	b := f.Bytes()
	if b[0] != 0x80|0x50|0x01 || b[1] != 0x80|5 || len(b) != 2+4+5 {
		t.Fatalf("frame %x", b)
	}
	var key [4]byte
	copy(key[:], b[2:6])
	payload := bytes.Clone(b[6:])
	mask(payload, key, 0)
	if string(payload) != "ababa" {
		t.Errorf("payload %q", payload)
	}
	for _, n := range []int{126, 65535, 65536} {
		b := Frame{Opcode: OpBinary, Fin: false, Length: n, Payload: []byte{1}}.Bytes()
		hl := 2 + 4
		switch {
		case n > 65535:
			hl += 8
		case n > 125:
			hl += 2
		}
		if b[0] != 0x02 || len(b) != hl+n {
			t.Errorf("%d octets: header %x, %d octets in all", n, b[:hl], len(b))
		}
	}
}
