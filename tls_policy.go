package lws

import (
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
)

// TLS policy with lws's (OpenSSL's) vocabulary, mapped to what crypto/tls
// offers.

// cipherInfo describes a TLS 1.2 cipher suite Go implements by its
// OpenSSL name and the attributes OpenSSL's cipher-list keywords select
// by.
type cipherInfo struct {
	openssl string
	id      uint16
	attrs   string // space-separated: kx, auth, enc, mac, strength
}

// goCiphers are the TLS 1.0-1.2 suites crypto/tls implements, strongest
// first (Go's own preference order).
var goCiphers = []cipherInfo{
	{"ECDHE-ECDSA-AES128-GCM-SHA256", tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "kECDHE ECDHE EECDH aECDSA ECDSA AES AES128 AESGCM SHA256 HIGH"},
	{"ECDHE-RSA-AES128-GCM-SHA256", tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "kECDHE ECDHE EECDH aRSA RSA AES AES128 AESGCM SHA256 HIGH"},
	{"ECDHE-ECDSA-AES256-GCM-SHA384", tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "kECDHE ECDHE EECDH aECDSA ECDSA AES AES256 AESGCM SHA384 HIGH"},
	{"ECDHE-RSA-AES256-GCM-SHA384", tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "kECDHE ECDHE EECDH aRSA RSA AES AES256 AESGCM SHA384 HIGH"},
	{"ECDHE-ECDSA-CHACHA20-POLY1305", tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "kECDHE ECDHE EECDH aECDSA ECDSA CHACHA20 HIGH"},
	{"ECDHE-RSA-CHACHA20-POLY1305", tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "kECDHE ECDHE EECDH aRSA RSA CHACHA20 HIGH"},
	{"ECDHE-ECDSA-AES128-SHA", tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, "kECDHE ECDHE EECDH aECDSA ECDSA AES AES128 SHA1 SHA HIGH"},
	{"ECDHE-RSA-AES128-SHA", tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, "kECDHE ECDHE EECDH aRSA RSA AES AES128 SHA1 SHA HIGH"},
	{"ECDHE-ECDSA-AES256-SHA", tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, "kECDHE ECDHE EECDH aECDSA ECDSA AES AES256 SHA1 SHA HIGH"},
	{"ECDHE-RSA-AES256-SHA", tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, "kECDHE ECDHE EECDH aRSA RSA AES AES256 SHA1 SHA HIGH"},
	{"AES128-GCM-SHA256", tls.TLS_RSA_WITH_AES_128_GCM_SHA256, "kRSA aRSA RSA AES AES128 AESGCM SHA256 HIGH"},
	{"AES256-GCM-SHA384", tls.TLS_RSA_WITH_AES_256_GCM_SHA384, "kRSA aRSA RSA AES AES256 AESGCM SHA384 HIGH"},
	{"AES128-SHA", tls.TLS_RSA_WITH_AES_128_CBC_SHA, "kRSA aRSA RSA AES AES128 SHA1 SHA HIGH"},
	{"AES256-SHA", tls.TLS_RSA_WITH_AES_256_CBC_SHA, "kRSA aRSA RSA AES AES256 SHA1 SHA HIGH"},
}

// cipherKeywords are OpenSSL keywords that select nothing Go has (every
// suite Go implements is authenticated and not export-grade), so they are
// accepted silently.
var cipherKeywords = map[string]bool{
	"aNULL": true, "eNULL": true, "NULL": true, "EXPORT": true, "LOW": true, "MEDIUM": true,
	"RC4": true, "DES": true, "3DES": true, "MD5": true, "PSK": true, "SRP": true, "DSS": true,
	"ADH": true, "AECDH": true, "kDHE": true, "DHE": true, "EDH": true, "CAMELLIA": true,
	"SEED": true, "IDEA": true, "aDSS": true, "kPSK": true, "SSLv3": true,
}

// ParseCipherList turns an OpenSSL cipher list (lws's ssl_cipher_list,
// such as "ECDHE-ECDSA-AES128-GCM-SHA256:HIGH:!aNULL") into the TLS 1.2
// suites crypto/tls implements, in the order the list gives. Items are
// separated by ':', ',' or spaces; an item is a suite name, a keyword
// (HIGH, ALL, DEFAULT, ECDHE, aRSA, AESGCM, CHACHA20, SHA256 and the
// like) or several joined with '+' (all must hold); '!' removes for good,
// '-' removes, '+' moves to the end. Names and keywords Go has no suite
// for are returned in unknown, for a warning. A list that selects nothing
// is an error. TLS 1.3 suites are not configurable in Go and always on.
func ParseCipherList(list string) (suites []uint16, unknown []string, err error) {
	banned := map[uint16]bool{}
	var order []uint16
	has := func(id uint16) int {
		for i, x := range order {
			if x == id {
				return i
			}
		}
		return -1
	}
	for _, item := range strings.FieldsFunc(list, func(r rune) bool { return r == ':' || r == ',' || r == ' ' }) {
		op := byte(0)
		if strings.ContainsRune("!-+", rune(item[0])) {
			op, item = item[0], item[1:]
		}
		if item == "" {
			continue
		}
		sel, known := selectCiphers(item)
		if !known {
			unknown = append(unknown, item)
			continue
		}
		for _, c := range sel {
			switch i := has(c.id); op {
			case '!':
				banned[c.id] = true
				if i >= 0 {
					order = append(order[:i], order[i+1:]...)
				}
			case '-':
				if i >= 0 {
					order = append(order[:i], order[i+1:]...)
				}
			case '+':
				if i >= 0 {
					order = append(append(order[:i], order[i+1:]...), c.id)
				}
			default:
				if i < 0 && !banned[c.id] {
					order = append(order, c.id)
				}
			}
		}
	}
	if len(order) == 0 {
		return nil, unknown, fmt.Errorf("cipher list %q selects no cipher suite Go implements", list)
	}
	return order, unknown, nil
}

// selectCiphers returns the suites an item names; known is false when
// the item means nothing here.
func selectCiphers(item string) (sel []cipherInfo, known bool) {
	switch item {
	case "ALL", "DEFAULT", "COMPLEMENTOFDEFAULT", "HIGH", "SECURE", "@STRENGTH":
		if item == "@STRENGTH" {
			return nil, true
		}
		return goCiphers, true
	}
	for _, c := range goCiphers {
		if c.openssl == item {
			return []cipherInfo{c}, true
		}
	}
	parts := strings.Split(item, "+")
	anyKnown := false
	for _, c := range goCiphers {
		all := true
		for _, p := range parts {
			if !strings.Contains(" "+c.attrs+" ", " "+p+" ") {
				all = false
				break
			}
		}
		if all {
			sel = append(sel, c)
		}
	}
	for _, p := range parts {
		if cipherKeywords[p] {
			anyKnown = true
		}
		for _, c := range goCiphers {
			if strings.Contains(" "+c.attrs+" ", " "+p+" ") {
				anyKnown = true
			}
		}
	}
	return sel, anyKnown
}

// ParseECDHCurves turns lws's ecdh-curve (OpenSSL group names separated
// by ':', such as "X25519:P-384" or the single "prime256v1") into
// crypto/tls curve preferences.
func ParseECDHCurves(list string) ([]tls.CurveID, error) {
	var ids []tls.CurveID
	for _, name := range strings.FieldsFunc(list, func(r rune) bool { return r == ':' || r == ',' || r == ' ' }) {
		var id tls.CurveID
		switch strings.ToLower(name) {
		case "x25519":
			id = tls.X25519
		case "p-256", "prime256v1", "secp256r1":
			id = tls.CurveP256
		case "p-384", "secp384r1":
			id = tls.CurveP384
		case "p-521", "secp521r1":
			id = tls.CurveP521
		case "x25519mlkem768":
			id = tls.X25519MLKEM768
		default:
			return nil, fmt.Errorf("ecdh curve %q is not one crypto/tls offers (X25519, P-256, P-384, P-521, X25519MLKEM768)", name)
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil, errors.New("empty ecdh curve list")
	}
	return ids, nil
}

// applyTLSPolicy sets the vhost's cipher list and curves on cfg.
func (vh *Vhost) applyTLSPolicy(cfg *tls.Config) error {
	info := &vh.info
	if info.SSLCipherList != "" {
		suites, unknown, err := ParseCipherList(info.SSLCipherList)
		if err != nil {
			return err
		}
		if len(unknown) > 0 {
			logf(LogWarn, "lws: vhost %q: cipher list items with no Go cipher suite, ignored: %s", vh.name, strings.Join(unknown, ", "))
		}
		cfg.CipherSuites = suites
	}
	if info.ECDHCurve != "" {
		ids, err := ParseECDHCurves(info.ECDHCurve)
		if err != nil {
			return err
		}
		cfg.CurvePreferences = ids
	}
	return nil
}
