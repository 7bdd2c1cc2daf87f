// Package serverstatus is golws's lws-server-status protocol: a live view
// of the server for a status page, and Prometheus metrics. Over WebSocket
// (subprotocol "lws-server-status") every connection is sent the server's
// state as one JSON text message when it connects and then every
// update-ms milliseconds (a per-vhost option, default 5000):
//
//	{"server":"golws","uptime":12.5,"conns":3,"rx":1234,"tx":5678,
//	 "ah":0,"ah_waiting":0,
//	 "vhosts":[{"name":"localhost","port":7681,"conns":3,
//	            "protocols":{"lws-server-status":1,...}}]}
//
// Mounted as an HTTP callback (lwsws: "/metrics" with origin
// "callback://lws-server-status"), a GET answers the same figures in
// Prometheus's text format. The page that shows them is testsite's
// server-status.html.
package serverstatus

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golws/lws"
)

// Name is the protocol's name.
const Name = "lws-server-status"

func init() { lws.RegisterProtocol(Name, Protocol) }

// Protocol returns the protocol, ready for a vhost's Protocols.
func Protocol() lws.Protocol {
	return lws.Protocol{Name: Name, Callback: callback, NewSession: func() any { return new(session) }}
}

type session struct {
	body    []byte // an HTTP answer's body, between its two writes
	headers bool   // the head has gone
}

func updateInterval(c *lws.Conn) time.Duration {
	if v, ok := c.ProtocolOption("update-ms"); ok {
		if ms, err := strconv.Atoi(v); err == nil && ms > 0 {
			return time.Duration(ms) * time.Millisecond
		}
	}
	return 5 * time.Second
}

func callback(c *lws.Conn, reason lws.Reason, in []byte) error {
	s, _ := c.User().(*session)
	switch reason {
	case lws.CallbackEstablished:
		c.CallbackOnWritable()
		c.SetTimer(updateInterval(c))
	case lws.CallbackTimer:
		c.CallbackOnWritable()
		c.SetTimer(updateInterval(c))
	case lws.CallbackServerWriteable:
		b, err := json.Marshal(snapshot(c.Context().Stats()))
		if err != nil {
			return err
		}
		_, err = c.Write(b, lws.WriteText)
		return err
	case lws.CallbackHTTP:
		s.body = []byte(Metrics(c.Context().Stats()))
		s.headers = false
		b, err := c.AddHTTPCommonHeaders(nil, 200, "text/plain; version=0.0.4", int64(len(s.body)))
		if err != nil {
			return err
		}
		if err := c.FinalizeWriteHTTPHeader(b); err != nil {
			return err
		}
		c.CallbackOnWritable()
	case lws.CallbackHTTPWriteable:
		if s == nil || s.body == nil {
			return nil
		}
		body := s.body
		s.body = nil
		if _, err := c.Write(body, lws.WriteHTTPFinal); err != nil {
			return err
		}
		return c.HTTPTransactionCompleted()
	}
	return nil
}

type vhostJSON struct {
	Name      string         `json:"name"`
	Port      int            `json:"port"`
	Conns     int            `json:"conns"`
	Protocols map[string]int `json:"protocols"`
}

type statusJSON struct {
	Server    string      `json:"server"`
	Uptime    float64     `json:"uptime"`
	Conns     int         `json:"conns"`
	Rx        uint64      `json:"rx"`
	Tx        uint64      `json:"tx"`
	AH        int         `json:"ah"`
	AHWaiting int         `json:"ah_waiting"`
	Vhosts    []vhostJSON `json:"vhosts"`
}

func snapshot(st lws.Stats) statusJSON {
	j := statusJSON{Server: "golws", Uptime: st.Uptime.Seconds(), Conns: st.Conns, Rx: st.RxBytes, Tx: st.TxBytes,
		AH: st.HeaderTables, AHWaiting: st.HeaderTablesWaiting, Vhosts: []vhostJSON{}}
	for _, v := range st.Vhosts {
		j.Vhosts = append(j.Vhosts, vhostJSON{Name: v.Name, Port: v.Port, Conns: v.Conns, Protocols: v.Protocols})
	}
	return j
}

// Metrics renders st in Prometheus's text exposition format.
func Metrics(st lws.Stats) string {
	var b strings.Builder
	metric := func(name, typ, help string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	metric("lws_uptime_seconds", "gauge", "Seconds since the server started.")
	fmt.Fprintf(&b, "lws_uptime_seconds %.3f\n", st.Uptime.Seconds())
	metric("lws_connections", "gauge", "Open connections per vhost.")
	for _, v := range st.Vhosts {
		fmt.Fprintf(&b, "lws_connections{vhost=%q,port=\"%d\"} %d\n", v.Name, v.Port, v.Conns)
	}
	metric("lws_rx_bytes_total", "counter", "Bytes read from sockets.")
	fmt.Fprintf(&b, "lws_rx_bytes_total %d\n", st.RxBytes)
	metric("lws_tx_bytes_total", "counter", "Bytes written to sockets.")
	fmt.Fprintf(&b, "lws_tx_bytes_total %d\n", st.TxBytes)
	metric("lws_header_tables_in_use", "gauge", "Request header tables in use.")
	fmt.Fprintf(&b, "lws_header_tables_in_use %d\n", st.HeaderTables)
	metric("lws_header_tables_waiting", "gauge", "Connections waiting for a header table.")
	fmt.Fprintf(&b, "lws_header_tables_waiting %d\n", st.HeaderTablesWaiting)
	return b.String()
}
