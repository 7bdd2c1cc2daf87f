package lws

// An HTTP transaction (httpTxn) is carried by a wire: HTTP/1 on its own
// connection today, an HTTP/2 stream later. The code that serves
// transactions (requests dispatched to mounts and protocols, the response
// helpers, files, CGI, status pages, the access log) keeps the state that
// belongs to the transaction in httpTxn and asks everything else of the
// wire through httpWire, so that another wire is one more implementation
// and none of that code changes. HTTP/1's implementation is the
// connection's httpState (role_h1_txn.go).

// txnStage is where a transaction stands, whatever its wire.
type txnStage uint8

const (
	txnIdle     txnStage = iota // no transaction under way: none started yet, or completed
	txnBody                     // the request's body is being delivered
	txnResponse                 // the request is read; its response is under way
)

// active reports whether a request is being served: its body read or its
// response made, and HTTPTransactionCompleted not called.
func (t *httpTxn) active() bool { return t.stage != txnIdle }

// httpWire is what the transaction code asks of the wire that carries
// the transaction, besides writing response heads.
type httpWire interface {
	headWriter
	// sendHead sends a response head made by this wire's headWriter,
	// followed by body if not empty; end says the response ends there.
	// t is the transaction answered, or nil for the connection's own
	// answer before it closes.
	sendHead(c *Conn, t *httpTxn, head, body []byte, end bool) error
	// responding is told that the request is read and its response is
	// under way: HTTP/1 reads no further request until the transaction
	// is completed.
	responding(c *Conn)
	// plainBody reports whether the response body goes to the socket as
	// it is, not framed: a file may then be sent with sendfile(2), and
	// its first piece with the head. A framed body (HTTP/2) goes from
	// WRITEABLE only.
	plainBody() bool
	// transaction is the HTTP transaction the wire carries.
	transaction() *httpTxn
	// countRequest counts a request the wire carries in its vhost's
	// statistics, once the request has its vhost.
	countRequest(c *Conn)
	// requestBody reads how t's request body is framed, refusing a
	// request whose framing is bad, and reports whether a body follows
	// the head.
	requestBody(c *Conn, t *httpTxn) (bool, error)
	// protocol names the request's protocol version as the access log
	// and CGI's SERVER_PROTOCOL give it ("HTTP/1.1").
	protocol() string
	// sendBody sends a piece of t's response body, framed as the wire
	// frames it (HTTP/1.1's chunks when the response is unsized), and
	// ends the body after it when final.
	sendBody(c *Conn, t *httpTxn, p []byte, final bool) (int, error)
	// closeAfter says the connection must not carry another transaction
	// after this one: the response head says "connection: close", or
	// its body will not match its framing.
	closeAfter()
	// continueBody tells a client that awaits it before sending the
	// request body that the body is wanted (HTTP/1.1's 100 Continue).
	continueBody(c *Conn, t *httpTxn) error
	// finishResponse ends t's response on the wire (the last chunk) and
	// reports whether the connection may carry another transaction once
	// t is completed.
	finishResponse(c *Conn, t *httpTxn) (keep bool, err error)
	// endTxn moves the connection on after a completed transaction:
	// to its next request when keep (after ka seconds of keep-alive
	// idleness it closes), or to its close once what was written has
	// gone. bodyUnread says the transaction was completed before its
	// request body was all delivered.
	endTxn(c *Conn, keep, bodyUnread bool, ka int) error
}

// httpWire returns the wire of the connection's transaction, or nil when
// it carries none: the role says (its httpWire operation), so that
// another wire's role (an HTTP/2 stream) serves the same helpers.
func (c *Conn) httpWire() httpWire { return c.role.httpWire() }
