package h1

import (
	"strconv"

	"github.com/golws/lws/internal/ascii"
)

// Token names a known header or pseudo-header, lws's WSI_TOKEN_* (the Go
// numbering is our own).
type Token uint8

// The tokens. The request target lands in the token named for the method
// (TokenGetURI for GET, and so on); its query string goes to TokenURIArgs.
const (
	TokenGetURI     Token = iota // target of a GET request
	TokenPostURI                 // target of a POST request
	TokenOptionsURI              // target of an OPTIONS request ("*" or a path)
	TokenPutURI                  // target of a PUT request
	TokenPatchURI                // target of a PATCH request
	TokenDeleteURI               // target of a DELETE request
	TokenHeadURI                 // target of a HEAD request
	TokenConnect                 // target of a CONNECT request (host:port)

	TokenHost         // Host
	TokenConnection   // Connection
	TokenUpgrade      // Upgrade
	TokenOrigin       // Origin, and Sec-WebSocket-Origin as lws maps it
	TokenWSExtensions // Sec-WebSocket-Extensions
	TokenWSProtocol   // Sec-WebSocket-Protocol
	TokenWSAccept     // Sec-WebSocket-Accept
	TokenWSKey        // Sec-WebSocket-Key
	TokenWSVersion    // Sec-WebSocket-Version

	TokenHTTPVersion      // "HTTP/1.1" from the request line, lws's WSI_TOKEN_HTTP
	TokenAccept           // Accept
	TokenAcceptEncoding   // Accept-Encoding
	TokenAcceptLanguage   // Accept-Language
	TokenAuthorization    // Authorization
	TokenCacheControl     // Cache-Control
	TokenContentLength    // Content-Length
	TokenContentType      // Content-Type
	TokenCookie           // Cookie
	TokenDate             // Date
	TokenExpect           // Expect
	TokenIfModifiedSince  // If-Modified-Since
	TokenIfNoneMatch      // If-None-Match
	TokenIfRange          // If-Range
	TokenPragma           // Pragma
	TokenRange            // Range
	TokenReferer          // Referer
	TokenTE               // TE
	TokenTransferEncoding // Transfer-Encoding
	TokenUserAgent        // User-Agent
	TokenXForwardedFor    // X-Forwarded-For
	TokenXRealIP          // X-Real-IP
	TokenHTTP2Settings    // HTTP2-Settings
	TokenURIArgs          // each ?a=b&c=d argument is one fragment, %-decoded, '+' as space

	// TokenCount is the number of tokens; it is no token itself.
	TokenCount
)

// tokenNames are the names lws's lws_token_to_string gives, from its
// lextable strings: lowercase, headers with their colon, methods with the
// trailing space lws matches them with (lws has none after put, patch and
// delete).
var tokenNames = [TokenCount]string{
	TokenGetURI:           "get ",
	TokenPostURI:          "post ",
	TokenOptionsURI:       "options ",
	TokenPutURI:           "put",
	TokenPatchURI:         "patch",
	TokenDeleteURI:        "delete",
	TokenHeadURI:          "head ",
	TokenConnect:          "connect ",
	TokenHost:             "host:",
	TokenConnection:       "connection:",
	TokenUpgrade:          "upgrade:",
	TokenOrigin:           "origin:",
	TokenWSExtensions:     "sec-websocket-extensions:",
	TokenWSProtocol:       "sec-websocket-protocol:",
	TokenWSAccept:         "sec-websocket-accept:",
	TokenWSKey:            "sec-websocket-key:",
	TokenWSVersion:        "sec-websocket-version:",
	TokenHTTPVersion:      "http/1.1 ",
	TokenAccept:           "accept:",
	TokenAcceptEncoding:   "accept-encoding:",
	TokenAcceptLanguage:   "accept-language:",
	TokenAuthorization:    "authorization:",
	TokenCacheControl:     "cache-control:",
	TokenContentLength:    "content-length:",
	TokenContentType:      "content-type:",
	TokenCookie:           "cookie:",
	TokenDate:             "date:",
	TokenExpect:           "expect:",
	TokenIfModifiedSince:  "if-modified-since:",
	TokenIfNoneMatch:      "if-none-match:",
	TokenIfRange:          "if-range:",
	TokenPragma:           "pragma:",
	TokenRange:            "range:",
	TokenReferer:          "referer:",
	TokenTE:               "te:",
	TokenTransferEncoding: "transfer-encoding:",
	TokenUserAgent:        "user-agent:",
	TokenXForwardedFor:    "x-forwarded-for:",
	TokenXRealIP:          "x-real-ip:",
	TokenHTTP2Settings:    "http2-settings:",
	TokenURIArgs:          "uri-args",
}

// String returns the token's name as lws prints it: the header name in
// lowercase with its colon ("host:"), or the method with its space
// ("get ").
func (t Token) String() string {
	if t < TokenCount {
		return tokenNames[t]
	}
	return "Token(" + strconv.Itoa(int(t)) + ")"
}

// headerName is one header name the parser files under a token.
type headerName struct {
	name string // lowercase, no colon
	tok  Token
}

// headerNames are the request header names with a token. The parser
// matches a name against them byte by byte, holding the candidates in a
// 64-bit mask, so there may be at most 64.
var headerNames = [...]headerName{
	{"host", TokenHost},
	{"connection", TokenConnection},
	{"upgrade", TokenUpgrade},
	{"origin", TokenOrigin},
	{"sec-websocket-origin", TokenOrigin},
	{"sec-websocket-extensions", TokenWSExtensions},
	{"sec-websocket-protocol", TokenWSProtocol},
	{"sec-websocket-accept", TokenWSAccept},
	{"sec-websocket-key", TokenWSKey},
	{"sec-websocket-version", TokenWSVersion},
	{"accept", TokenAccept},
	{"accept-encoding", TokenAcceptEncoding},
	{"accept-language", TokenAcceptLanguage},
	{"authorization", TokenAuthorization},
	{"cache-control", TokenCacheControl},
	{"content-length", TokenContentLength},
	{"content-type", TokenContentType},
	{"cookie", TokenCookie},
	{"date", TokenDate},
	{"expect", TokenExpect},
	{"if-modified-since", TokenIfModifiedSince},
	{"if-none-match", TokenIfNoneMatch},
	{"if-range", TokenIfRange},
	{"pragma", TokenPragma},
	{"range", TokenRange},
	{"referer", TokenReferer},
	{"te", TokenTE},
	{"transfer-encoding", TokenTransferEncoding},
	{"user-agent", TokenUserAgent},
	{"x-forwarded-for", TokenXForwardedFor},
	{"x-real-ip", TokenXRealIP},
	{"http2-settings", TokenHTTP2Settings},
}

// allHeaderNames is the candidate mask before any byte of a name is seen.
const allHeaderNames = uint64(1)<<len(headerNames) - 1

// TokenForHeader looks up a header name (without its colon), ignoring
// case, and reports the token it is filed under. Method and pseudo tokens
// are not header names. It does not allocate.
func TokenForHeader(name []byte) (Token, bool) {
	for i := range headerNames {
		if ascii.EqualFoldLower(name, headerNames[i].name) {
			return headerNames[i].tok, true
		}
	}
	return 0, false
}
