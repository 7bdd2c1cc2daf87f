package httpsem

import (
	"time"

	"github.com/golws/lws/internal/ascii"
)

// The pure parts of serving a file: HTTP dates, entity tags and byte
// ranges (RFC 9110 sections 5.6.7, 8.8.3, 13 and 14).

// TimeFormat is the layout of HTTP dates (IMF-fixdate), always in GMT.
const TimeFormat = "Mon, 02 Jan 2006 15:04:05 GMT"

// AppendHTTPDate appends t as an HTTP date.
func AppendHTTPDate(b []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(b, TimeFormat)
}

// ParseHTTPDate parses an HTTP date in any of the three formats RFC 9110
// section 5.6.7 asks recipients to accept.
func ParseHTTPDate(v []byte) (time.Time, bool) {
	s := string(v)
	for _, layout := range [...]string{TimeFormat, "Monday, 02-Jan-06 15:04:05 GMT", time.ANSIC} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// ETagMatch reports whether an If-None-Match value (a list of entity
// tags, or "*") matches etag, comparing weakly as RFC 9110 section 13.1.2
// asks: a "W/" prefix on either side is ignored.
func ETagMatch(list []byte, etag string) bool {
	etag = trimWeak(etag)
	for len(list) > 0 {
		for len(list) > 0 && (list[0] == ' ' || list[0] == '\t' || list[0] == ',') {
			list = list[1:]
		}
		if len(list) == 0 {
			break
		}
		if list[0] == '*' {
			return true
		}
		if len(list) > 2 && list[0] == 'W' && list[1] == '/' {
			list = list[2:]
		}
		if list[0] != '"' {
			// not a tag: skip to the next comma
			for len(list) > 0 && list[0] != ',' {
				list = list[1:]
			}
			continue
		}
		end := 1
		for end < len(list) && list[end] != '"' {
			end++
		}
		if end == len(list) {
			return false
		}
		if string(list[:end+1]) == etag {
			return true
		}
		list = list[end+1:]
	}
	return false
}

func trimWeak(s string) string {
	if len(s) > 2 && s[0] == 'W' && s[1] == '/' {
		return s[2:]
	}
	return s
}

// RangeResult says what a Range header asks of a representation.
type RangeResult uint8

// Outcomes of ParseRange.
const (
	// RangeIgnore: no usable range; send the whole representation (200).
	// Malformed headers, other units and requests for several ranges end
	// here: RFC 9110 lets a server ignore Range.
	RangeIgnore RangeResult = iota
	// RangeOK: send the one range asked for (206).
	RangeOK
	// RangeUnsatisfiable: the range lies beyond the end (416).
	RangeUnsatisfiable
)

// ParseRange interprets a Range header ("bytes=0-99", "bytes=100-",
// "bytes=-100") for a representation of size bytes. With RangeOK it
// returns the first byte and the length to send.
func ParseRange(v []byte, size int64) (start, length int64, r RangeResult) {
	const unit = "bytes="
	if len(v) <= len(unit) || !ascii.EqualFold(v[:len(unit)], unit) {
		return 0, 0, RangeIgnore
	}
	v = v[len(unit):]
	for len(v) > 0 && (v[0] == ' ' || v[0] == '\t') {
		v = v[1:]
	}
	for len(v) > 0 && (v[len(v)-1] == ' ' || v[len(v)-1] == '\t') {
		v = v[:len(v)-1]
	}
	for _, c := range v {
		if c == ',' {
			return 0, 0, RangeIgnore
		}
	}
	dash := -1
	for i, c := range v {
		if c == '-' {
			dash = i
			break
		}
	}
	if dash < 0 {
		return 0, 0, RangeIgnore
	}
	first, okFirst := ParseContentLength(v[:dash])
	last, okLast := ParseContentLength(v[dash+1:])
	switch {
	case dash == 0: // suffix: the last N bytes
		if !okLast {
			return 0, 0, RangeIgnore
		}
		if last == 0 || size == 0 {
			return 0, 0, RangeUnsatisfiable
		}
		last = min(last, size)
		return size - last, last, RangeOK
	case !okFirst:
		return 0, 0, RangeIgnore
	case dash == len(v)-1: // from first to the end
		if first >= size {
			return 0, 0, RangeUnsatisfiable
		}
		return first, size - first, RangeOK
	case !okLast || last < first:
		return 0, 0, RangeIgnore
	}
	if first >= size {
		return 0, 0, RangeUnsatisfiable
	}
	last = min(last, size-1)
	return first, last - first + 1, RangeOK
}

// ParseContentLength parses a Content-Length value (or any other
// non-negative decimal of at most 18 digits, which cannot overflow): a
// non-empty run of digits and nothing else.
func ParseContentLength(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
