// Package serverstatus is golws's lws-server-status protocol: a live view
// of the server for a status page, and Prometheus metrics. Over WebSocket
// (subprotocol "lws-server-status") every connection is sent the server's
// state as one JSON text message when it connects and then every
// update-ms milliseconds (a per-vhost option, default 5000).
//
// The JSON is lws's (its lws_json_dump_context inside the plugin's
// envelope), so lws's own server-status page renders it: an object with
// "i", the server, and "files", the contents of the files the "filepath"
// option names. As in lws, the figures are JSON strings (but "heap"):
//
//	{"i":{"version":"golws ...","uptime":"<host seconds>",
//	      "l1":"0.12","l2":"0.10","l3":"0.05","statm":"<proc statm>","heap":123456,
//	      "contexts":[{"context_uptime":"12","cgi_spawned":"0","pt_fd_max":"1024",
//	        "ah_pool_max":"1024","deprecated":"0","wsi_alive":"4",
//	        "pt":[{"fds_count":"4","ah_pool_inuse":"0","ah_wait_list":"0"}],
//	        "vhosts":[{"name":"localhost","port":"7681","use_ssl":"0","sts":"0",
//	          "rx":"..","tx":"..","h1_conn":"..","h1_trans":"..","h2_trans":"..",
//	          "ws_upg":"..","rejected":"..","h2_upg":"..","h2_alpn":"..","h2_subs":"..",
//	          "mounts":[{"mountpoint":"/","origin":"file://...","cache_max_age":"0",
//	            "cache_reuse":"0","cache_revalidate":"0","cache_intermediaries":"0",
//	            "default":"index.html"}],
//	          "ws-protocols":[{"lws-server-status":{"status":"ok","conns":"1"}}],
//	          "conns":"3"}],
//	        "listen_wsi":"1","rx":"..","tx":"..","h1_conn":"..","h1_trans":"..",
//	        "h2_trans":"..","ws_upg":"..","rejected":"..","h2_alpn":"..","h2_subs":"..",
//	        "h2_upg":"..","cgi_alive":"0","conns":"3","uptime_ms":"12345"}]},
//	 "files":[{"path":"/etc/motd","val":"..."}]}
//
// The h2 counters are lws's: HTTP/2 requests, streams, ALPN and h2c upgrades. golws adds "conns"
// (connections now, listeners excluded) to the context, each vhost and
// each protocol, and "uptime_ms" to the context, for rates. Vhosts made
// with lws.VhostInfo.Unlisted are left out; the option "hide-vhosts" set
// to 1 leaves them all out, as in lws.
//
// Mounted as an HTTP callback (lwsws: "/metrics" with origin
// "callback://lws-server-status"), a GET answers the same figures in
// Prometheus's text format. The page that shows them is testsite's
// server-status.html.
package serverstatus

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
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
		hide, _ := c.ProtocolOption("hide-vhosts")
		var files []string
		if f, ok := c.ProtocolOption("filepath"); ok && f != "" {
			files = []string{f}
		}
		b, err := json.Marshal(snapshot(c.Context().Stats(), hide == "1", files))
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

// statusJSON is the message lws-server-status sends: lws's JSON.
type statusJSON struct {
	// I is the server (lws's lws_json_dump_context).
	I serverJSON `json:"i"`
	// Files holds the files the "filepath" option names.
	Files []fileJSON `json:"files"`
}

// fileJSON is one file's contents (its first 255 bytes) in statusJSON.
type fileJSON struct {
	Path string `json:"path"`
	Val  string `json:"val"`
}

// serverJSON is the process and its contexts. L1, L2, L3 (the load averages)
// and Statm (/proc/self/statm) are left out where the system has none.
type serverJSON struct {
	Version  string        `json:"version"`
	Uptime   string        `json:"uptime"`
	L1       string        `json:"l1,omitempty"`
	L2       string        `json:"l2,omitempty"`
	L3       string        `json:"l3,omitempty"`
	Statm    string        `json:"statm,omitempty"`
	Heap     uint64        `json:"heap"`
	Contexts []contextJSON `json:"contexts"`
}

// contextJSON is one context. The fields up to CGIAlive are lws's; Conns and
// UptimeMs are golws's.
type contextJSON struct {
	ContextUptime string       `json:"context_uptime"`
	CGISpawned    string       `json:"cgi_spawned"`
	PtFdMax       string       `json:"pt_fd_max"`
	AHPoolMax     string       `json:"ah_pool_max"`
	Deprecated    string       `json:"deprecated"`
	WsiAlive      string       `json:"wsi_alive"`
	Pt            []threadJSON `json:"pt"`
	Vhosts        []vhostJSON  `json:"vhosts"`
	ListenWsi     string       `json:"listen_wsi"`
	Rx            string       `json:"rx"`
	Tx            string       `json:"tx"`
	H1Conn        string       `json:"h1_conn"`
	H1Trans       string       `json:"h1_trans"`
	H2Trans       string       `json:"h2_trans"`
	WSUpg         string       `json:"ws_upg"`
	Rejected      string       `json:"rejected"`
	H2ALPN        string       `json:"h2_alpn"`
	H2Subs        string       `json:"h2_subs"`
	H2Upg         string       `json:"h2_upg"`
	CGIAlive      string       `json:"cgi_alive"`
	Conns         string       `json:"conns"`
	UptimeMs      string       `json:"uptime_ms"`
}

// threadJSON is one service thread (golws has one loop per context).
type threadJSON struct {
	FdsCount    string `json:"fds_count"`
	AHPoolInuse string `json:"ah_pool_inuse"`
	AHWaitList  string `json:"ah_wait_list"`
}

// vhostJSON is one vhost (lws's lws_json_dump_vhost); Conns is golws's.
type vhostJSON struct {
	Name        string                 `json:"name"`
	Port        string                 `json:"port"`
	UseSSL      string                 `json:"use_ssl"`
	STS         string                 `json:"sts"`
	Rx          string                 `json:"rx"`
	Tx          string                 `json:"tx"`
	H1Conn      string                 `json:"h1_conn"`
	H1Trans     string                 `json:"h1_trans"`
	H2Trans     string                 `json:"h2_trans"`
	WSUpg       string                 `json:"ws_upg"`
	Rejected    string                 `json:"rejected"`
	H2Upg       string                 `json:"h2_upg"`
	H2ALPN      string                 `json:"h2_alpn"`
	H2Subs      string                 `json:"h2_subs"`
	Mounts      []mountJSON            `json:"mounts,omitempty"`
	WSProtocols []map[string]protoJSON `json:"ws-protocols"`
	Conns       string                 `json:"conns"`
}

// mountJSON is one mount of a vhost.
type mountJSON struct {
	Mountpoint          string `json:"mountpoint"`
	Origin              string `json:"origin"`
	CacheMaxAge         string `json:"cache_max_age"`
	CacheReuse          string `json:"cache_reuse"`
	CacheRevalidate     string `json:"cache_revalidate"`
	CacheIntermediaries string `json:"cache_intermediaries"`
	Default             string `json:"default,omitempty"`
}

// protoJSON is one protocol of a vhost; Conns is golws's.
type protoJSON struct {
	Status string `json:"status"`
	Conns  string `json:"conns"`
}

func itoa[T int | uint64](n T) string { return strconv.FormatUint(uint64(n), 10) }

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// snapshot renders st as lws-server-status's message. hideVhosts leaves
// the vhosts out (lws's hide-vhosts); files are read for "files".
func snapshot(st lws.Stats, hideVhosts bool, files []string) statusJSON {
	srv := serverJSON{Version: version(), Uptime: "0", Heap: heapBytes()}
	if b, err := os.ReadFile("/proc/uptime"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			if secs, err := strconv.ParseFloat(f[0], 64); err == nil {
				srv.Uptime = strconv.FormatInt(int64(secs), 10)
			}
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			srv.L1, srv.L2, srv.L3 = f[0], f[1], f[2]
		}
	}
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		srv.Statm = strings.TrimSpace(string(b))
	}
	var h1Conn, h1Trans, wsUpg, rejected, h2Trans, h2Subs, h2ALPN, h2Upg uint64
	vhosts := []vhostJSON{}
	for _, v := range st.Vhosts {
		h1Conn += v.H1Conns
		h1Trans += v.H1Transactions
		wsUpg += v.WSUpgrades
		rejected += v.Rejected
		h2Trans += v.H2Transactions
		h2Subs += v.H2Streams
		h2ALPN += v.H2ALPN
		h2Upg += v.H2Upgrades
		if hideVhosts {
			continue
		}
		vj := vhostJSON{Name: v.Name, Port: strconv.Itoa(v.Port), UseSSL: flag(v.TLS), STS: flag(v.STS),
			Rx: itoa(v.RxBytes), Tx: itoa(v.TxBytes), H1Conn: itoa(v.H1Conns), H1Trans: itoa(v.H1Transactions),
			H2Trans: itoa(v.H2Transactions), WSUpg: itoa(v.WSUpgrades), Rejected: itoa(v.Rejected),
			H2Upg: itoa(v.H2Upgrades), H2ALPN: itoa(v.H2ALPN), H2Subs: itoa(v.H2Streams),
			WSProtocols: []map[string]protoJSON{}, Conns: itoa(v.Conns)}
		for _, m := range v.Mounts {
			origin := m.Origin
			if origin == "" && m.FS != nil {
				origin = "file://(built in)"
			}
			vj.Mounts = append(vj.Mounts, mountJSON{Mountpoint: m.Mountpoint, Origin: origin,
				CacheMaxAge: itoa(max(m.CacheMaxAge, 0)), CacheReuse: flag(m.CacheReusable),
				CacheRevalidate: flag(m.CacheRevalidate), CacheIntermediaries: flag(m.CacheIntermediaries),
				Default: m.Default})
		}
		for _, p := range v.ProtocolNames {
			vj.WSProtocols = append(vj.WSProtocols, map[string]protoJSON{p: {Status: "ok", Conns: itoa(v.Protocols[p])}})
		}
		vhosts = append(vhosts, vj)
	}
	fds := st.Conns + st.Listeners
	srv.Contexts = []contextJSON{{
		ContextUptime: itoa(int(st.Uptime / time.Second)),
		CGISpawned:    itoa(st.CGISpawned),
		PtFdMax:       itoa(st.FDLimit),
		AHPoolMax:     itoa(st.HeaderTablesMax),
		Deprecated:    flag(st.Deprecated),
		WsiAlive:      itoa(fds),
		Pt:            []threadJSON{{FdsCount: itoa(fds), AHPoolInuse: itoa(st.HeaderTables), AHWaitList: itoa(st.HeaderTablesWaiting)}},
		Vhosts:        vhosts,
		ListenWsi:     itoa(st.Listeners),
		Rx:            itoa(st.RxBytes),
		Tx:            itoa(st.TxBytes),
		H1Conn:        itoa(h1Conn),
		H1Trans:       itoa(h1Trans),
		H2Trans:       itoa(h2Trans),
		WSUpg:         itoa(wsUpg),
		Rejected:      itoa(rejected),
		H2ALPN:        itoa(h2ALPN),
		H2Subs:        itoa(h2Subs),
		H2Upg:         itoa(h2Upg),
		CGIAlive:      itoa(st.CGIAlive),
		Conns:         itoa(st.Conns),
		UptimeMs:      itoa(int(st.Uptime / time.Millisecond)),
	}}
	out := statusJSON{I: srv, Files: []fileJSON{}}
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		buf := make([]byte, 255)
		n, _ := f.Read(buf)
		f.Close()
		out.Files = append(out.Files, fileJSON{Path: path, Val: strings.ToValidUTF8(string(buf[:n]), "?")})
	}
	return out
}

// version names the server as lws's "version" does the library.
func version() string {
	v := "golws"
	if bi, ok := debug.ReadBuildInfo(); ok {
		mod := &bi.Main
		for _, d := range bi.Deps {
			if d.Path == "github.com/golws/lws" {
				mod = d
			}
		}
		if mod.Path == "github.com/golws/lws" && mod.Version != "" && mod.Version != "(devel)" {
			v += " " + mod.Version
		}
	}
	return v + " (" + runtime.Version() + ")"
}

// heapBytes is the Go heap in use, for lws's "heap".
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
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
