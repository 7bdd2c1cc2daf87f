package h2

import (
	"bytes"
	"encoding/base64"
	"errors"

	"golang.org/x/net/http2"
)

// ErrSettingsHeader is what DecodeSettingsHeader returns, wrapped with
// the reason, for an HTTP2-Settings header field the server cannot use.
var ErrSettingsHeader = errors.New("h2: invalid HTTP2-Settings header")

// maxSettingsHeader bounds the decoded HTTP2-Settings payload: more
// settings than this are a flood, not a client's.
const maxSettingsHeader = 64 * 6

// DecodeSettingsHeader decodes the HTTP2-Settings header field of an
// HTTP/1.1 request upgrading to h2c (RFC 7540 section 3.2.1, kept by RFC
// 9113 section 3.1's reference to it): the base64url encoding (RFC 4648
// section 5, trailing '=' omitted or not) of a SETTINGS frame's payload.
// It returns the settings, or an error wrapping ErrSettingsHeader when
// the value is not base64url, its payload is not a whole number of
// settings, a setting's value is invalid (RFC 9113 section 6.5.2), or
// there are more than 64 settings. An empty value is no settings.
//
// The server does not upgrade on an error, nor when the request has no
// HTTP2-Settings field or more than one (RFC 7540 section 3.2.1): it
// serves the request as HTTP/1.1 (or answers 400).
func DecodeSettingsHeader(v []byte) ([]http2.Setting, error) {
	if pad := len(v) - len(bytes.TrimRight(v, "=")); pad > 0 {
		if pad > 2 || len(v)%4 != 0 {
			return nil, settingsHeaderError("bad base64url padding")
		}
		v = v[:len(v)-pad]
	}
	if base64.RawURLEncoding.DecodedLen(len(v)) > maxSettingsHeader {
		return nil, settingsHeaderError("more than 64 settings")
	}
	var buf [maxSettingsHeader]byte
	n, err := base64.RawURLEncoding.Decode(buf[:], v)
	if err != nil {
		return nil, settingsHeaderError("not base64url")
	}
	b := buf[:n]
	if len(b)%6 != 0 {
		return nil, settingsHeaderError("payload not a multiple of 6 bytes")
	}
	set := make([]http2.Setting, 0, len(b)/6)
	for ; len(b) > 0; b = b[6:] {
		s := http2.Setting{
			ID:  http2.SettingID(uint16(b[0])<<8 | uint16(b[1])),
			Val: uint32(b[2])<<24 | uint32(b[3])<<16 | uint32(b[4])<<8 | uint32(b[5]),
		}
		if e := validSetting(s); e != nil {
			return nil, settingsHeaderError(e.Reason)
		}
		set = append(set, s)
	}
	return set, nil
}

type settingsHeaderError string

// Error returns ErrSettingsHeader's message with what was wrong.
func (e settingsHeaderError) Error() string { return ErrSettingsHeader.Error() + ": " + string(e) }

// Unwrap returns ErrSettingsHeader, for errors.Is.
func (e settingsHeaderError) Unwrap() error { return ErrSettingsHeader }

// NewUpgradedConn makes the server side of a connection upgraded from
// HTTP/1.1 (h2c, RFC 7540 section 3.2), once the server has written its
// 101 (Switching Protocols) response. As NewConn it queues the server
// preface, which the loop writes right after the 101. The settings are
// those of the request's HTTP2-Settings field (DecodeSettingsHeader):
// they are applied as if received in a SETTINGS frame, and acknowledged
// by the 101 itself, so no ACK is queued for them; Peer reflects them
// at once (no EventSettings is reported for them), and the user's HPACK
// encoder follows Peer().HeaderTableSize from the start.
//
// The upgraded request is stream 1, half-closed (remote): the request was
// complete as HTTP/1.1 (its body, if any, read before the 101). The
// server answers it on stream 1 with WriteHeaders and WriteData; the
// peer's streams start at 3. The client's own preface (Preface and its
// SETTINGS) still follows on the connection and is fed to Feed as on any
// connection.
//
// The error is that of an invalid setting (a *ConnError), for settings
// that did not come from DecodeSettingsHeader; the connection is then
// unusable.
func NewUpgradedConn(cfg Config, settings []http2.Setting) (*Conn, error) {
	c := NewConn(cfg)
	for _, s := range settings {
		if err := c.applySetting(s); err != nil {
			return nil, err
		}
	}
	c.lastStream = 1
	s := c.newStream(1)
	s.state = StateHalfClosedRemote
	return c, nil
}
