package lws

import "strconv"

// Reason says why a protocol callback is being called: lws's
// LWS_CALLBACK_* values, with the same numbers so that logs and ported
// code line up. Each constant's comment says when it is delivered and what
// the callback's in argument holds.
type Reason int

// The callback reasons. Names follow lws (LWS_CALLBACK_RAW_RX becomes
// CallbackRawRX). Reasons golws never delivers, because it lacks the
// feature or does the work itself, are defined so that ported code
// compiles; each one's comment says so and why.
const (
	// CallbackEstablished: a WebSocket server connection finished its handshake.
	CallbackEstablished Reason = 0
	// CallbackClientConnectionError: a client connection failed before it was
	// established; in holds the reason text. The connection is then closed
	// without any close reason of its role.
	CallbackClientConnectionError Reason = 1
	// CallbackClientFilterPreEstablish: last chance for a WebSocket client to
	// inspect the server's handshake headers and reject them.
	CallbackClientFilterPreEstablish Reason = 2
	// CallbackClientEstablished: a WebSocket client connection finished its handshake.
	CallbackClientEstablished Reason = 3
	// CallbackClosed: a WebSocket server connection ended.
	CallbackClosed Reason = 4
	// CallbackClosedHTTP: an HTTP (non-upgraded) server connection ended.
	CallbackClosedHTTP Reason = 5
	// CallbackReceive: WebSocket payload from a client; in is a piece of a
	// message, valid only during the callback.
	CallbackReceive Reason = 6
	// CallbackReceivePong: a WebSocket server connection received a PONG.
	CallbackReceivePong Reason = 7
	// CallbackClientReceive: WebSocket payload from a server.
	CallbackClientReceive Reason = 8
	// CallbackClientReceivePong: a WebSocket client connection received a PONG.
	CallbackClientReceivePong Reason = 9
	// CallbackClientWriteable: a WebSocket client connection may write once.
	CallbackClientWriteable Reason = 10
	// CallbackServerWriteable: a WebSocket server connection may write once.
	CallbackServerWriteable Reason = 11
	// CallbackHTTP: a non-upgrade HTTP request; in is the URI path.
	CallbackHTTP Reason = 12
	// CallbackHTTPBody: the next piece of a request body.
	CallbackHTTPBody Reason = 13
	// CallbackHTTPBodyCompletion: the whole request body was delivered.
	CallbackHTTPBodyCompletion Reason = 14
	// CallbackHTTPFileCompletion: a file served by the library finished.
	CallbackHTTPFileCompletion Reason = 15
	// CallbackHTTPWriteable: an HTTP connection may write once.
	CallbackHTTPWriteable Reason = 16
	// CallbackFilterNetworkConnection: a connection was just accepted, before
	// anything else happens on it; delivered to the vhost's first protocol,
	// with the peer address available from Conn.PeerAddr. Returning an error
	// drops the connection silently.
	CallbackFilterNetworkConnection Reason = 17
	// CallbackFilterHTTPConnection: request headers parsed, before the
	// response; in is the URI. Returning an error rejects the request.
	CallbackFilterHTTPConnection Reason = 18
	// CallbackServerNewClientInstantiated: a new accepted connection exists,
	// before any role-specific reason; delivered to the vhost's first
	// protocol. Its return value is ignored.
	CallbackServerNewClientInstantiated Reason = 19
	// CallbackFilterProtocolConnection: a WebSocket upgrade was parsed, before
	// the reply; in is the requested protocol (with the per-vhost option
	// "any", the client's name, which the connection's protocol took).
	// Returning an error rejects it.
	CallbackFilterProtocolConnection Reason = 20
	// CallbackOpenSSLLoadExtraClientVerifyCerts: add CA certificates a client
	// uses to verify servers.
	CallbackOpenSSLLoadExtraClientVerifyCerts Reason = 21
	// CallbackOpenSSLLoadExtraServerVerifyCerts: add certificates a server uses
	// to verify clients.
	CallbackOpenSSLLoadExtraServerVerifyCerts Reason = 22
	// CallbackOpenSSLPerformClientCertVerification: a TLS client presented
	// a certificate that crypto/tls verified against the vhost's CA;
	// Conn.PeerCertificates has it, and returning an error refuses the
	// client (the connection closes before anything of it is served).
	// Delivered to the vhost's first protocol.
	CallbackOpenSSLPerformClientCertVerification Reason = 23
	// CallbackClientAppendHandshakeHeader: add headers to a client request.
	CallbackClientAppendHandshakeHeader Reason = 24
	// CallbackConfirmExtensionOkay: a server may veto an extension the client
	// asked for; in is the extension name.
	CallbackConfirmExtensionOkay Reason = 25
	// CallbackClientConfirmExtensionSupported: a client may decline to offer
	// an extension; in is its name.
	CallbackClientConfirmExtensionSupported Reason = 26
	// CallbackProtocolInit: once per protocol per vhost when the vhost is
	// created; the Conn is the vhost-protocol instance (no socket), whose
	// ProtocolOption reads the per-vhost options.
	CallbackProtocolInit Reason = 27
	// CallbackProtocolDestroy: once per protocol per vhost when the vhost is
	// destroyed; release what PROTOCOL_INIT made.
	CallbackProtocolDestroy Reason = 28
	// CallbackWSICreate: the earliest notice of a new connection, to the
	// vhost's first protocol.
	CallbackWSICreate Reason = 29
	// CallbackWSIDestroy: the last notice of a connection, to the vhost's
	// first protocol, after every close reason.
	CallbackWSIDestroy Reason = 30
	// CallbackWSPeerInitiatedClose: the WebSocket peer sent a Close; in holds
	// its code and reason.
	CallbackWSPeerInitiatedClose Reason = 38
	// CallbackWSExtDefaults: a client's server accepted an extension; in
	// is its name. Before ESTABLISHED, the protocol may set the
	// connection's options of that extension with Conn.SetExtensionOption
	// (lws writes an option string); an error fails the connection.
	CallbackWSExtDefaults Reason = 39
	// CallbackCGI: golws does not deliver this reason: a CGI mount's output goes
	// straight to its client through the library. lws delivers it for the
	// CGI's standard output and standard error events.
	CallbackCGI Reason = 40
	// CallbackCGITerminated: the CGI process ended.
	CallbackCGITerminated Reason = 41
	// CallbackCGIStdinData: golws does not deliver this reason: the library itself
	// writes the request body to the CGI's standard input. lws delivers it
	// with data to write there.
	CallbackCGIStdinData Reason = 42
	// CallbackCGIStdinCompleted: golws does not deliver this reason: the library closes
	// the CGI's standard input itself at the end of the request body. lws
	// delivers it when no more standard input will come.
	CallbackCGIStdinCompleted Reason = 43
	// CallbackEstablishedClientHTTP: an HTTP client connection has its
	// response headers.
	CallbackEstablishedClientHTTP Reason = 44
	// CallbackClosedClientHTTP: an HTTP client connection is closing.
	CallbackClosedClientHTTP Reason = 45
	// CallbackReceiveClientHTTP: golws does not deliver this reason: the HTTP client reads
	// the response itself and delivers its payload as
	// CallbackReceiveClientHTTPRead. lws delivers it when response payload is
	// available, for user code to read it with lws_http_client_read.
	CallbackReceiveClientHTTP Reason = 46
	// CallbackCompletedClientHTTP: an HTTP client transaction completed.
	CallbackCompletedClientHTTP Reason = 47
	// CallbackReceiveClientHTTPRead: a de-chunked piece of response payload.
	CallbackReceiveClientHTTPRead Reason = 48
	// CallbackHTTPBindProtocol: an HTTP transaction was bound to a protocol.
	CallbackHTTPBindProtocol Reason = 49
	// CallbackHTTPDropProtocol: an HTTP transaction was unbound from a protocol.
	CallbackHTTPDropProtocol Reason = 50
	// CallbackCheckAccessRights: access check for a callback mount.
	CallbackCheckAccessRights Reason = 51
	// CallbackProcessHTML: golws does not deliver this reason: it has no "interpret"
	// mounts. lws delivers it to rewrite an outgoing HTML chunk of a file
	// served through such a mount.
	CallbackProcessHTML Reason = 52
	// CallbackAddHeaders: add headers to a server response.
	CallbackAddHeaders Reason = 53
	// CallbackHTTPPMO: per-mount options, before CallbackHTTP.
	CallbackHTTPPMO Reason = 56
	// CallbackClientHTTPWriteable: an HTTP client may send request body.
	CallbackClientHTTPWriteable Reason = 57
	// CallbackOpenSSLPerformServerCertVerification: golws does not deliver this reason: a
	// client's verification of the server certificate is crypto/tls's alone.
	// lws delivers it while a client verifies the server's certificate, so
	// that user code may override the result.
	CallbackOpenSSLPerformServerCertVerification Reason = 58
	// CallbackRawRX: data arrived on a RAW socket; in is valid only during the
	// callback.
	CallbackRawRX Reason = 59
	// CallbackRawClose: a RAW socket connection is closing.
	CallbackRawClose Reason = 60
	// CallbackRawWriteable: a RAW socket may write once.
	CallbackRawWriteable Reason = 61
	// CallbackRawAdopt: a RAW socket was accepted on a raw vhost or adopted.
	CallbackRawAdopt Reason = 62
	// CallbackRawAdoptFile: a file descriptor (pipe, FIFO, tty, device) was adopted.
	CallbackRawAdoptFile Reason = 63
	// CallbackRawRXFile: an adopted file descriptor is readable. The library
	// does not read it: in is empty and user code reads the descriptor from
	// Conn.FD itself.
	CallbackRawRXFile Reason = 64
	// CallbackRawWriteableFile: an adopted file descriptor may be written.
	CallbackRawWriteableFile Reason = 65
	// CallbackRawCloseFile: an adopted file descriptor is closing.
	CallbackRawCloseFile Reason = 66
	// CallbackSSLInfo: a TLS event selected by the vhost's event mask.
	CallbackSSLInfo Reason = 67
	// CallbackChildClosing: sent to a parent connection when one of its
	// children is closing; the Conn is the parent, ChildClosing tells which.
	CallbackChildClosing Reason = 69
	// CallbackCGIProcessAttach: a CGI process was spawned.
	CallbackCGIProcessAttach Reason = 70
	// CallbackEventWaitCancelled: delivered on the loop to every protocol of
	// every vhost after CancelService; the Conn is the vhost-protocol instance.
	CallbackEventWaitCancelled Reason = 71
	// CallbackVhostCertAging: golws does not deliver this reason: it has no certificate
	// renewal (ACME) support. lws delivers it when a vhost certificate's
	// expiry was checked.
	CallbackVhostCertAging Reason = 72
	// CallbackTimer: the connection's one-shot timer set by Conn.SetTimer expired.
	CallbackTimer Reason = 73
	// CallbackVhostCertUpdate: golws does not deliver this reason: it has no certificate
	// renewal (ACME) support. lws delivers it to report certificate renewal
	// progress.
	CallbackVhostCertUpdate Reason = 74
	// CallbackClientClosed: a WebSocket client connection ended.
	CallbackClientClosed Reason = 75
	// CallbackClientHTTPDropProtocol: golws does not deliver this reason: an HTTP client
	// keeps the protocol it was created with. lws delivers it when an HTTP
	// client is unbound from its protocol.
	CallbackClientHTTPDropProtocol Reason = 76
	// CallbackWSServerBindProtocol: a WebSocket server connection was bound to
	// a protocol.
	CallbackWSServerBindProtocol Reason = 77
	// CallbackWSServerDropProtocol: a WebSocket server connection was unbound.
	CallbackWSServerDropProtocol Reason = 78
	// CallbackWSClientBindProtocol: a WebSocket client connection was bound.
	CallbackWSClientBindProtocol Reason = 79
	// CallbackWSClientDropProtocol: a WebSocket client connection was unbound.
	CallbackWSClientDropProtocol Reason = 80
	// CallbackRawSktBindProtocol: golws does not deliver this reason: a RAW socket gets
	// CallbackRawAdopt (or CallbackRawConnected) and no bind notice. lws
	// delivers it when a RAW socket is bound to a protocol.
	CallbackRawSktBindProtocol Reason = 81
	// CallbackRawSktDropProtocol: golws does not deliver this reason: a RAW socket gets
	// CallbackRawClose and no unbind notice. lws delivers it when a RAW
	// socket is unbound from its protocol.
	CallbackRawSktDropProtocol Reason = 82
	// CallbackRawFileBindProtocol: golws does not deliver this reason: an adopted file
	// gets CallbackRawAdoptFile and no bind notice. lws delivers it when an
	// adopted file is bound to a protocol.
	CallbackRawFileBindProtocol Reason = 83
	// CallbackRawFileDropProtocol: golws does not deliver this reason: an adopted file
	// gets CallbackRawCloseFile and no unbind notice. lws delivers it when an
	// adopted file is unbound from its protocol.
	CallbackRawFileDropProtocol Reason = 84
	// CallbackClientHTTPBindProtocol: golws does not deliver this reason: an HTTP client
	// is bound to its protocol when it is created, without a notice. lws
	// delivers it when an HTTP client is bound to a protocol.
	CallbackClientHTTPBindProtocol Reason = 85
	// CallbackHTTPConfirmUpgrade: a chance to reject an upgrade; in is the
	// target protocol.
	CallbackHTTPConfirmUpgrade Reason = 86
	// CallbackRawConnected: an outgoing RAW client connection (method "RAW")
	// connected.
	CallbackRawConnected Reason = 101
	// CallbackVerifyBasicAuthorization: golws does not deliver this reason: it has no
	// basic-auth support yet. lws delivers it, with "user:password", for a
	// mount whose auth mode asks the protocol to check the credentials.
	CallbackVerifyBasicAuthorization Reason = 102
	// CallbackWSITxCreditGet: golws does not deliver this reason: it has no connection
	// whose transmit credit is managed by user code. lws delivers it when
	// such a connection (an HTTP/2 stream) received transmit credit.
	CallbackWSITxCreditGet Reason = 103
	// CallbackClientHTTPRedirect: golws does not deliver this reason: the HTTP client does
	// not follow redirects; a 3xx is delivered like any other response. lws
	// delivers it when an HTTP client is about to follow a 3xx.
	CallbackClientHTTPRedirect Reason = 104
	// CallbackConnecting: just before connect(2) of a client connection.
	CallbackConnecting Reason = 105
	// CallbackUser is the first value free for user code.
	CallbackUser Reason = 1000
)

var reasonNames = map[Reason]string{
	CallbackEstablished:                          "ESTABLISHED",
	CallbackClientConnectionError:                "CLIENT_CONNECTION_ERROR",
	CallbackClientFilterPreEstablish:             "CLIENT_FILTER_PRE_ESTABLISH",
	CallbackClientEstablished:                    "CLIENT_ESTABLISHED",
	CallbackClosed:                               "CLOSED",
	CallbackClosedHTTP:                           "CLOSED_HTTP",
	CallbackReceive:                              "RECEIVE",
	CallbackReceivePong:                          "RECEIVE_PONG",
	CallbackClientReceive:                        "CLIENT_RECEIVE",
	CallbackClientReceivePong:                    "CLIENT_RECEIVE_PONG",
	CallbackClientWriteable:                      "CLIENT_WRITEABLE",
	CallbackServerWriteable:                      "SERVER_WRITEABLE",
	CallbackHTTP:                                 "HTTP",
	CallbackHTTPBody:                             "HTTP_BODY",
	CallbackHTTPBodyCompletion:                   "HTTP_BODY_COMPLETION",
	CallbackHTTPFileCompletion:                   "HTTP_FILE_COMPLETION",
	CallbackHTTPWriteable:                        "HTTP_WRITEABLE",
	CallbackFilterNetworkConnection:              "FILTER_NETWORK_CONNECTION",
	CallbackFilterHTTPConnection:                 "FILTER_HTTP_CONNECTION",
	CallbackServerNewClientInstantiated:          "SERVER_NEW_CLIENT_INSTANTIATED",
	CallbackFilterProtocolConnection:             "FILTER_PROTOCOL_CONNECTION",
	CallbackOpenSSLLoadExtraClientVerifyCerts:    "OPENSSL_LOAD_EXTRA_CLIENT_VERIFY_CERTS",
	CallbackOpenSSLLoadExtraServerVerifyCerts:    "OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS",
	CallbackOpenSSLPerformClientCertVerification: "OPENSSL_PERFORM_CLIENT_CERT_VERIFICATION",
	CallbackClientAppendHandshakeHeader:          "CLIENT_APPEND_HANDSHAKE_HEADER",
	CallbackConfirmExtensionOkay:                 "CONFIRM_EXTENSION_OKAY",
	CallbackClientConfirmExtensionSupported:      "CLIENT_CONFIRM_EXTENSION_SUPPORTED",
	CallbackProtocolInit:                         "PROTOCOL_INIT",
	CallbackProtocolDestroy:                      "PROTOCOL_DESTROY",
	CallbackWSICreate:                            "WSI_CREATE",
	CallbackWSIDestroy:                           "WSI_DESTROY",
	CallbackWSPeerInitiatedClose:                 "WS_PEER_INITIATED_CLOSE",
	CallbackWSExtDefaults:                        "WS_EXT_DEFAULTS",
	CallbackCGI:                                  "CGI",
	CallbackCGITerminated:                        "CGI_TERMINATED",
	CallbackCGIStdinData:                         "CGI_STDIN_DATA",
	CallbackCGIStdinCompleted:                    "CGI_STDIN_COMPLETED",
	CallbackEstablishedClientHTTP:                "ESTABLISHED_CLIENT_HTTP",
	CallbackClosedClientHTTP:                     "CLOSED_CLIENT_HTTP",
	CallbackReceiveClientHTTP:                    "RECEIVE_CLIENT_HTTP",
	CallbackCompletedClientHTTP:                  "COMPLETED_CLIENT_HTTP",
	CallbackReceiveClientHTTPRead:                "RECEIVE_CLIENT_HTTP_READ",
	CallbackHTTPBindProtocol:                     "HTTP_BIND_PROTOCOL",
	CallbackHTTPDropProtocol:                     "HTTP_DROP_PROTOCOL",
	CallbackCheckAccessRights:                    "CHECK_ACCESS_RIGHTS",
	CallbackProcessHTML:                          "PROCESS_HTML",
	CallbackAddHeaders:                           "ADD_HEADERS",
	CallbackHTTPPMO:                              "HTTP_PMO",
	CallbackClientHTTPWriteable:                  "CLIENT_HTTP_WRITEABLE",
	CallbackOpenSSLPerformServerCertVerification: "OPENSSL_PERFORM_SERVER_CERT_VERIFICATION",
	CallbackRawRX:                                "RAW_RX",
	CallbackRawClose:                             "RAW_CLOSE",
	CallbackRawWriteable:                         "RAW_WRITEABLE",
	CallbackRawAdopt:                             "RAW_ADOPT",
	CallbackRawAdoptFile:                         "RAW_ADOPT_FILE",
	CallbackRawRXFile:                            "RAW_RX_FILE",
	CallbackRawWriteableFile:                     "RAW_WRITEABLE_FILE",
	CallbackRawCloseFile:                         "RAW_CLOSE_FILE",
	CallbackSSLInfo:                              "SSL_INFO",
	CallbackChildClosing:                         "CHILD_CLOSING",
	CallbackCGIProcessAttach:                     "CGI_PROCESS_ATTACH",
	CallbackEventWaitCancelled:                   "EVENT_WAIT_CANCELLED",
	CallbackVhostCertAging:                       "VHOST_CERT_AGING",
	CallbackTimer:                                "TIMER",
	CallbackVhostCertUpdate:                      "VHOST_CERT_UPDATE",
	CallbackClientClosed:                         "CLIENT_CLOSED",
	CallbackClientHTTPDropProtocol:               "CLIENT_HTTP_DROP_PROTOCOL",
	CallbackWSServerBindProtocol:                 "WS_SERVER_BIND_PROTOCOL",
	CallbackWSServerDropProtocol:                 "WS_SERVER_DROP_PROTOCOL",
	CallbackWSClientBindProtocol:                 "WS_CLIENT_BIND_PROTOCOL",
	CallbackWSClientDropProtocol:                 "WS_CLIENT_DROP_PROTOCOL",
	CallbackRawSktBindProtocol:                   "RAW_SKT_BIND_PROTOCOL",
	CallbackRawSktDropProtocol:                   "RAW_SKT_DROP_PROTOCOL",
	CallbackRawFileBindProtocol:                  "RAW_FILE_BIND_PROTOCOL",
	CallbackRawFileDropProtocol:                  "RAW_FILE_DROP_PROTOCOL",
	CallbackClientHTTPBindProtocol:               "CLIENT_HTTP_BIND_PROTOCOL",
	CallbackHTTPConfirmUpgrade:                   "HTTP_CONFIRM_UPGRADE",
	CallbackRawConnected:                         "RAW_CONNECTED",
	CallbackVerifyBasicAuthorization:             "VERIFY_BASIC_AUTHORIZATION",
	CallbackWSITxCreditGet:                       "WSI_TX_CREDIT_GET",
	CallbackClientHTTPRedirect:                   "CLIENT_HTTP_REDIRECT",
	CallbackConnecting:                           "CONNECTING",
	CallbackUser:                                 "USER",
}

// String returns lws's name of the reason without its LWS_CALLBACK_ prefix,
// for example "RAW_RX"; user reasons print as "USER+n".
func (r Reason) String() string {
	if s, ok := reasonNames[r]; ok {
		return s
	}
	if r > CallbackUser {
		return "USER+" + strconv.Itoa(int(r-CallbackUser))
	}
	return "Reason(" + strconv.Itoa(int(r)) + ")"
}

// Callback is a protocol's single entry point, lws's lws_callback_function.
// It runs on the service loop, never concurrently with another callback of
// the same context. in is only valid until the callback returns: copy what
// must be kept. Returning a non-nil error closes c (lws's "return -1"); for
// reasons that have no connection to close (PROTOCOL_INIT,
// EVENT_WAIT_CANCELLED) the error is logged. A panic is recovered, logged
// with its stack and closes c.
type Callback func(c *Conn, reason Reason, in []byte) error

// Protocol is lws's struct lws_protocols: a named handler that vhosts
// instantiate.
type Protocol struct {
	// Name is the protocol's name: the WebSocket subprotocol, the target of
	// callback mounts and the key of per-vhost options.
	Name string
	// Callback receives every reason for connections bound to the protocol.
	// A nil Callback ignores everything.
	Callback Callback
	// NewSession, if set, makes the per-connection user data (lws's
	// per_session_data) when a connection binds to the protocol; Conn.User
	// returns it.
	NewSession func() any
	// RxBufferSize caps the size of each piece of received data handed to the
	// callback. Zero means the context's service buffer size.
	RxBufferSize int
	// ID is free for user code (lws's id member).
	ID uint
	// User is free for user code (lws's user member).
	User any
}

// PendingTimeout names why a connection timeout was set (lws's enum
// pending_timeout). The number shows up in logs when the timeout fires.
type PendingTimeout int32

// Timeout reasons, with lws's numbers.
const (
	NoPendingTimeout                      PendingTimeout = 0
	PendingTimeoutAwaitingProxyResponse   PendingTimeout = 1
	PendingTimeoutAwaitingConnectResponse PendingTimeout = 2
	PendingTimeoutEstablishWithServer     PendingTimeout = 3
	PendingTimeoutAwaitingServerResponse  PendingTimeout = 4
	PendingTimeoutAwaitingPing            PendingTimeout = 5
	PendingTimeoutCloseAck                PendingTimeout = 6
	PendingTimeoutSentClientHandshake     PendingTimeout = 8
	PendingTimeoutSSLAccept               PendingTimeout = 9
	PendingTimeoutHTTPContent             PendingTimeout = 10
	PendingTimeoutAwaitingClientHSSend    PendingTimeout = 11
	PendingTimeoutShutdownFlush           PendingTimeout = 13
	PendingTimeoutCGI                     PendingTimeout = 14
	PendingTimeoutHTTPKeepaliveIdle       PendingTimeout = 15
	PendingTimeoutWSPongCheckSendPing     PendingTimeout = 16
	PendingTimeoutWSPongCheckGetPong      PendingTimeout = 17
	PendingTimeoutClientIssuePayload      PendingTimeout = 18
	PendingTimeoutKilledBySSLInfo         PendingTimeout = 22
	PendingTimeoutKilledByParent          PendingTimeout = 23
	PendingTimeoutCloseSend               PendingTimeout = 24
	PendingTimeoutHoldingAH               PendingTimeout = 25
	PendingTimeoutUDPIdle                 PendingTimeout = 26
	PendingTimeoutClientConnIdle          PendingTimeout = 27
	PendingTimeoutLagging                 PendingTimeout = 28
	PendingTimeoutUserOK                  PendingTimeout = 32
	PendingTimeoutHTTPResponse            PendingTimeout = 33
	PendingTimeoutUserReasonBase          PendingTimeout = 1000
)

// Special values of the secs argument of Conn.SetTimeout.
const (
	// ToKillAsync closes the connection at the next pass of the loop.
	ToKillAsync = -1
	// ToKillSync closes the connection at once; from inside one of the
	// connection's own callbacks it behaves as ToKillAsync.
	ToKillSync = -2
)

// WriteType says how Conn.Write frames its data (lws's enum
// lws_write_protocol). Flags may be or-ed onto the base type.
type WriteType int

// Write types and flags, with lws's numbers.
const (
	WriteText                    WriteType = 0
	WriteBinary                  WriteType = 1
	WriteContinuation            WriteType = 2
	WriteHTTP                    WriteType = 3
	WriteRaw                     WriteType = WriteHTTP
	WritePing                    WriteType = 5
	WritePong                    WriteType = 6
	WriteHTTPFinal               WriteType = 7
	WriteHTTPHeaders             WriteType = 8
	WriteHTTPHeadersContinuation WriteType = 9

	// WriteNoFin marks a WebSocket fragment that is not the last of its message.
	WriteNoFin WriteType = 0x40
	// WriteH2StreamEnd ends an HTTP/2 stream with this write.
	WriteH2StreamEnd WriteType = 0x80
)
