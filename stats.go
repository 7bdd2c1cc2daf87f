package lws

import "time"

// Stats is a snapshot of what a context serves, for status pages and
// metrics (lws's lws_json_dump_context, in Go's idiom).
type Stats struct {
	// Uptime is how long the context has existed.
	Uptime time.Duration
	// Conns counts the connections and adopted descriptors of every vhost
	// (listeners excluded).
	Conns int
	// Listeners counts the listen sockets (lws's listen_wsi).
	Listeners int
	// RxBytes and TxBytes count the bytes read from and written to
	// sockets, TLS records included, since the context was made.
	RxBytes, TxBytes uint64
	// HeaderTables is how many header tables are in use, and
	// HeaderTablesWaiting how many connections wait for one.
	HeaderTables, HeaderTablesWaiting int
	// HeaderTablesMax caps the header tables (ContextInfo's
	// MaxHTTPHeaderPool, or the descriptor limit).
	HeaderTablesMax int
	// FDLimit is how many descriptors the loop may serve (lws's
	// fd_limit_per_thread).
	FDLimit int
	// CGISpawned counts the CGI programs started since the context was
	// made, and CGIAlive those still running.
	CGISpawned, CGIAlive int
	// Deprecated is true once Deprecate was called: the context no longer
	// accepts and ends when its last connection closes.
	Deprecated bool
	// Vhosts has one entry per vhost, in creation order, except those
	// created with VhostInfo.Unlisted.
	Vhosts []VhostStats
}

// VhostStats is one vhost's part of Stats. Its counters (lws's
// conn_stats) count from the vhost's creation.
type VhostStats struct {
	// Name and Port are the vhost's name and listen port (PortNoListen
	// for a vhost without one).
	Name string
	Port int
	// TLS is true if the vhost's port serves TLS; STS if it sends
	// Strict-Transport-Security (OptionSTS).
	TLS, STS bool
	// Conns counts the connections bound to the vhost now.
	Conns int
	// Protocols counts the connections bound to each of the vhost's
	// protocols.
	Protocols map[string]int
	// ProtocolNames lists the vhost's protocols in their order.
	ProtocolNames []string
	// Mounts are the vhost's mounts as configured.
	Mounts []Mount
	// RxBytes and TxBytes count the bytes read and written by the vhost's
	// connections.
	RxBytes, TxBytes uint64
	// H1Conns counts the connections that sent an HTTP/1 request,
	// H1Transactions their requests, WSUpgrades the upgrades to WebSocket
	// and Rejected the connections and requests refused by a filter
	// callback (FILTER_NETWORK_CONNECTION, FILTER_HTTP_CONNECTION).
	H1Conns, H1Transactions, WSUpgrades, Rejected uint64
	// H2Transactions counts the HTTP/2 requests, H2Streams the streams
	// the vhost's HTTP/2 connections opened (lws's h2_subs: requests
	// and WebSockets over HTTP/2), H2ALPN the connections that chose
	// HTTP/2 by ALPN and H2Upgrades those that upgraded to it from
	// HTTP/1.1 (Upgrade: h2c).
	H2Transactions, H2Streams, H2ALPN, H2Upgrades uint64
}

// vhostCounts is a vhost's activity since its creation (lws's
// conn_stats), kept on the loop.
type vhostCounts struct {
	rx, tx                            uint64
	h1Conns, h1Trans, wsUpg, rejected uint64
	h2Trans, h2ALPN, h2Upg, h2Subs    uint64
}

// countRx notes n bytes read from c's socket.
func (c *Conn) countRx(n int) {
	c.loop.rxBytes += uint64(n)
	if c.vhost != nil {
		c.vhost.counts.rx += uint64(n)
	}
}

// countTx notes n bytes written to c's socket.
func (c *Conn) countTx(n int) {
	c.loop.txBytes += uint64(n)
	if c.vhost != nil {
		c.vhost.counts.tx += uint64(n)
	}
}

// Stats returns a snapshot of the context's activity. Call it on the loop
// (from a callback); it walks every vhost's connection lists.
func (cx *Context) Stats() Stats {
	l := cx.loop
	s := Stats{
		Uptime:              time.Duration(l.now()),
		RxBytes:             l.rxBytes,
		TxBytes:             l.txBytes,
		HeaderTables:        l.ah.inUse,
		HeaderTablesWaiting: len(l.ah.waiting),
		HeaderTablesMax:     cx.info.MaxHTTPHeaderPool,
		FDLimit:             len(l.fds),
		CGISpawned:          l.cgiSpawned,
		Deprecated:          cx.deprecated != nil,
	}
	if s.HeaderTablesMax <= 0 {
		s.HeaderTablesMax = s.FDLimit
	}
	listeners := map[*Conn]bool{}
	for _, vh := range cx.vhosts {
		if vh.listener != nil {
			listeners[vh.listener] = true
		}
		vs := VhostStats{Name: vh.name, Port: vh.port, Protocols: map[string]int{},
			TLS: vh.tlsCfg != nil, STS: vh.info.Options&OptionSTS != 0, Mounts: vh.info.Mounts,
			RxBytes: vh.counts.rx, TxBytes: vh.counts.tx, H1Conns: vh.counts.h1Conns,
			H1Transactions: vh.counts.h1Trans, WSUpgrades: vh.counts.wsUpg, Rejected: vh.counts.rejected,
			H2Transactions: vh.counts.h2Trans, H2Streams: vh.counts.h2Subs, H2ALPN: vh.counts.h2ALPN,
			H2Upgrades: vh.counts.h2Upg}
		for _, vp := range vh.protocols {
			n := 0
			for c := vp.first; c != nil; c = c.vpNext {
				n++
				if c.txn() != nil && c.txn().cgi != nil {
					s.CGIAlive++
				}
			}
			vs.Protocols[vp.proto.Name] = n
			vs.ProtocolNames = append(vs.ProtocolNames, vp.proto.Name)
			vs.Conns += n
		}
		s.Conns += vs.Conns
		if !vh.info.Unlisted {
			s.Vhosts = append(s.Vhosts, vs)
		}
	}
	s.Listeners = len(listeners)
	return s
}
