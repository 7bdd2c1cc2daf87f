package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestBrowserServerStatus loads the built-in site's /server-status/ in
// headless Chromium while WebSocket clients keep the server busy: the page
// takes live samples from lws-server-status and charts them (the charts
// carry drawn lines in their series' colours), the vhost table sits below
// the summary and the charts across the page's width, and nothing
// overflows sideways. A screenshot is kept in $LWS_ARTIFACT_DIR (or the
// system's temporary directory) as lwsws-server-status.png.
func TestBrowserServerStatus(t *testing.T) {
	browser := chromium(t)
	_, lines := startLwsws(t, "-p", "0", "-d", "7")
	port := awaitLine(t, lines, `listening on port (\d+)`)[1]
	base := "http://127.0.0.1:" + port

	// Some traffic to chart: three dumb-increment clients, read until the
	// test ends, and a few page loads.
	for range 3 {
		d := websocket.Dialer{Subprotocols: []string{"dumb-increment-protocol"}}
		ws, _, err := d.Dial("ws://127.0.0.1:"+port+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ws.Close() })
		go func() {
			for {
				if _, _, err := ws.ReadMessage(); err != nil {
					return
				}
			}
		}()
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for range 5 {
		resp, err := client.Get(base + "/test.js")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}

	p := browser.open(t, base+"/server-status/")
	if _, err := browser.call(p.session, "Page.bringToFront", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	p.await(t, "the status connection", `document.getElementById("ss_state").textContent`, `"open"`)
	p.await(t, "four samples", `parseInt(document.body.dataset.samples || "0") >= 4`, `true`)
	p.await(t, "the charts drawn from them",
		`parseInt(document.getElementById("ss_chart_conns").dataset.points) >= 4 && parseInt(document.getElementById("ss_chart_bytes").dataset.points) >= 3`, `true`)

	// The lines are on the canvases: pixels of each series' colour.
	var ink struct{ Conns, Rx, Tx int }
	json.Unmarshal([]byte(p.eval(t, `(() => {
		const count = (id, test) => {
			const c = document.getElementById(id);
			const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
			let n = 0;
			for (let i = 0; i < d.length; i += 4)
				if (d[i + 3] > 200 && test(d[i], d[i + 1], d[i + 2]))
					n++;
			return n;
		};
		const blue = (r, g, b) => r < 90 && g > 80 && g < 150 && b > 200;
		const orange = (r, g, b) => r > 190 && g > 40 && g < 110 && b < 60;
		return {Conns: count("ss_chart_conns", blue), Rx: count("ss_chart_bytes", blue), Tx: count("ss_chart_bytes", orange)};
	})()`)), &ink)
	if ink.Conns < 50 || ink.Rx < 50 || ink.Tx < 50 {
		t.Errorf("chart lines: %+v pixels of the series' colours, want at least 50 each", ink)
	}

	// The figures are live: the connections include the three clients
	// and the page's own.
	if n, _ := strconv.Atoi(p.eval(t, `parseInt(document.getElementById("ss_conns").textContent)`)); n < 4 {
		t.Errorf("connections shown: %d, want at least 4", n)
	}

	// The layout, by the elements' boxes.
	type box struct{ Left, Top, Right, Bottom, Width, Height float64 }
	var geo struct {
		Summary, Charts, Conns, Bytes, Table box
		Rows                                 []string
		Cells                                int
		ScrollWidth, InnerWidth              float64
	}
	json.Unmarshal([]byte(p.eval(t, `(() => {
		const b = id => { const r = document.getElementById(id).getBoundingClientRect();
			return {Left: r.left, Top: r.top, Right: r.right, Bottom: r.bottom, Width: r.width, Height: r.height}; };
		const rows = [...document.querySelectorAll("#ss_vhosts tbody tr.vhost")];
		return {Summary: b("ss_summary"), Charts: b("ss_charts"), Conns: b("ss_chart_conns"), Bytes: b("ss_chart_bytes"),
			Table: b("ss_vhosts"), Rows: rows.map(r => r.cells[0].textContent), Cells: rows.length ? rows[0].cells.length : 0,
			ScrollWidth: document.documentElement.scrollWidth, InnerWidth: window.innerWidth};
	})()`)), &geo)
	if geo.Charts.Top < geo.Summary.Bottom || geo.Table.Top < geo.Charts.Bottom {
		t.Errorf("the summary, the charts and the vhost table are not one below the other: %+v %+v %+v", geo.Summary, geo.Charts, geo.Table)
	}
	if geo.Table.Width < 900 || geo.Table.Width < 0.9*geo.Summary.Width {
		t.Errorf("vhost table %v px wide beside a summary of %v px, want the page's width (900 px or more)", geo.Table.Width, geo.Summary.Width)
	}
	for name, c := range map[string]box{"connections": geo.Conns, "bytes": geo.Bytes} {
		if c.Width < 400 || c.Height < 150 {
			t.Errorf("%s chart %vx%v px, want at least 400x150", name, c.Width, c.Height)
		}
	}
	if geo.ScrollWidth > geo.InnerWidth {
		t.Errorf("the page is %v px wide in a %v px window", geo.ScrollWidth, geo.InnerWidth)
	}
	if len(geo.Rows) != 1 || geo.Cells != 9 || len(geo.Rows[0]) < 9 || geo.Rows[0][:9] != "localhost" {
		t.Errorf("vhost rows %q (%d cells), want localhost's alone", geo.Rows, geo.Cells)
	}

	saveScreenshot(t, browser, p.session, "lwsws-server-status.png", "the status page", true)
}
