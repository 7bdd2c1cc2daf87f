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
	// RxBytes and TxBytes count the bytes read from and written to
	// sockets, TLS records included, since the context was made.
	RxBytes, TxBytes uint64
	// HeaderTables is how many header tables are in use, and
	// HeaderTablesWaiting how many connections wait for one.
	HeaderTables, HeaderTablesWaiting int
	// Vhosts has one entry per vhost, in creation order.
	Vhosts []VhostStats
}

// VhostStats is one vhost's part of Stats.
type VhostStats struct {
	Name  string
	Port  int
	Conns int
	// Protocols counts the connections bound to each of the vhost's
	// protocols.
	Protocols map[string]int
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
	}
	for _, vh := range cx.vhosts {
		vs := VhostStats{Name: vh.name, Port: vh.port, Protocols: map[string]int{}}
		for _, vp := range vh.protocols {
			n := 0
			for c := vp.first; c != nil; c = c.vpNext {
				n++
			}
			vs.Protocols[vp.proto.Name] = n
			vs.Conns += n
		}
		s.Conns += vs.Conns
		s.Vhosts = append(s.Vhosts, vs)
	}
	return s
}
