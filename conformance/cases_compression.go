package conformance

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// The compression cases (groups 12 and 13) send a series of messages, each
// when the echo of the one before has arrived, compressed with
// permessage-deflate, and check every echo octet by octet. Group 12 varies
// the kind of payload (five corpora), group 13 the parameters negotiated.
// Each subgroup has Autobahn's 18 cases: a payload size, a message count
// and, for some, an auto-fragment size (the compressed message cut into
// frames of that many octets).

// compressionSize is one row of Autobahn's table of message sizes for
// groups 12 and 13.
type compressionSize struct {
	size, count, waitSecs, fragment int
}

// compressionSizes are the 18 cases of every subgroup of 12 and 13, in
// Autobahn's order.
var compressionSizes = []compressionSize{
	{16, 1000, 60, 0},
	{64, 1000, 60, 0},
	{256, 1000, 120, 0},
	{1024, 1000, 240, 0},
	{4096, 1000, 480, 0},
	{8192, 1000, 480, 0},
	{16384, 1000, 480, 0},
	{32768, 1000, 480, 0},
	{65536, 1000, 480, 0},
	{131072, 1000, 480, 0},
	{8192, 1000, 480, 256},
	{16384, 1000, 480, 256},
	{32768, 1000, 480, 256},
	{65536, 1000, 480, 256},
	{131072, 1000, 480, 256},
	{131072, 1000, 480, 1024},
	{131072, 1000, 480, 4096},
	{131072, 1000, 480, 32768},
}

// messageCap, when positive, lowers the message count of every
// compression case to at most that many. The tests set it under the race
// detector, which makes compression ten times slower; Cases reads it.
var messageCap int

// maxCompressionWait caps how long a compression case may take
// (Autobahn's waits go up to 480 s). 1000 messages of 128 KiB cut into
// 4 KiB frames took up to 46 s on a loaded machine.
const maxCompressionWait = 120 * time.Second

// corpus is a payload kind of group 12. The corpora are generated, not
// read from files: Autobahn's are a JSON report, a 512x512 bitmap, a
// German play, an HTML report and a PDF; these are made to resemble them
// in kind and size.
type corpus struct {
	desc   string
	binary bool
	data   []byte
	// runes is a text corpus cut in code points: a text payload of n is n
	// code points long, as in Autobahn.
	runes []rune
}

// slice returns the n units (octets, or code points for text) of the
// corpus from *at on, wrapping around its end, and moves *at past them.
func (c *corpus) slice(at *int, n int) []byte {
	if c.binary {
		out := make([]byte, 0, n)
		for len(out) < n {
			k := min(n-len(out), len(c.data)-*at)
			out = append(out, c.data[*at:*at+k]...)
			*at = (*at + k) % len(c.data)
		}
		return out
	}
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteRune(c.runes[*at])
		*at = (*at + 1) % len(c.runes)
	}
	return []byte(b.String())
}

// The corpora, made on first use (the generators are deterministic).
var (
	jsonCorpus   = sync.OnceValue(func() *corpus { return textCorpus("JSON document", makeJSON(194056)) })
	bitmapCorpus = sync.OnceValue(func() *corpus {
		return &corpus{desc: "bitmap, 512x512 pixels of 8 bits", binary: true, data: makeBitmap()}
	})
	proseCorpus = sync.OnceValue(func() *corpus {
		return &corpus{desc: "German verse in UTF-8, sent as binary", binary: true, data: makeProse(222218)}
	})
	htmlCorpus = sync.OnceValue(func() *corpus { return textCorpus("HTML document", makeHTML(263647)) })
	pdfCorpus  = sync.OnceValue(func() *corpus {
		return &corpus{desc: "PDF-like document, mostly high-entropy streams", binary: true, data: makePDF(1042328)}
	})
)

func textCorpus(desc string, data []byte) *corpus {
	if !utf8.Valid(data) {
		panic("conformance: a text corpus is not UTF-8")
	}
	return &corpus{desc: desc, data: data, runes: []rune(string(data))}
}

// makeJSON makes a JSON report of case results of about n octets, in
// ASCII.
func makeJSON(n int) []byte {
	r := rand.New(rand.NewPCG(12, 1))
	var b bytes.Buffer
	b.WriteString("{\n")
	behaviors := []string{"OK", "OK", "OK", "NON-STRICT", "INFORMATIONAL", "FAILED", "UNIMPLEMENTED"}
	codes := []string{"1000", "1000", "1002", "1007", "null"}
	agent := 0
	for b.Len() < n {
		if agent > 0 {
			b.WriteString("\n   },\n")
		}
		agent++
		fmt.Fprintf(&b, "   \"Agent%d/%d.%d.%d\": {\n", agent, r.IntN(3), r.IntN(20), r.IntN(10))
		first := true
		for g := 1; g <= 13 && b.Len() < n; g++ {
			for s := 1; s <= 1+r.IntN(8) && b.Len() < n; s++ {
				for c := 1; c <= 1+r.IntN(18) && b.Len() < n; c++ {
					if !first {
						b.WriteString(",\n")
					}
					first = false
					id := fmt.Sprintf("%d.%d.%d", g, s, c)
					fmt.Fprintf(&b, "      \"%s\": {\n         \"behavior\": \"%s\",\n         \"behaviorClose\": \"%s\",\n"+
						"         \"duration\": %d,\n         \"remoteCloseCode\": %s,\n         \"reportfile\": \"agent%d_case_%s.json\"\n      }",
						id, behaviors[r.IntN(len(behaviors))], behaviors[r.IntN(3)], r.IntN(2000), codes[r.IntN(len(codes))],
						agent, strings.ReplaceAll(id, ".", "_"))
				}
			}
		}
	}
	b.WriteString("\n   }\n}\n")
	return b.Bytes()
}

// makeBitmap makes an 8-bit grey BMP file of 512x512 pixels: smooth
// shapes with a little noise, as a photograph has.
func makeBitmap() []byte {
	const w, h, palette = 512, 512, 256 * 4
	const off = 14 + 40 + palette
	b := make([]byte, off+w*h)
	le32 := func(i int, v uint32) { b[i], b[i+1], b[i+2], b[i+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24) }
	copy(b, "BM")
	le32(2, uint32(len(b)))
	le32(10, off)
	le32(14, 40)
	le32(18, w)
	le32(22, h)
	b[26], b[28] = 1, 8 // one plane, eight bits a pixel
	le32(34, w*h)
	le32(38, 2835)
	le32(42, 2835)
	le32(46, 256)
	for i := 0; i < 256; i++ {
		p := 54 + 4*i
		b[p], b[p+1], b[p+2] = byte(i), byte(i), byte(i)
	}
	r := rand.New(rand.NewPCG(12, 2))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x), float64(y)
			v := 120 + 55*math.Sin(fx/37)*math.Cos(fy/23) + 40*math.Sin((fx+2*fy)/71) +
				30*math.Cos(math.Hypot(fx-300, fy-200)/19) + float64(r.IntN(13)-6)
			b[off+y*w+x] = byte(max(0, min(255, int(v))))
		}
	}
	return b
}

// proseWords are the vocabulary of makeProse.
var proseWords = strings.Fields(`der die das und ich du er sie es wir ihr nicht mit sich ein eine zu ist
auf wie so dem den was mir mich dir dich wenn nur noch auch schon hier dort nun doch ganz gar wohl
Herz Welt Geist Nacht Licht Himmel Erde Zeit Leben Mensch Freund Tag Liebe Kraft Seele Traum Wort Tat
Glück Blüte Flügel Bücher Mädchen König Stärke Frühling Wälder Türme Schöpfung Gefühl Brüder Ströme
schön größer müde fühlen über früh hören gehören öffnen küssen träumen rühren blühen glühen ächzen
Sehnsucht Mühe Tür Schlüssel Gewölbe Lämpchen Ruh Brust Stunde Augenblick verweile Geister Sterne Flut
Quelle Gestalten schweben lieblich dunkel hell tief weit fern nah still laut selig bang wüst süß`)

// makeProse makes about n octets of German-looking verse in UTF-8.
func makeProse(n int) []byte {
	r := rand.New(rand.NewPCG(12, 3))
	speakers := []string{"ERSTER", "ZWEITER", "DER WANDERER", "DIE STIMME", "CHOR"}
	var b bytes.Buffer
	for b.Len() < n {
		fmt.Fprintf(&b, "\n%s:\n", speakers[r.IntN(len(speakers))])
		for l := 2 + r.IntN(8); l > 0; l-- {
			words := 4 + r.IntN(5)
			for i := 0; i < words; i++ {
				w := proseWords[r.IntN(len(proseWords))]
				if i == 0 {
					rs := []rune(w)
					w = strings.ToUpper(string(rs[0])) + string(rs[1:])
					b.WriteString("  ")
				} else {
					b.WriteByte(' ')
				}
				b.WriteString(w)
			}
			b.WriteString([]string{",", ".", "!", "?", ";", ""}[r.IntN(6)] + "\n")
		}
	}
	return b.Bytes()
}

// makeHTML makes an HTML report of about n octets, with a few characters
// outside ASCII.
func makeHTML(n int) []byte {
	r := rand.New(rand.NewPCG(12, 4))
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html>\n<html>\n   <head>\n      <meta charset=\"utf-8\" />\n      <style lang=\"css\">\n" +
		"body {\n   background-color: #F4F4F4;\n   color: #333;\n   font-family: sans-serif;\n}\n" +
		"td.ok {\n   background-color: #0a0;\n}\n\ntd.failed {\n   background-color: #900;\n}\n" +
		"      </style>\n   </head>\n   <body>\n      <h1>Conformance report – WebSocket</h1>\n      <table>\n")
	verdicts := []string{"ok", "ok", "ok", "non_strict", "failed", "informational"}
	row := 0
	for b.Len() < n {
		row++
		id := fmt.Sprintf("%d.%d.%d", 1+r.IntN(13), 1+r.IntN(8), 1+r.IntN(18))
		v := verdicts[r.IntN(len(verdicts))]
		unit := "ms"
		if row%97 == 0 {
			unit = "µs"
		}
		fmt.Fprintf(&b, "         <tr>\n            <td class=\"case\"><a href=\"#case_%s\">Case %s</a></td>\n"+
			"            <td class=\"%s\">%s</td>\n            <td class=\"time\">%d %s</td>\n         </tr>\n",
			strings.ReplaceAll(id, ".", "_"), id, v, strings.ToUpper(v), r.IntN(5000), unit)
		if row%211 == 0 {
			b.WriteString("         <tr><td colspan=\"3\">Résumé: all échos «as sent» …</td></tr>\n")
		}
	}
	b.WriteString("      </table>\n   </body>\n</html>\n")
	return b.Bytes()
}

// makePDF makes about n octets shaped like a PDF file: object syntax
// around streams of random octets (compressed content looks random).
func makePDF(n int) []byte {
	r := rand.New(rand.NewPCG(12, 5))
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	obj := 0
	var offsets []int
	for b.Len() < n-200 {
		obj++
		offsets = append(offsets, b.Len())
		if obj%3 != 0 {
			fmt.Fprintf(&b, "%d 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "+
				"/Resources << /Font << /F1 7 0 R /F2 8 0 R >> /ProcSet [/PDF /Text /ImageB] >> >>\nendobj\n", obj, obj+1)
			continue
		}
		size := min(2048+r.IntN(38000), max(0, n-b.Len()-120))
		fmt.Fprintf(&b, "%d 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n", obj, size)
		for i := 0; i < size; i++ {
			b.WriteByte(byte(r.Uint32()))
		}
		b.WriteString("\nendstream\nendobj\n")
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", obj+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", obj+1, xref)
	return b.Bytes()
}

// defaultOffer is Autobahn's default permessage-deflate offer: the client
// lets the server ask for no context takeover and a smaller window on its
// side, and asks nothing for the server's.
var defaultOffer = deflateOffer{clientNoContextTakeover: true, clientMaxWindow: true}

// withServer is the default offer asking the server for no context
// takeover and for a window of windowBits (0 for no request).
func withServer(noContext bool, windowBits int) deflateOffer {
	o := defaultOffer
	o.serverNoContextTakeover, o.serverMaxWindowBits = noContext, windowBits
	return o
}

// compressionCase is one case of groups 12 and 13.
func compressionCase(id, unit, what string, c func() *corpus, cs compressionSize, dc *deflateCase, negotiation string) Case {
	wait := min(time.Duration(cs.waitSecs)*time.Second, maxCompressionWait)
	if messageCap > 0 {
		cs.count = min(cs.count, messageCap)
	}
	desc := fmt.Sprintf("Send %d compressed messages of %d %s each, one after the other, from %s", cs.count, cs.size, unit, what)
	if cs.fragment > 0 {
		desc += fmt.Sprintf(", the compressed form cut into frames of %d octets", cs.fragment)
	}
	desc += ". " + negotiation
	return Case{
		ID:          id,
		Description: desc + ".",
		Expectation: fmt.Sprintf("permessage-deflate is agreed and every message is echoed with the payload as sent, all within %v (UNIMPLEMENTED when it is not agreed). Clean close with normal code.", wait),
		Limit:       wait + 10*time.Second,
		deflate:     dc,
		Run: func(_ context.Context, p *Peer) {
			p.ExpectClose(normalClose)
			if !p.Compressing() {
				p.SetOutcome(Unimplemented, "permessage-deflate was not agreed.")
				p.SendClose(1000, "")
				return
			}
			data := c()
			p.SetOutcome(Failed, fmt.Sprintf("Case did not finish within %v.", wait))
			p.CloseAfter(wait)
			p.SetAutoFragment(cs.fragment)
			at, sent, octets := 0, 0, 0
			var want []byte
			sendOne := func() {
				want = data.slice(&at, cs.size)
				octets += len(want)
				p.SendMessage(want, data.binary, 0)
				sent++
			}
			p.OnMessage(func(msg []byte, isBinary bool) {
				switch {
				case isBinary != data.binary:
					p.SetOutcome(Failed, fmt.Sprintf("Echoed message %d is %s, not %s.", sent, kindName(isBinary), kindName(data.binary)))
				case len(msg) != len(want):
					p.SetOutcome(Failed, fmt.Sprintf("Echoed message %d has %d octets, not %d.", sent, len(msg), len(want)))
				case !bytes.Equal(msg, want):
					i := 0
					for msg[i] == want[i] {
						i++
					}
					p.SetOutcome(Failed, fmt.Sprintf("Echoed message %d differs from the one sent at octet %d.", sent, i))
				case sent < cs.count:
					sendOne()
					return
				default:
					p.SetOutcome(OK, fmt.Sprintf("Received all %d echoes in time; the %d octets sent went out as %d compressed.", cs.count, octets, p.pmdSent))
				}
				p.SendClose(1000, "")
			})
			sendOne()
		},
	}
}

// compressionCases are groups 12 (payload kinds) and 13 (parameters).
func compressionCases() []Case {
	var cs []Case
	for j, c := range []func() *corpus{jsonCorpus, bitmapCorpus, proseCorpus, htmlCorpus, pdfCorpus} {
		unit, what := []string{"characters", "octets", "octets", "characters", "octets"}[j],
			[]string{"a JSON document (text)", "a bitmap (binary)", "German verse (binary)", "an HTML document (text)", "a PDF-like document (binary)"}[j]
		dc := &deflateCase{offers: []deflateOffer{defaultOffer}, accept: acceptFirst(false, 0)}
		for i, s := range compressionSizes {
			cs = append(cs, compressionCase(fmt.Sprintf("12.%d.%d", j+1, i+1), unit, what, c, s, dc,
				"The client makes the default offer; the server accepts it, asking nothing"))
		}
	}
	both := func(a, b func([]deflateOffer) (deflateParams, bool)) func([]deflateOffer) (deflateParams, bool) {
		return func(o []deflateOffer) (deflateParams, bool) {
			if r, ok := a(o); ok {
				return r, ok
			}
			return b(o)
		}
	}
	params := []struct {
		offers []deflateOffer
		accept func([]deflateOffer) (deflateParams, bool)
		desc   string
	}{
		{[]deflateOffer{defaultOffer}, acceptFirst(false, 0), "the default offer; the server accepts, asking nothing"},
		{[]deflateOffer{withServer(true, 0)}, acceptFirst(true, 0), "server_no_context_takeover; the server accepts with client_no_context_takeover"},
		{[]deflateOffer{withServer(false, 9)}, acceptFirst(false, 9), "server_max_window_bits=9; the server accepts with client_max_window_bits=9"},
		{[]deflateOffer{withServer(false, 15)}, acceptFirst(false, 15), "server_max_window_bits=15; the server accepts with client_max_window_bits=15"},
		{[]deflateOffer{withServer(true, 9)}, acceptFirst(true, 9), "server_no_context_takeover and server_max_window_bits=9; the server accepts with client_no_context_takeover and client_max_window_bits=9"},
		{[]deflateOffer{withServer(true, 15)}, acceptFirst(true, 15), "server_no_context_takeover and server_max_window_bits=15; the server accepts with client_no_context_takeover and client_max_window_bits=15"},
		{[]deflateOffer{withServer(true, 9), withServer(true, 0), defaultOffer},
			both(acceptFirst(true, 9), both(acceptFirst(true, 0), acceptFirst(false, 0))),
			"three offers (server_no_context_takeover with server_max_window_bits=9, server_no_context_takeover, the default); the server accepts with client_no_context_takeover and client_max_window_bits=9, else client_no_context_takeover alone, else asking nothing"},
	}
	for j, pr := range params {
		dc := &deflateCase{offers: pr.offers, accept: pr.accept}
		for i, s := range compressionSizes {
			cs = append(cs, compressionCase(fmt.Sprintf("13.%d.%d", j+1, i+1), "characters", "a JSON document (text)", jsonCorpus, s, dc,
				"The client offers "+pr.desc))
		}
	}
	return cs
}
