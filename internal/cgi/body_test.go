package cgi

import (
	"strings"
	"testing"
)

func TestSniffChunked(t *testing.T) {
	tests := []struct {
		in               string
		chunked, decided bool
	}{
		{"5\r\nhello\r\n0\r\n\r\n", true, true},
		{"0\r\n\r\n", true, true},
		{"1A;name=value\r\n", true, true},
		{"ff ;x\r\n", true, true},
		{"fffffffffffffff\r\n", true, true},   // 15 digits
		{"1000000000000000\r\n", false, true}, // 16 digits
		{"hello\n", false, true},
		{"abc\n", false, true}, // a hex word ended by a bare LF: plain text
		{"abc\rx", false, true},
		{"\r\n", false, true},
		{";x\r\n", false, true},
		{"12 34\x01\r\n", false, true},
		{"abc def\r\n", false, true}, // whitespace after a size with no extension
		{"5 \r\n", false, true},
		{"5;a=\"b\r\n", false, true}, // an unterminated quoted extension value
		{"5\t; a = \"b c\"\r\n", true, true},
		{"<html>", false, true},
		{"", false, false},
		{"5", false, false},
		{"5\r", false, false},
		{"5;ext", false, false},
		{"5;" + strings.Repeat("e", MaxSniff), false, true},
	}
	for _, tc := range tests {
		chunked, decided := SniffChunked([]byte(tc.in))
		if chunked != tc.chunked || decided != tc.decided {
			t.Errorf("SniffChunked(%q) = %v, %v; want %v, %v", tc.in, chunked, decided, tc.chunked, tc.decided)
		}
	}
}
