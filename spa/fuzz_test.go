package spa

import "testing"

// fuzzCfg has small limits, so that the fuzzer reaches them.
var fuzzCfg = Config{Params: []string{"a", "b", "x y", "f"}, MaxStorage: 48, MaxNameLen: 12, MaxParts: 6}

// fuzzSplits is checkSplits for fuzzed inputs: bodies longer than
// 256 bytes are checked in one piece and a byte at a time only.
func fuzzSplits(t *testing.T, ct string, body []byte) {
	if len(body) > 4096 {
		body = body[:4096]
	}
	if len(body) <= 256 {
		checkSplits(t, ct, fuzzCfg, body, 16)
		return
	}
	whole := parse(t, ct, fuzzCfg, body)
	pieces := make([][]byte, len(body))
	for i := range body {
		pieces[i] = body[i : i+1]
	}
	if got := parse(t, ct, fuzzCfg, pieces...); !equalOutcome(got, whole) {
		t.Fatalf("byte at a time: %+v, whole: %+v", got, whole)
	}
}

func FuzzURLEncoded(f *testing.F) {
	for _, s := range []string{"a=1&b=2", "a=%41+b&a=2&x+y", "%zz", "a=" + string(make([]byte, 60))} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzSplits(t, urlCT, body)
	})
}

func FuzzMultipart(f *testing.F) {
	f.Add("XyZ", []byte(mpBody("--XyZ", `Content-Disposition: form-data; name="a"`, "", "1", "--XyZ--")))
	f.Fuzz(func(t *testing.T, boundary string, body []byte) {
		ct := "multipart/form-data; boundary=\"" + boundary + "\""
		if _, err := New(ct, fuzzCfg); err != nil {
			return
		}
		fuzzSplits(t, ct, body)
	})
}
