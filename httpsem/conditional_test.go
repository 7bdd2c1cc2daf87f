package httpsem

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseRange(t *testing.T) {
	const (
		ignore = RangeIgnore
		ok     = RangeOK
		unsat  = RangeUnsatisfiable
	)
	for _, tc := range []struct {
		in            string
		size          int64
		start, length int64
		r             RangeResult
	}{
		// first-last
		{"bytes=0-0", 1000, 0, 1, ok},
		{"bytes=0-99", 1000, 0, 100, ok},
		{"bytes=100-199", 1000, 100, 100, ok},
		{"bytes=999-999", 1000, 999, 1, ok},
		{"bytes=5-5", 1000, 5, 1, ok},
		{"bytes=0-999", 1000, 0, 1000, ok},
		{"bytes=0-5000", 1000, 0, 1000, ok}, // last clipped to the end
		{"bytes=990-5000", 1000, 990, 10, ok},
		{"bytes=1000-1999", 1000, 0, 0, unsat}, // first beyond the end
		{"bytes=5000-6000", 1000, 0, 0, unsat},
		{"bytes=10-5", 1000, 0, 0, ignore}, // last < first: invalid
		{"bytes=1-0", 1000, 0, 0, ignore},

		// first-
		{"bytes=100-", 1000, 100, 900, ok},
		{"bytes=0-", 1000, 0, 1000, ok},
		{"bytes=999-", 1000, 999, 1, ok},
		{"bytes=1000-", 1000, 0, 0, unsat},
		{"bytes=1001-", 1000, 0, 0, unsat},

		// -suffix
		{"bytes=-100", 1000, 900, 100, ok},
		{"bytes=-1", 1000, 999, 1, ok},
		{"bytes=-1000", 1000, 0, 1000, ok},
		{"bytes=-5000", 1000, 0, 1000, ok}, // larger than the file: all of it
		{"bytes=-0", 1000, 0, 0, unsat},
		{"bytes=-00", 1000, 0, 0, unsat},

		// an empty file satisfies no range
		{"bytes=0-0", 0, 0, 0, unsat},
		{"bytes=0-", 0, 0, 0, unsat},
		{"bytes=0-99", 0, 0, 0, unsat},
		{"bytes=-1", 0, 0, 0, unsat},
		{"bytes=-0", 0, 0, 0, unsat},

		// several ranges are ignored, not merged
		{"bytes=0-1,5-6", 1000, 0, 0, ignore},
		{"bytes=0-1, 5-6", 1000, 0, 0, ignore},
		{"bytes=0-99,", 1000, 0, 0, ignore},
		{"bytes=,0-99", 1000, 0, 0, ignore},
		{"bytes=-1,-2", 1000, 0, 0, ignore},

		// other units, and no unit
		{"items=0-1", 1000, 0, 0, ignore},
		{"byte=0-1", 1000, 0, 0, ignore},
		{"bytesx=0-1", 1000, 0, 0, ignore},
		{"0-1", 1000, 0, 0, ignore},
		{"bytes 0-1", 1000, 0, 0, ignore},
		{"bytes = 0-1", 1000, 0, 0, ignore},

		// the unit is case-insensitive
		{"Bytes=0-99", 1000, 0, 100, ok},
		{"BYTES=-10", 1000, 990, 10, ok},
		{"bYtEs=10-", 1000, 10, 990, ok},

		// whitespace around the range, not inside it
		{"bytes= 0-99", 1000, 0, 100, ok},
		{"bytes=0-99 ", 1000, 0, 100, ok},
		{"bytes=\t 0-99 \t", 1000, 0, 100, ok},
		{"bytes=0 -99", 1000, 0, 0, ignore},
		{"bytes=0- 99", 1000, 0, 0, ignore},
		{"bytes=- 1", 1000, 0, 0, ignore},

		// malformed
		{"", 1000, 0, 0, ignore},
		{"bytes", 1000, 0, 0, ignore},
		{"bytes=", 1000, 0, 0, ignore},
		{"bytes=   ", 1000, 0, 0, ignore},
		{"bytes=-", 1000, 0, 0, ignore},
		{"bytes=5", 1000, 0, 0, ignore},
		{"bytes=abc", 1000, 0, 0, ignore},
		{"bytes=a-b", 1000, 0, 0, ignore},
		{"bytes=1-b", 1000, 0, 0, ignore},
		{"bytes=a-1", 1000, 0, 0, ignore},
		{"bytes=1-2-3", 1000, 0, 0, ignore},
		{"bytes=--1", 1000, 0, 0, ignore},
		{"bytes=-1-", 1000, 0, 0, ignore},
		{"bytes=+1-2", 1000, 0, 0, ignore},
		{"bytes=1-+2", 1000, 0, 0, ignore},
		{"bytes=0x10-0x20", 1000, 0, 0, ignore},
		{"bytes=1.5-2", 1000, 0, 0, ignore},
		{"bytes=0-99;x", 1000, 0, 0, ignore},

		// large numbers: up to 18 digits are read exactly, longer ones
		// make the header ignored (RFC 9110 allows a server to ignore
		// Range) instead of overflowing
		{"bytes=0-999999999999999999", 1000, 0, 1000, ok},
		{"bytes=999999999999999999-", 1000, 0, 0, unsat},
		{"bytes=-999999999999999999", 1000, 0, 1000, ok},
		{"bytes=000000000000000005-", 1000, 5, 995, ok},
		{"bytes=0-9999999999999999999", 1000, 0, 0, ignore},
		{"bytes=9999999999999999999-", 1000, 0, 0, ignore},
		{"bytes=-9999999999999999999", 1000, 0, 0, ignore},
		{"bytes=0-99999999999999999999999999999999", 1000, 0, 0, ignore},
		{"bytes=0000000000000000005-", 1000, 0, 0, ignore},

		// large files
		{"bytes=4294967296-", 1 << 40, 1 << 32, 1<<40 - 1<<32, ok},
		{"bytes=-1", 1 << 62, 1<<62 - 1, 1, ok},
		{"bytes=0-", 1<<63 - 1, 0, 1<<63 - 1, ok},
		{"bytes=-999999999999999999", 1<<63 - 1, 1<<63 - 1 - 999999999999999999, 999999999999999999, ok},
		{"bytes=999999999999999998-999999999999999999", 1<<63 - 1, 999999999999999998, 2, ok},
	} {
		start, length, r := ParseRange([]byte(tc.in), tc.size)
		if start != tc.start || length != tc.length || r != tc.r {
			t.Errorf("ParseRange(%q, %d) = %d, %d, %v; want %d, %d, %v",
				tc.in, tc.size, start, length, r, tc.start, tc.length, tc.r)
		}
	}
}

func TestETagMatch(t *testing.T) {
	for _, tc := range []struct {
		list, etag string
		want       bool
	}{
		{`"abc"`, `"abc"`, true},
		{`"abd"`, `"abc"`, false},
		{`"ab"`, `"abc"`, false},
		{`"abcd"`, `"abc"`, false},
		{`"ABC"`, `"abc"`, false}, // entity tags are case-sensitive
		{`abc`, `"abc"`, false},   // the quotes are part of the tag
		{`"abc"`, `abc`, false},
		{``, `"abc"`, false},
		{` , ,`, `"abc"`, false},

		// lists
		{`"x", "abc"`, `"abc"`, true},
		{`"x","abc"`, `"abc"`, true},
		{`"abc", "x"`, `"abc"`, true},
		{`  "x" ,	"y" ,  "abc"  `, `"abc"`, true},
		{`,,"abc",,`, `"abc"`, true},
		{`"x", "y", "z"`, `"abc"`, false},
		{`"a,b", "abc"`, `"abc"`, true}, // a comma inside a tag
		{`"a,b"`, `"a,b"`, true},
		{`"x" "abc"`, `"abc"`, true}, // missing comma: tolerated

		// weak comparison: W/ on either side is ignored
		{`W/"abc"`, `"abc"`, true},
		{`"abc"`, `W/"abc"`, true},
		{`W/"abc"`, `W/"abc"`, true},
		{`"x", W/"abc"`, `"abc"`, true},
		{`W/"x", W/"y"`, `W/"abc"`, false},
		{`w/"abc"`, `"abc"`, false}, // the prefix is case-sensitive
		{`W/`, `"abc"`, false},
		{`W/abc`, `"abc"`, false},

		// any
		{`*`, `"abc"`, true},
		{` * `, `W/"abc"`, true},
		{`*`, `""`, true},

		// malformed
		{`"abc`, `"abc"`, false},        // unterminated
		{`"x", "abc`, `"abc"`, false},   // unterminated after a tag
		{`"`, `"abc"`, false},           // a lone quote
		{`W/"`, `"abc"`, false},         // a lone weak quote
		{`"abc" , "`, `"abc"`, true},    // the match comes first
		{`junk, "abc"`, `"abc"`, true},  // junk, then a valid tag
		{`junk,"abc"`, `"abc"`, true},   //
		{`a b c, "abc"`, `"abc"`, true}, //
		{`junk "abc"`, `"abc"`, false},  // junk runs to the next comma
		{`"x"junk, "abc"`, `"abc"`, true},
		{`W/junk, W/"abc"`, `"abc"`, true},
		{`""`, `"abc"`, false},
		{`""`, `""`, true},
	} {
		if got := ETagMatch([]byte(tc.list), tc.etag); got != tc.want {
			t.Errorf("ETagMatch(%q, %q) = %v, want %v", tc.list, tc.etag, got, tc.want)
		}
	}
}

func TestParseHTTPDate(t *testing.T) {
	want := time.Date(1994, time.November, 6, 8, 49, 37, 0, time.UTC)
	for _, in := range []string{
		"Sun, 06 Nov 1994 08:49:37 GMT",  // IMF-fixdate
		"Sunday, 06-Nov-94 08:49:37 GMT", // obsolete RFC 850 format
		"Sun Nov  6 08:49:37 1994",       // ANSI C's asctime() format
	} {
		got, ok := ParseHTTPDate([]byte(in))
		if !ok || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("ParseHTTPDate(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}

	// Two-digit years of the RFC 850 format.
	for in, year := range map[string]int{
		"Monday, 01-Jan-24 00:00:00 GMT":   2024,
		"Thursday, 01-Jan-70 00:00:00 GMT": 1970,
	} {
		if got, ok := ParseHTTPDate([]byte(in)); !ok || got.Year() != year {
			t.Errorf("ParseHTTPDate(%q) = %v, %v; want year %d", in, got, ok, year)
		}
	}

	for _, in := range []string{
		"",
		"yesterday",
		"0",
		"784111777",
		"Sun, 06 Nov 1994 08:49:37",      // no zone
		"Sun, 06 Nov 1994 08:49:37 PST",  // not GMT
		"Sun, 06 Nov 1994 08:49:37 gmt",  // GMT is case-sensitive
		"Sun, 06 Nov 1994 08:49:37 GMT ", // trailing space
		" Sun, 06 Nov 1994 08:49:37 GMT", // leading space
		"Sun, 06 Nov 1994 08:49:37 GMTx",
		"Sun, 6 Nov 1994 08:49:37 GMT", // one-digit day
		"Sun, 06 Nov 94 08:49:37 GMT",  // two-digit year
		"Sun, 06 November 1994 08:49:37 GMT",
		"Sun, 31 Feb 1994 08:49:37 GMT", // no such day
		"Sun, 06 Nov 1994 24:00:00 GMT",
		"Sun, 06 Nov 1994 08:60:00 GMT",
		"Sun, 06 Nov 1994 08:49:61 GMT",
		"Sun, 06 Foo 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49 GMT",
		"Sunday, 06-Nov-1994 08:49:37 GMT",
		"Sun Nov 6 08:49:37 1994 GMT",
		"1994-11-06T08:49:37Z", // RFC 3339 is not an HTTP date
		"Sun, 06 Nov 1994 08:49:37 GMT\x00",
	} {
		if got, ok := ParseHTTPDate([]byte(in)); ok {
			t.Errorf("ParseHTTPDate(%q) = %v, want failure", in, got)
		}
	}
}

func TestAppendHTTPDate(t *testing.T) {
	want := "Sun, 06 Nov 1994 08:49:37 GMT"
	ts := time.Date(1994, time.November, 6, 8, 49, 37, 0, time.UTC)
	if got := string(AppendHTTPDate(nil, ts)); got != want {
		t.Errorf("AppendHTTPDate = %q, want %q", got, want)
	}
	// Any zone is written as GMT; the bytes are appended.
	east := time.FixedZone("X", 5*3600+30*60)
	if got := string(AppendHTTPDate([]byte("date: "), ts.In(east))); got != "date: "+want {
		t.Errorf("AppendHTTPDate in another zone = %q, want %q", got, "date: "+want)
	}
	if got := string(AppendHTTPDate(nil, time.Unix(0, 0))); got != "Thu, 01 Jan 1970 00:00:00 GMT" {
		t.Errorf("AppendHTTPDate(epoch) = %q", got)
	}

	// Round trip, to the second.
	for _, ts := range []time.Time{
		time.Unix(0, 0),
		time.Date(2000, 2, 29, 23, 59, 59, 999999999, time.UTC),
		time.Date(2038, 1, 19, 3, 14, 8, 0, east),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Now(),
	} {
		b := AppendHTTPDate(nil, ts)
		got, ok := ParseHTTPDate(b)
		if !ok || !got.Equal(ts.Truncate(time.Second)) {
			t.Errorf("ParseHTTPDate(AppendHTTPDate(%v)) = %v, %v (%q)", ts, got, ok, b)
		}
	}
}

// FuzzParseRange checks that a range it accepts lies within the
// representation and is not empty, that the unit's case does not matter,
// and that the accepted range, written back as first-last, reads the same.
func FuzzParseRange(f *testing.F) {
	for _, s := range []string{
		"bytes=0-0", "bytes=0-99", "bytes=100-", "bytes=-100", "bytes=-0",
		"bytes=0-1,5-6", "items=0-1", "Bytes= 5-9\t", "bytes=999999999999999999-",
		"bytes=0-9999999999999999999", "bytes=10-5",
	} {
		f.Add([]byte(s), int64(1000))
		f.Add([]byte(s), int64(0))
	}
	f.Add([]byte("bytes=-1"), int64(1<<63-1))
	f.Fuzz(func(t *testing.T, v []byte, size int64) {
		if size < 0 {
			size = ^size
		}
		in := string(v)
		start, length, r := ParseRange(v, size)
		if string(v) != in {
			t.Fatalf("ParseRange changed its input %q to %q", in, v)
		}
		switch r {
		case RangeOK:
			if start < 0 || length < 1 || start > size-length {
				t.Fatalf("ParseRange(%q, %d) = %d, %d: outside the representation", v, size, start, length)
			}
			if start+length-1 > 999999999999999999 {
				break // too long for ParseRange to read back
			}
			again := "bytes=" + strconv.FormatInt(start, 10) + "-" + strconv.FormatInt(start+length-1, 10)
			if s2, l2, r2 := ParseRange([]byte(again), size); s2 != start || l2 != length || r2 != RangeOK {
				t.Fatalf("ParseRange(%q, %d) = %d, %d; but %q gives %d, %d, %v",
					v, size, start, length, again, s2, l2, r2)
			}
		case RangeIgnore, RangeUnsatisfiable:
			if start != 0 || length != 0 {
				t.Fatalf("ParseRange(%q, %d) = %d, %d, %v", v, size, start, length, r)
			}
		default:
			t.Fatalf("ParseRange(%q, %d): result %d", v, size, r)
		}
		for _, c := range v {
			if c >= 0x80 {
				return // the case mappings below are ASCII's
			}
		}
		for _, w := range []string{strings.ToUpper(in), strings.ToLower(in)} {
			s2, l2, r2 := ParseRange([]byte(w), size)
			if s2 != start || l2 != length || r2 != r {
				t.Fatalf("ParseRange(%q) = %d, %d, %v; ParseRange(%q) = %d, %d, %v",
					in, start, length, r, w, s2, l2, r2)
			}
		}
	})
}

// FuzzETagMatch checks that no input makes ETagMatch panic, that a W/ on
// the tag compared against changes nothing, and that a well-formed tag
// matches itself wherever it stands in a list.
func FuzzETagMatch(f *testing.F) {
	for _, s := range []string{
		`"abc"`, `W/"abc"`, `*`, `"x", "abc"`, `"abc`, `junk, "abc"`, `W/`, `"`, `,,`,
	} {
		f.Add([]byte(s), `"abc"`)
		f.Add([]byte(s), `W/"abc"`)
	}
	f.Fuzz(func(t *testing.T, list []byte, etag string) {
		in := string(list)
		m := ETagMatch(list, etag)
		if string(list) != in {
			t.Fatalf("ETagMatch changed its input %q to %q", in, list)
		}
		if etag != "" && !strings.HasPrefix(etag, "W/") {
			if w := ETagMatch(list, "W/"+etag); w != m {
				t.Fatalf("ETagMatch(%q, %q) = %v but with W/ %v", list, etag, m, w)
			}
		}
		tag := `"` + strings.ReplaceAll(etag, `"`, "") + `"`
		for _, l := range []string{tag, "W/" + tag, ` ` + tag + ` `, `"x", ` + tag, `junk, ` + tag, tag + `, "`} {
			if !ETagMatch([]byte(l), tag) {
				t.Fatalf("ETagMatch(%q, %q) = false", l, tag)
			}
		}
	})
}
