package pmdeflate

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Params are the parameters both ends agreed on in the handshake (RFC 7692
// section 7.1). Window bits are 8..15; 15 where the answer has none.
type Params struct {
	// ServerNoContextTakeover: the server compresses every message on its
	// own, so the client keeps no history of what it receives.
	ServerNoContextTakeover bool
	// ClientNoContextTakeover: the client compresses every message on its
	// own, so the server keeps no history of what it receives.
	ClientNoContextTakeover bool
	// ServerMaxWindowBits bounds the LZ77 window of the server's
	// compression: back references reach at most 2^bits bytes.
	ServerMaxWindowBits int
	// ClientMaxWindowBits bounds the window of the client's compression.
	ClientMaxWindowBits int
}

// param is one extension parameter of an offer or an answer.
type param struct {
	name     string
	value    string
	hasValue bool
}

// parseParams splits the parameters of one permessage-deflate offer or
// answer (the text after "permessage-deflate;") into params. Values may be
// tokens or quoted strings (RFC 6455 section 9.1; RFC 7692 section 7
// requires the unquoted value to be a token as well); a parameter named
// twice is an error (RFC 7692 section 7: decline, or fail).
func parseParams(s string, buf []param) ([]param, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return buf, nil
	}
	for item := range strings.SplitSeq(s, ";") {
		item = strings.TrimSpace(item)
		name, value, hasValue := strings.Cut(item, "=")
		name = strings.TrimSpace(name)
		if !isToken(name) {
			return nil, fmt.Errorf("pmdeflate: malformed extension parameter %q", item)
		}
		if hasValue {
			value = strings.TrimSpace(value)
			if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
				value = strings.ReplaceAll(value[1:len(value)-1], `\`, "")
			}
			if !isToken(value) {
				return nil, fmt.Errorf("pmdeflate: parameter %s has a malformed value %q", name, value)
			}
		}
		for _, p := range buf {
			if p.name == name {
				return nil, fmt.Errorf("pmdeflate: parameter %s appears twice", name)
			}
		}
		buf = append(buf, param{name, value, hasValue})
	}
	return buf, nil
}

// isToken reports whether s is an HTTP token (RFC 7230 section 3.2.6).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}

// windowBits parses a window bits value: a decimal 8..15 without leading
// zeros (RFC 7692 sections 7.1.2.1 and 7.1.2.2).
func windowBits(p param) (int, error) {
	if !p.hasValue {
		return 0, fmt.Errorf("pmdeflate: %s needs a value from 8 to 15", p.name)
	}
	v, err := strconv.Atoi(p.value)
	if err != nil || v < 8 || v > 15 || p.value[0] == '0' || p.value[0] == '+' {
		return 0, fmt.Errorf("pmdeflate: %s=%s is not a window size from 8 to 15", p.name, p.value)
	}
	return v, nil
}

// errNoValue is the error of a flag parameter given a value.
func errNoValue(p param) error {
	return fmt.Errorf("pmdeflate: %s takes no value, got %q", p.name, p.value)
}

// Accept is the server's side of the negotiation of one offer (RFC 7692
// section 7.1): offer is the offer's parameter text, after
// "permessage-deflate;" (empty when it has none). It returns the
// negotiated parameters and the answer's parameter text. An error declines
// this offer (an unknown, repeated or malformed parameter, a window size
// out of 8..15); the server then tries the client's next offer or answers
// without the extension.
func (o Options) Accept(offer string) (Params, string, error) {
	var buf [4]param
	ps, err := parseParams(offer, buf[:0])
	if err != nil {
		return Params{}, "", err
	}
	p := Params{ServerMaxWindowBits: o.serverBits(), ClientMaxWindowBits: 15}
	p.ServerNoContextTakeover = o.ServerNoContextTakeover || o.SharedCompressor
	p.ClientNoContextTakeover = o.ClientNoContextTakeover || o.SharedCompressor
	clientBitsOffered := false
	serverBitsOffered := false
	for _, q := range ps {
		switch q.name {
		case "server_no_context_takeover":
			if q.hasValue {
				return Params{}, "", errNoValue(q)
			}
			p.ServerNoContextTakeover = true
		case "client_no_context_takeover":
			if q.hasValue {
				return Params{}, "", errNoValue(q)
			}
			// A hint: the client will not take over context, so the
			// server needs no history of it; say so in the answer.
			p.ClientNoContextTakeover = true
		case "server_max_window_bits":
			v, err := windowBits(q)
			if err != nil {
				return Params{}, "", err
			}
			serverBitsOffered = true
			p.ServerMaxWindowBits = min(p.ServerMaxWindowBits, v)
		case "client_max_window_bits":
			clientBitsOffered = true
			if q.hasValue {
				v, err := windowBits(q)
				if err != nil {
					return Params{}, "", err
				}
				p.ClientMaxWindowBits = v
			}
		default:
			return Params{}, "", fmt.Errorf("pmdeflate: unknown parameter %q in the offer", q.name)
		}
	}
	if clientBitsOffered {
		p.ClientMaxWindowBits = min(p.ClientMaxWindowBits, o.clientBits())
	}
	var b strings.Builder
	add := func(s string) {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(s)
	}
	if p.ServerNoContextTakeover {
		add("server_no_context_takeover")
	}
	if p.ClientNoContextTakeover {
		add("client_no_context_takeover")
	}
	if serverBitsOffered || p.ServerMaxWindowBits < 15 {
		add("server_max_window_bits=" + strconv.Itoa(p.ServerMaxWindowBits))
	}
	if clientBitsOffered && p.ClientMaxWindowBits < 15 {
		add("client_max_window_bits=" + strconv.Itoa(p.ClientMaxWindowBits))
	}
	return p, b.String(), nil
}

// Offer is the client's offer: the parameters to send after
// "permessage-deflate;" in Sec-WebSocket-Extensions.
func (o Options) Offer() string {
	var parts []string
	if o.ServerNoContextTakeover || o.SharedCompressor {
		parts = append(parts, "server_no_context_takeover")
	}
	if o.ClientNoContextTakeover || o.SharedCompressor {
		parts = append(parts, "client_no_context_takeover")
	}
	if o.serverBits() < 15 {
		parts = append(parts, "server_max_window_bits="+strconv.Itoa(o.serverBits()))
	}
	if o.clientBits() < 15 {
		parts = append(parts, "client_max_window_bits="+strconv.Itoa(o.clientBits()))
	} else {
		parts = append(parts, "client_max_window_bits")
	}
	return strings.Join(parts, "; ")
}

// errAnswer prefixes the errors of Confirm.
var errAnswer = errors.New("pmdeflate: the server's answer")

// Confirm is the client's check of the server's answer (its parameter
// text after "permessage-deflate;") against Offer (RFC 7692 section 7.1).
// It returns the negotiated parameters; an error means the server broke
// the negotiation and the connection must fail.
func (o Options) Confirm(answer string) (Params, error) {
	var buf [4]param
	ps, err := parseParams(answer, buf[:0])
	if err != nil {
		return Params{}, fmt.Errorf("%w is malformed: %w", errAnswer, err)
	}
	p := Params{ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}
	serverBits := false
	for _, q := range ps {
		switch q.name {
		case "server_no_context_takeover", "client_no_context_takeover":
			if q.hasValue {
				return Params{}, fmt.Errorf("%w: %w", errAnswer, errNoValue(q))
			}
			if q.name == "server_no_context_takeover" {
				p.ServerNoContextTakeover = true
			} else {
				p.ClientNoContextTakeover = true
			}
		case "server_max_window_bits":
			v, err := windowBits(q)
			if err != nil {
				return Params{}, fmt.Errorf("%w: %w", errAnswer, err)
			}
			if v > o.serverBits() {
				return Params{}, fmt.Errorf("%w has server_max_window_bits=%d, more than the %d offered", errAnswer, v, o.serverBits())
			}
			serverBits = true
			p.ServerMaxWindowBits = v
		case "client_max_window_bits":
			// Offer always offers client_max_window_bits, so the
			// server may limit it; the answer needs a value.
			v, err := windowBits(q)
			if err != nil {
				return Params{}, fmt.Errorf("%w: %w", errAnswer, err)
			}
			if v > o.clientBits() {
				return Params{}, fmt.Errorf("%w has client_max_window_bits=%d, more than the %d offered", errAnswer, v, o.clientBits())
			}
			p.ClientMaxWindowBits = v
		default:
			return Params{}, fmt.Errorf("%w has an unknown parameter %q", errAnswer, q.name)
		}
	}
	if (o.ServerNoContextTakeover || o.SharedCompressor) && !p.ServerNoContextTakeover {
		return Params{}, fmt.Errorf("%w lacks the server_no_context_takeover offered", errAnswer)
	}
	if o.serverBits() < 15 && !serverBits {
		return Params{}, fmt.Errorf("%w lacks the server_max_window_bits offered", errAnswer)
	}
	return p, nil
}
