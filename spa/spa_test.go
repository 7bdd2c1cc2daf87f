package spa

import (
	"bytes"
	"errors"
	"fmt"
	"mime/multipart"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

const (
	urlCT = "application/x-www-form-urlencoded"
	mpCT  = "multipart/form-data; boundary=XyZ"
)

var params = []string{"a", "b", "c", "x y", "file"}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		ct   string
		err  string
		mp   bool
		bnd  string
		desc string
	}{
		{ct: urlCT},
		{ct: "Application/X-WWW-Form-Urlencoded; charset=UTF-8"},
		{ct: "multipart/form-data; boundary=abc", mp: true, bnd: "abc"},
		{ct: `multipart/form-data; boundary="a b:c"`, mp: true, bnd: "a b:c"},
		{ct: `Multipart/Form-Data; charset=utf-8; BOUNDARY="----WebKitFormBoundarycc7YgAPEIHvgE9Bf"`, mp: true, bnd: "----WebKitFormBoundarycc7YgAPEIHvgE9Bf"},
		{ct: "multipart/form-data", err: "Malformed"},
		{ct: "multipart/form-data; boundary=", err: "Malformed"},
		{ct: `multipart/form-data; boundary="a "`, err: "Malformed"},
		{ct: "multipart/form-data; boundary=" + strings.Repeat("x", 71), err: "Malformed"},
		{ct: "multipart/form-data; boundary=" + strings.Repeat("x", 70), mp: true, bnd: strings.Repeat("x", 70)},
		{ct: `multipart/form-data; boundary="a\"b"`, err: "Malformed"},
		{ct: "multipart/form-data; boundary=a; boundary=b", err: "Malformed"},
		{ct: "text/plain", err: "UnsupportedType"},
		{ct: "multipart/mixed; boundary=abc", err: "UnsupportedType"},
		{ct: "", err: "UnsupportedType"},
		{ct: "garbage/", err: "UnsupportedType"},
	} {
		p, err := New(tc.ct, Config{})
		if kind(err) != tc.err {
			t.Errorf("New(%q): %v, want %s", tc.ct, err, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		if p.multipart != tc.mp || (tc.mp && string(p.mp.delim) != "\r\n--"+tc.bnd) {
			t.Errorf("New(%q): multipart %v delim %q", tc.ct, p.multipart, p.mp.delim)
		}
	}
}

func TestStatusOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 200},
		{ErrTooLarge, 413},
		{fmt.Errorf("x: %w", ErrTooLarge), 413},
		{ErrMalformed, 400},
		{ErrTruncated, 400},
		{ErrUnsupportedType, 415},
		{errors.New("disk full"), 500},
		{errFinalized, 500},
	} {
		if got := StatusOf(tc.err); got != tc.want {
			t.Errorf("StatusOf(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

func TestURLEncoded(t *testing.T) {
	for _, tc := range []struct {
		body string
		want map[string]string
		err  string
	}{
		{"", map[string]string{}, ""},
		{"a=1&b=2", map[string]string{"a": "1", "b": "2"}, ""},
		{"a=hello+world&b=%41%42%2b%2B%25", map[string]string{"a": "hello world", "b": "AB++%"}, ""},
		{"a=1&a=2", map[string]string{"a": "1"}, ""},
		{"a&b=&c", map[string]string{"a": "", "b": "", "c": ""}, ""},
		{"&&a=1&&", map[string]string{"a": "1"}, ""},
		{"=x&a=1&=", map[string]string{"a": "1"}, ""},
		{"x+y=1&%61=2", map[string]string{"x y": "1", "a": "2"}, ""},
		{"z=ignored&a=2&zz", map[string]string{"a": "2"}, ""},
		{"a==1", map[string]string{"a": "=1"}, ""},
		{"a=1\r\n2;3", map[string]string{"a": "1\r\n2;3"}, ""},
		{"a=%e2%82%AC", map[string]string{"a": "€"}, ""},
		{"A=1", map[string]string{}, ""},
		{"a=1&b=%zz", map[string]string{"a": "1", "b": ""}, "Malformed"},
		{"a=1&b=%4", map[string]string{"a": "1", "b": ""}, "Malformed"},
		{"a=%", map[string]string{"a": ""}, "Malformed"},
		{"a=%4g", map[string]string{"a": ""}, "Malformed"},
		{"%g=1", map[string]string{}, "Malformed"},
		{"a%2", map[string]string{}, "Malformed"},
	} {
		got := checkSplits(t, urlCT, Config{Params: params}, []byte(tc.body), 64)
		if got.Err != tc.err || !reflect.DeepEqual(got.Vals, tc.want) {
			t.Errorf("%q: got %v %q, want %v %q", tc.body, got.Vals, got.Err, tc.want, tc.err)
		}
	}
}

// mpBody joins lines with CRLF.
func mpBody(lines ...string) string { return strings.Join(lines, "\r\n") }

func TestMultipart(t *testing.T) {
	disp := func(name string) string { return `Content-Disposition: form-data; name="` + name + `"` }
	for _, tc := range []struct {
		desc  string
		ct    string
		body  string
		want  map[string]string
		files []fileRec
		err   string
	}{
		{desc: "two fields", body: mpBody("--XyZ", disp("a"), "", "1", "--XyZ", disp("b"), "", "two", "--XyZ--", ""),
			want: map[string]string{"a": "1", "b": "two"}},
		{desc: "no CRLF after close", body: mpBody("--XyZ", disp("a"), "", "1", "--XyZ--"),
			want: map[string]string{"a": "1"}},
		{desc: "preamble and epilogue", body: mpBody("preamble --XyZ", "more\r", "--XyZ", disp("a"), "", "1", "--XyZ--", "epilogue", "--XyZ", "junk"),
			want: map[string]string{"a": "1"}},
		{desc: "transport padding", body: mpBody("--XyZ \t ", disp("a"), "", "1", "--XyZ\t", disp("b"), "", "2", "--XyZ--  junk"),
			want: map[string]string{"a": "1", "b": "2"}},
		{desc: "CRLFs in content", body: mpBody("--XyZ", disp("a"), "", "", "line\r", "\n--XyZz", "--Xy", "", "--XyZ--"),
			want: map[string]string{"a": "\r\nline\r\r\n\n--XyZz\r\n--Xy\r\n"}},
		{desc: "empty values", body: mpBody("--XyZ", disp("a"), "", "--XyZ", disp("b"), "", "", "--XyZ", disp("c"), "", "--XyZ--"),
			want: map[string]string{"a": "", "b": "", "c": ""}},
		{desc: "content like a boundary", body: mpBody("--XyZ", disp("a"), "", "--Xy", "--XyZ", disp("b"), "", "-", "--XyZ--"),
			want: map[string]string{"a": "--Xy", "b": "-"}},
		{desc: "first value wins", body: mpBody("--XyZ", disp("a"), "", "1", "--XyZ", disp("a"), "", "2", "--XyZ--"),
			want: map[string]string{"a": "1"}},
		{desc: "no name, no disposition, unknown name", body: mpBody("--XyZ", `Content-Disposition: form-data`, "", "1", "--XyZ", "X-Other: 1", "", "2", "--XyZ", "", "3", "--XyZ", disp("zz"), "", "4", "--XyZ--"),
			want: map[string]string{}},
		{desc: "header case, folding, other headers", body: mpBody("--XyZ", "X-A: b", "CONTENT-disposition:form-data;", ` name=a`, "content-type: text/plain", "", "v", "--XyZ--"),
			want: map[string]string{"a": "v"}},
		{desc: "quoted boundary", ct: `multipart/form-data; boundary="q: b"`, body: mpBody("--q: b", disp("c"), "", "x", "--q: b--"),
			want: map[string]string{"c": "x"}},
		{desc: "file", body: mpBody("--XyZ", disp("a"), "", "1", "--XyZ", `Content-Disposition: form-data; name="file"; filename="t.txt"`, "Content-Type: text/plain", "", "hello\r\nworld\r\n", "--XyZ", disp("b"), "", "2", "--XyZ--"),
			want:  map[string]string{"a": "1", "b": "2"},
			files: []fileRec{{Name: "file", Filename: "t.txt", ContentType: "text/plain", Data: "hello\r\nworld\r\n", Final: true, Closed: true}}},
		{desc: "two files, one empty", body: mpBody("--XyZ", `Content-Disposition: form-data; name="f"; filename="a\"b.bin"`, "", "", "--XyZ", `Content-Disposition: form-data; filename=x`, "", "--XyZ--"),
			want: map[string]string{},
			files: []fileRec{{Name: "f", Filename: `a"b.bin`, Final: true, Closed: true},
				{Filename: "x", Final: true, Closed: true}}},
		{desc: "empty filename is a value", body: mpBody("--XyZ", `Content-Disposition: form-data; name="file"; filename=""`, "Content-Type: application/octet-stream", "", "", "--XyZ--"),
			want: map[string]string{"file": ""}},
		{desc: "empty form", body: "--XyZ--", want: map[string]string{}},

		{desc: "truncated in content", body: mpBody("--XyZ", disp("a"), "", "1", "--XyZ", `Content-Disposition: form-data; name="file"; filename="t"`, "", "abc"),
			want:  map[string]string{"a": "1"},
			files: []fileRec{{Name: "file", Filename: "t", Data: "abc", Closed: true}}, err: "Truncated"},
		{desc: "truncated in headers", body: mpBody("--XyZ", disp("a")), want: map[string]string{}, err: "Truncated"},
		{desc: "truncated after boundary", body: "--XyZ", want: map[string]string{}, err: "Truncated"},
		{desc: "truncated after dash", body: "--XyZ-", want: map[string]string{}, err: "Truncated"},
		{desc: "empty body", body: "", want: map[string]string{}, err: "Truncated"},
		{desc: "no boundary at all", body: "a=1", want: map[string]string{}, err: "Truncated"},
		{desc: "held delimiter at end", body: mpBody("--XyZ", disp("a"), "", "1\r\n--Xy"), want: map[string]string{"a": "1"}, err: "Truncated"},
		{desc: "junk after boundary", body: mpBody("--XyZx", disp("a"), "", "1", "--XyZ--"), want: map[string]string{}, err: "Malformed"},
		{desc: "junk after padding", body: mpBody("--XyZ x", disp("a"), "", "1", "--XyZ--"), want: map[string]string{}, err: "Malformed"},
		{desc: "one dash", body: "--XyZ-x", want: map[string]string{}, err: "Malformed"},
		{desc: "boundary CR alone", body: "--XyZ\rx", want: map[string]string{}, err: "Malformed"},
		{desc: "bare LF header", body: "--XyZ\r\n" + disp("a") + "\n\r\n1\r\n--XyZ--", want: map[string]string{}, err: "Malformed"},
		{desc: "bare LF boundary", body: "--XyZ\n" + disp("a") + "\r\n\r\n1\r\n--XyZ--", want: map[string]string{}, err: "Malformed"},
		{desc: "bare CR header", body: "--XyZ\r\n" + disp("a") + "\rx\r\n\r\n1\r\n--XyZ--", want: map[string]string{}, err: "Malformed"},
		{desc: "blank line CR alone", body: "--XyZ\r\n" + disp("a") + "\r\n\rx1\r\n--XyZ--", want: map[string]string{}, err: "Malformed"},
		{desc: "header without colon", body: mpBody("--XyZ", "Content-Disposition form-data", "", "1", "--XyZ--"), want: map[string]string{}, err: "Malformed"},
		{desc: "header name with space", body: mpBody("--XyZ", "Content-Disposition : form-data; name=a", "", "1", "--XyZ--"), want: map[string]string{}, err: "Malformed"},
		{desc: "continuation first", body: mpBody("--XyZ", " "+disp("a"), "", "1", "--XyZ--"), want: map[string]string{}, err: "Malformed"},
		{desc: "two dispositions", body: mpBody("--XyZ", disp("a"), disp("b"), "", "1", "--XyZ--"), want: map[string]string{}, err: "Malformed"},
		{desc: "two content types", body: mpBody("--XyZ", disp("a"), "Content-Type: a/b", "Content-Type: a/b", "", "1", "--XyZ--"), want: map[string]string{}, err: "Malformed"},
		{desc: "bad disposition", body: mpBody("--XyZ", `Content-Disposition: form-data; name="a`, "", "1", "--XyZ--"), want: map[string]string{}, err: "Malformed"},
		{desc: "bad disposition params", body: mpBody("--XyZ", `Content-Disposition: form-data; name=a; name=b`, "", "1", "--XyZ--"), want: map[string]string{}, err: "Malformed"},
	} {
		ct := tc.ct
		if ct == "" {
			ct = mpCT
		}
		got := checkSplits(t, ct, Config{Params: params}, []byte(tc.body), 96)
		if got.Err != tc.err || !reflect.DeepEqual(got.Vals, tc.want) || !reflect.DeepEqual(got.Files, tc.files) {
			t.Errorf("%s: got %v %+v %q, want %v %+v %q", tc.desc, got.Vals, got.Files, got.Err, tc.want, tc.files, tc.err)
		}
	}
}

func TestLimits(t *testing.T) {
	long := func(n int) string { return strings.Repeat("v", n) }
	part := func(name, v string) string {
		return "--XyZ\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + v + "\r\n"
	}
	for _, tc := range []struct {
		desc string
		ct   string
		cfg  Config
		body string
		err  string
	}{
		{"url default storage", urlCT, Config{Params: params}, "a=" + long(512), ""},
		{"url over default storage", urlCT, Config{Params: params}, "a=" + long(513), "TooLarge"},
		{"url storage is shared", urlCT, Config{Params: params, MaxStorage: 10}, "a=12345&b=123456", "TooLarge"},
		{"url repeats count", urlCT, Config{Params: params, MaxStorage: 10}, "a=12345&a=123456", "TooLarge"},
		{"url unkept names do not count", urlCT, Config{Params: params, MaxStorage: 10}, "zz=" + long(4096) + "&a=1234567890", ""},
		{"url name at limit", urlCT, Config{Params: params}, long(128) + "=1", ""},
		{"url name over limit", urlCT, Config{Params: params}, long(129) + "=1", "TooLarge"},
		{"url decoded name at limit", urlCT, Config{Params: params, MaxNameLen: 2}, "%61%62=1&a+=2", ""},
		{"url name only over limit", urlCT, Config{Params: params, MaxNameLen: 2}, "abc", "TooLarge"},
		{"mp storage", mpCT, Config{Params: params}, part("a", long(512)) + "--XyZ--", ""},
		{"mp over storage", mpCT, Config{Params: params}, part("a", long(513)) + "--XyZ--", "TooLarge"},
		{"mp name at limit", mpCT, Config{Params: params, MaxNameLen: 3}, part("abc", "1") + "--XyZ--", ""},
		{"mp name over limit", mpCT, Config{Params: params, MaxNameLen: 3}, part("abcd", "1") + "--XyZ--", "TooLarge"},
		{"mp parts at limit", mpCT, Config{Params: params}, strings.Repeat(part("zz", "1"), 64) + "--XyZ--", ""},
		{"mp parts over limit", mpCT, Config{Params: params}, strings.Repeat(part("zz", "1"), 65) + "--XyZ--", "TooLarge"},
		{"mp parts custom", mpCT, Config{Params: params, MaxParts: 2}, strings.Repeat(part("zz", "1"), 3) + "--XyZ--", "TooLarge"},
		{"mp headers at limit", mpCT, Config{Params: params}, "--XyZ\r\nX: " + long(MaxHeaderBytes-5) + "\r\n\r\n1\r\n--XyZ--", ""},
		{"mp headers over limit", mpCT, Config{Params: params}, "--XyZ\r\nX: " + long(MaxHeaderBytes-4) + "\r\n\r\n1\r\n--XyZ--", "Malformed"},
		{"mp headers over limit in lines", mpCT, Config{Params: params}, "--XyZ\r\n" + strings.Repeat("X: 1234567\r\n", 86) + "\r\n1\r\n--XyZ--", "Malformed"},
	} {
		got := checkSplits(t, tc.ct, tc.cfg, []byte(tc.body), 0)
		if got.Err != tc.err {
			t.Errorf("%s: got %q, want %q", tc.desc, got.Err, tc.err)
		}
	}
	// What fits is kept.
	p, _ := New(urlCT, Config{Params: params, MaxStorage: 4})
	p.Write([]byte("a=123456"))
	if v, _ := p.Get("a"); v != "1234" || StatusOf(p.Finalize()) != 413 {
		t.Errorf("got %q, %v", v, p.Finalize())
	}
}

// TestGoProducers parses bodies made by the standard library's form
// encoders and compares with the standard library's parsers.
func TestGoProducers(t *testing.T) {
	names := []string{"a", "b c", "ünï", "x&y=z", "%+", "empty", "long", "multi"}
	vals := url.Values{}
	for i, n := range names {
		vals.Add(n, fmt.Sprintf("value %d: &=+%%\r\n\x00é", i))
	}
	vals.Set("empty", "")
	vals.Set("long", strings.Repeat("0123456789", 30))
	vals.Add("multi", "second")
	cfg := Config{Params: append(names, "absent"), MaxStorage: 4096}

	enc := vals.Encode()
	got := checkSplits(t, urlCT, cfg, []byte(enc), 0)
	ref, err := url.ParseQuery(enc)
	if err != nil || got.Err != "" {
		t.Fatal(err, got.Err)
	}
	want := map[string]string{}
	for k, v := range ref {
		want[k] = v[0]
	}
	if !reflect.DeepEqual(got.Vals, want) {
		t.Errorf("urlencoded: got %q, want %q", got.Vals, want)
	}

	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, n := range names {
		for _, v := range vals[n] {
			w.WriteField(n, v)
		}
	}
	fw, _ := w.CreateFormFile("upload", `C:\dir\f "q".bin`)
	fdata := bytes.Repeat([]byte("\r\n--"+w.Boundary()[:10]+"\r\r\n-"), 100)
	fw.Write(fdata)
	w.CreateFormFile("upload2", "empty")
	w.Close()
	body := buf.Bytes()
	ct := w.FormDataContentType()

	mpgot := parse(t, ct, cfg, body)
	if mpgot.Err != "" || !reflect.DeepEqual(mpgot.Vals, want) {
		t.Errorf("multipart: got %q %s, want %q", mpgot.Vals, mpgot.Err, want)
	}
	form, err := multipart.NewReader(bytes.NewReader(body), w.Boundary()).ReadForm(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range form.Value {
		if want[k] != v[0] {
			t.Errorf("mime/multipart sees %q=%q, want %q", k, v[0], want[k])
		}
	}
	fh := form.File["upload"][0]
	if len(mpgot.Files) != 2 || mpgot.Files[0].Data != string(fdata) || mpgot.Files[0].Name != "upload" ||
		mpgot.Files[0].Filename != fh.Filename || mpgot.Files[0].ContentType != fh.Header.Get("Content-Type") ||
		mpgot.Files[1].Data != "" || mpgot.Files[1].Filename != "empty" {
		t.Errorf("files: %+v (mime/multipart: %q %q)", mpgot.Files, fh.Filename, fh.Header)
	}
	// Every split: in two, and a byte at a time.
	checkSplits(t, ct, cfg, body, 0)
}

func TestFileCallbackError(t *testing.T) {
	body := mpBody("--XyZ", `Content-Disposition: form-data; name="f"; filename="t"`, "", "0123456789", "--XyZ--")
	stop := errors.New("disk full")
	for _, at := range []FileState{FileOpen, FileContent, FileFinalContent, FileClose} {
		var seen []FileState
		p, _ := New(mpCT, Config{File: func(ev FileEvent) error {
			seen = append(seen, ev.State)
			if ev.State == at {
				return stop
			}
			return nil
		}})
		_, err := p.Write([]byte(body[:len(body)-12]))
		if err == nil {
			_, err = p.Write([]byte(body[len(body)-12:]))
		}
		if err != stop || p.Finalize() != stop {
			t.Errorf("stop at %v: %v", at, err)
		}
		if seen[len(seen)-1] != FileClose {
			t.Errorf("stop at %v: events %v", at, seen)
		}
		if _, err := p.Write([]byte("x")); err != errFinalized {
			t.Errorf("Write after Finalize: %v", err)
		}
	}
}

func TestFileNil(t *testing.T) {
	body := mpBody("--XyZ", `Content-Disposition: form-data; name="a"; filename="t"`, "", "0123456789", "--XyZ", `Content-Disposition: form-data; name="b"`, "", "1", "--XyZ--")
	p, _ := New(mpCT, Config{Params: params})
	if _, err := p.Write([]byte(body)); err != nil || p.Finalize() != nil {
		t.Fatal(err)
	}
	if v := p.Values(); !reflect.DeepEqual(v, map[string]string{"b": "1"}) {
		t.Errorf("got %q", v)
	}
	if v, ok := p.Index(99); ok || v != "" {
		t.Errorf("Index(99) = %q, %v", v, ok)
	}
	if _, ok := p.Get("nope"); ok || p.Len("nope") != 0 {
		t.Errorf("Get(nope)")
	}
}

func TestFileStateString(t *testing.T) {
	for s, want := range map[FileState]string{FileOpen: "FileOpen", FileContent: "FileContent", FileFinalContent: "FileFinalContent", FileClose: "FileClose", 9: "FileState(9)"} {
		if s.String() != want {
			t.Errorf("%d: %q", int(s), s.String())
		}
	}
}
