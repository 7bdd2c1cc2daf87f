package lwsconf

import (
	"errors"
	"testing"
)

// FuzzParse: no input makes Parse panic, and every error it returns is an
// *Error placed on a line of the file.
func FuzzParse(f *testing.F) {
	for _, s := range []string{globalExample, readmeGlobal, localhostExample, warmcatExample, multiVhostExample,
		rawExamples, mountOptionsExample, "", "{", `{"a\u12`, "{\"vhosts\": [{\"port\": \"1\"}]}\n#",
		`{"vhosts": [{"port": 1e3, "sts": true, "mounts": [{"mountpoint": "/", "origin": "x"}]}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := &Config{}
		err := Parse("fuzz", data, Options{DataDir: "/d", Unsupported: map[string]string{"vhosts.sts": "x"}}, cfg)
		if err == nil {
			for _, w := range cfg.Warnings {
				if w.Pos.Line < 1 || w.Pos.Col < 1 {
					t.Fatalf("warning without a position: %v", w)
				}
			}
			return
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%T is not an *Error: %v", err, err)
		}
		if e.Pos.Line < 1 || e.Pos.Col < 1 || e.Pos.File != "fuzz" {
			t.Fatalf("error without a line: %v", err)
		}
	})
}
