package spa

import (
	"errors"
	"reflect"
	"strconv"
	"testing"
)

// fileRec is what a test saw of one file through Config.File.
type fileRec struct {
	Name, Filename, ContentType string
	Data                        string
	Final, Closed               bool
}

// outcome is everything observable about one parse, comparable across
// splits of the body.
type outcome struct {
	Err   string // the sentinel the error wraps, "" for nil
	Vals  map[string]string
	Files []fileRec
}

// kind names the sentinel err wraps.
func kind(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrTooLarge):
		return "TooLarge"
	case errors.Is(err, ErrMalformed):
		return "Malformed"
	case errors.Is(err, ErrTruncated):
		return "Truncated"
	case errors.Is(err, ErrUnsupportedType):
		return "UnsupportedType"
	}
	return "other: " + err.Error()
}

// parse runs a Parser over the pieces of a body, checking the FileEvent
// protocol and the memory bounds as it goes.
func parse(t testing.TB, ct string, cfg Config, pieces ...[]byte) outcome {
	t.Helper()
	var o outcome
	cfg.File = func(ev FileEvent) error {
		n := len(o.Files)
		var last *fileRec
		if n > 0 {
			last = &o.Files[n-1]
		}
		if ev.State != FileOpen && (last == nil || last.Closed) {
			t.Fatalf("%v with no file open", ev.State)
		}
		switch ev.State {
		case FileOpen:
			if last != nil && !last.Closed {
				t.Fatalf("FileOpen while %q is open", last.Filename)
			}
			if ev.Filename == "" || len(ev.Data) != 0 {
				t.Fatalf("bad FileOpen %+v", ev)
			}
			o.Files = append(o.Files, fileRec{Name: ev.Name, Filename: ev.Filename, ContentType: ev.ContentType})
			last = &o.Files[n]
		case FileContent, FileFinalContent:
			if last.Final {
				t.Fatalf("%v after FileFinalContent", ev.State)
			}
			if ev.State == FileContent && len(ev.Data) == 0 {
				t.Fatalf("empty FileContent")
			}
			last.Data += string(ev.Data)
			last.Final = ev.State == FileFinalContent
		case FileClose:
			last.Closed = true
		default:
			t.Fatalf("bad state %v", ev.State)
		}
		if ev.Name != last.Name || ev.Filename != last.Filename || ev.ContentType != last.ContentType {
			t.Fatalf("event %+v does not match its file %+v", ev, *last)
		}
		return nil
	}
	p, err := New(ct, cfg)
	if err != nil {
		o.Err = kind(err)
		return o
	}
	for _, pc := range pieces {
		n, err := p.Write(pc)
		if err == nil && n != len(pc) {
			t.Fatalf("Write returned %d, nil for %d bytes", n, len(pc))
		}
		if err != nil {
			if n < 0 || n > len(pc) {
				t.Fatalf("Write returned %d, %v for %d bytes", n, err, len(pc))
			}
			break
		}
		checkBounds(t, p)
	}
	err = p.Finalize()
	if err2 := p.Finalize(); err2 != err {
		t.Fatalf("second Finalize: %v, first %v", err2, err)
	}
	checkBounds(t, p)
	o.Err = kind(err)
	o.Vals = p.Values()
	for _, f := range o.Files {
		if !f.Closed {
			t.Fatalf("file %q never closed", f.Filename)
		}
		if err == nil && !f.Final {
			t.Fatalf("file %q without FileFinalContent in a good body", f.Filename)
		}
	}
	for i, name := range cfg.Params {
		v, ok := p.Index(i)
		g, gok := p.Get(name)
		if v != g || ok != gok || p.Len(name) != len(g) {
			t.Fatalf("Index(%d) = %q, %v; Get(%q) = %q, %v; Len %d", i, v, ok, name, g, gok, p.Len(name))
		}
	}
	return o
}

// checkBounds checks a parser holds no more than its limits allow.
func checkBounds(t testing.TB, p *Parser) {
	t.Helper()
	if cap(p.storage) > p.cfg.MaxStorage || p.used > p.cfg.MaxStorage {
		t.Fatalf("storage cap %d, used %d, MaxStorage %d", cap(p.storage), p.used, p.cfg.MaxStorage)
	}
	if cap(p.name) > p.cfg.MaxNameLen {
		t.Fatalf("name cap %d, MaxNameLen %d", cap(p.name), p.cfg.MaxNameLen)
	}
	m := &p.mp
	if len(m.name)+len(m.filename)+len(m.ctype) > MaxHeaderBytes || m.held > len(m.delim) {
		t.Fatalf("part state beyond bounds: %d %d %d held %d", len(m.name), len(m.filename), len(m.ctype), m.held)
	}
}

// checkSplits checks that feeding body in one piece, a byte at a time, in
// two pieces at every boundary and, for bodies up to three bytes long,
// in three pieces at every pair of boundaries all give the same outcome,
// which it returns.
func checkSplits(t testing.TB, ct string, cfg Config, body []byte, three int) outcome {
	t.Helper()
	want := parse(t, ct, cfg, body)
	same := func(how string, got outcome) {
		t.Helper()
		if !equalOutcome(got, want) {
			t.Fatalf("%s: got %+v, want %+v (body %q)", how, got, want, body)
		}
	}
	bytewise := make([][]byte, len(body))
	for i := range body {
		bytewise[i] = body[i : i+1]
	}
	same("byte at a time", parse(t, ct, cfg, bytewise...))
	for i := 0; i <= len(body); i++ {
		same("split at "+strconv.Itoa(i), parse(t, ct, cfg, body[:i], body[i:]))
	}
	if len(body) <= three {
		for i := 0; i <= len(body); i++ {
			for j := i; j <= len(body); j++ {
				same("split at "+strconv.Itoa(i)+","+strconv.Itoa(j), parse(t, ct, cfg, body[:i], body[i:j], body[j:]))
			}
		}
	}
	return want
}

// equalOutcome reports whether two outcomes are the same.
func equalOutcome(a, b outcome) bool { return reflect.DeepEqual(a, b) }
