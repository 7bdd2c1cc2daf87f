// Package spa is golws's form parser: the "stateful POST arguments" of
// libwebsockets (lws_spa_*), which an HTTP protocol such as post-demo
// feeds from its CallbackHTTPBody (HTTP_BODY) callbacks and finalizes on
// CallbackHTTPBodyCompletion (HTTP_BODY_COMPLETION) before reading the
// named parameters of the form.
//
// The package is pure: it does no I/O, starts no goroutines and keeps no
// global state, so it runs on the service loop's goroutine like any other
// callback code. Both encodings browsers use for forms are understood:
// application/x-www-form-urlencoded and multipart/form-data (RFC 7578 on
// top of RFC 2046). The body may arrive split at any byte; every split
// gives the same result. Memory per Parser is bounded whatever the input:
// a fixed buffer for multipart part headers (MaxHeaderBytes) and boundary
// matching, the current field name (Config.MaxNameLen), and at most
// Config.MaxStorage bytes of kept values. Uploaded files are never
// buffered: their content is streamed to Config.File as it is fed. Both
// parsers are fuzzed (FuzzURLEncoded, FuzzMultipart).
//
// # Mapping from lws
//
//	lws_spa_create, lws_spa_create_via_info  New
//	lws_spa_create_info_t                      Config
//	  .param_names, .count_params              Config.Params
//	  .max_storage (default 512)               Config.MaxStorage
//	  .opt_cb, .opt_data                       Config.File (a closure)
//	lws_spa_process                            Parser.Write
//	lws_spa_finalize                           Parser.Finalize
//	lws_spa_get_string                         Parser.Index (by position), Parser.Get (by name)
//	lws_spa_get_length                         Parser.Len (by name)
//	lws_spa_destroy                            none: drop the Parser (call Finalize first
//	                                           if a file may still be open)
//	LWS_UFS_OPEN                               FileOpen
//	LWS_UFS_CONTENT                            FileContent
//	LWS_UFS_FINAL_CONTENT                      FileFinalContent
//	LWS_UFS_CLOSE                              FileClose
//
// # Differences from lws
//
// Where lws answers a failure with -1, this package returns an error that
// says what a server should answer (StatusOf): ErrTooLarge (413),
// ErrMalformed (400), ErrTruncated (400), ErrUnsupportedType (415).
//
// lws reads the request's Content-Type header itself and parses a body
// without one as urlencoded; New takes the header's value, and anything
// other than the two form types is ErrUnsupportedType.
//
// A name given more than once keeps its first value, as lws does
// (lws_spa_get_string returns the first); the later values are parsed and
// still count against MaxStorage, as they take room in lws's storage, but
// are not kept. Len is the length of the value Get returns (lws's
// lws_spa_get_length adds up every occurrence).
//
// urlencoded names are %-decoded and '+' is a space in them, as in
// values (lws compares names undecoded). A name of more than MaxNameLen
// bytes is ErrTooLarge (lws fails on names of 32 bytes or more in
// urlencoded bodies and truncates them in multipart ones).
//
// lws delivers LWS_UFS_CLOSE once, when the spa is finalized. Here every
// FileOpen is matched by exactly one FileClose: right after the file's
// FileFinalContent, or, for a file cut short by an error or a truncated
// body, when Write or Finalize fails. A FileClose without a
// FileFinalContent before it means the file is incomplete.
//
// lws's multipart parser is lenient about what follows a boundary and how
// header lines end; this one follows RFC 2046 and RFC 7578: the CRLF before
// a boundary belongs to the boundary, a boundary line may end only in
// optional spaces or tabs and CRLF (or "--" for the last one), header
// lines end in CRLF, and the preamble and epilogue are ignored.
package spa
