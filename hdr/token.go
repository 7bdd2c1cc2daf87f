package hdr

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
	TokenGetURI     Token = iota // target of a GET request (WSI_TOKEN_GET_URI)
	TokenPostURI                 // target of a POST request (WSI_TOKEN_POST_URI)
	TokenOptionsURI              // target of an OPTIONS request ("*" or a path) (WSI_TOKEN_OPTIONS_URI)
	TokenPutURI                  // target of a PUT request (WSI_TOKEN_PUT_URI)
	TokenPatchURI                // target of a PATCH request (WSI_TOKEN_PATCH_URI)
	TokenDeleteURI               // target of a DELETE request (WSI_TOKEN_DELETE_URI)
	TokenHeadURI                 // target of a HEAD request (WSI_TOKEN_HEAD_URI)
	TokenConnect                 // target of a CONNECT request (host:port) (WSI_TOKEN_CONNECT)

	TokenHost         // Host (WSI_TOKEN_HOST)
	TokenConnection   // Connection (WSI_TOKEN_CONNECTION)
	TokenUpgrade      // Upgrade (WSI_TOKEN_UPGRADE)
	TokenOrigin       // Origin, and Sec-WebSocket-Origin as lws maps it (WSI_TOKEN_ORIGIN)
	TokenWSExtensions // Sec-WebSocket-Extensions (WSI_TOKEN_EXTENSIONS)
	TokenWSProtocol   // Sec-WebSocket-Protocol (WSI_TOKEN_PROTOCOL)
	TokenWSAccept     // Sec-WebSocket-Accept (WSI_TOKEN_ACCEPT)
	TokenWSKey        // Sec-WebSocket-Key (WSI_TOKEN_KEY)
	TokenWSVersion    // Sec-WebSocket-Version (WSI_TOKEN_VERSION)

	TokenHTTPVersion      // "HTTP/1.1" from the request line, lws's WSI_TOKEN_HTTP
	TokenAccept           // Accept (WSI_TOKEN_HTTP_ACCEPT)
	TokenAcceptEncoding   // Accept-Encoding (WSI_TOKEN_HTTP_ACCEPT_ENCODING)
	TokenAcceptLanguage   // Accept-Language (WSI_TOKEN_HTTP_ACCEPT_LANGUAGE)
	TokenAuthorization    // Authorization (WSI_TOKEN_HTTP_AUTHORIZATION)
	TokenCacheControl     // Cache-Control (WSI_TOKEN_HTTP_CACHE_CONTROL)
	TokenContentLength    // Content-Length (WSI_TOKEN_HTTP_CONTENT_LENGTH)
	TokenContentType      // Content-Type (WSI_TOKEN_HTTP_CONTENT_TYPE)
	TokenCookie           // Cookie (WSI_TOKEN_HTTP_COOKIE)
	TokenDate             // Date (WSI_TOKEN_HTTP_DATE)
	TokenExpect           // Expect (WSI_TOKEN_HTTP_EXPECT)
	TokenIfModifiedSince  // If-Modified-Since (WSI_TOKEN_HTTP_IF_MODIFIED_SINCE)
	TokenIfNoneMatch      // If-None-Match (WSI_TOKEN_HTTP_IF_NONE_MATCH)
	TokenIfRange          // If-Range (WSI_TOKEN_HTTP_IF_RANGE)
	TokenPragma           // Pragma (WSI_TOKEN_HTTP_PRAGMA)
	TokenRange            // Range (WSI_TOKEN_HTTP_RANGE)
	TokenReferer          // Referer (WSI_TOKEN_HTTP_REFERER)
	TokenTE               // TE (WSI_TOKEN_TE)
	TokenTransferEncoding // Transfer-Encoding (WSI_TOKEN_HTTP_TRANSFER_ENCODING)
	TokenUserAgent        // User-Agent (WSI_TOKEN_HTTP_USER_AGENT)
	TokenXForwardedFor    // X-Forwarded-For (WSI_TOKEN_X_FORWARDED_FOR)
	TokenXRealIP          // X-Real-IP (WSI_TOKEN_HTTP_X_REAL_IP)
	TokenHTTP2Settings    // HTTP2-Settings (WSI_TOKEN_HTTP2_SETTINGS)
	TokenURIArgs          // each ?a=b&c=d argument is one fragment, %-decoded, '+' as space (WSI_TOKEN_HTTP_URI_ARGS)

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

// headerNames are the request header names with a token. The HTTP/1
// parser matches a name against them byte by byte, holding the candidates
// in a 64-bit mask, so there may be at most 64.
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

// NumHeaderNames is how many request header names have a token; a wire
// parser matching names incrementally may hold them in a 64-bit mask.
const NumHeaderNames = len(headerNames)

// HeaderName returns the i-th request header name that has a token, in
// lowercase, and its token (0 <= i < NumHeaderNames). Two names may share
// a token ("origin" and "sec-websocket-origin").
func HeaderName(i int) (string, Token) {
	return headerNames[i].name, headerNames[i].tok
}

// methods are the request methods with a token, spelled as they must
// appear (methods are case-sensitive).
var methods = [...]struct {
	name string
	tok  Token
}{
	{"GET", TokenGetURI},
	{"POST", TokenPostURI},
	{"OPTIONS", TokenOptionsURI},
	{"PUT", TokenPutURI},
	{"PATCH", TokenPatchURI},
	{"DELETE", TokenDeleteURI},
	{"HEAD", TokenHeadURI},
	{"CONNECT", TokenConnect},
}

// MaxMethodLen is the length of the longest method with a token.
const MaxMethodLen = len("OPTIONS")

// MethodToken returns the token under which a request with method name
// keeps its target (TokenGetURI for "GET"), and false for a method with
// none. Methods are case-sensitive.
func MethodToken(name []byte) (Token, bool) {
	for _, m := range methods {
		if m.name == string(name) {
			return m.tok, true
		}
	}
	return TokenCount, false
}

// MethodPrefix reports whether b begins the name of a method with a
// token, so that a parser can refuse an unknown method at its first wrong
// byte.
func MethodPrefix(b []byte) bool {
	for _, m := range methods {
		if len(m.name) >= len(b) && m.name[:len(b)] == string(b) {
			return true
		}
	}
	return false
}

// isMethod reports whether tok holds a request target.
func isMethod(tok Token) bool { return tok <= TokenConnect }
