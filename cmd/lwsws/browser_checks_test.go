package main

import (
	"encoding/json"
	"strconv"
	"testing"
)

// press clicks the element id with the mouse, as a user would: it is
// scrolled into view and pressed and released at its centre.
func (p *page) press(t *testing.T, id string) {
	t.Helper()
	var box struct{ X, Y float64 }
	r := p.eval(t, `(() => { const b = document.getElementById(`+strconv.Quote(id)+`); b.scrollIntoView({block: "center"}); const r = b.getBoundingClientRect(); return {X: r.left + r.width / 2, Y: r.top + r.height / 2}; })()`)
	if err := json.Unmarshal([]byte(r), &box); err != nil {
		t.Fatalf("%s: %s: %v", id, r, err)
	}
	for _, typ := range []string{"mousePressed", "mouseReleased"} {
		if _, err := p.c.call(p.session, "Input.dispatchMouseEvent", map[string]any{
			"type": typ, "x": box.X, "y": box.Y, "button": "left", "clickCount": 1}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBrowserTestPageChecks drives the test page's checks in headless
// Chromium: "Send junk" and "Send large messages" report success, and the
// close-testing panel shows the code and reason of a close made by the
// browser with the code and reason typed in, then of a close made by the
// server when asked.
func TestBrowserTestPageChecks(t *testing.T) {
	browser := chromium(t)
	_, lines := startLwsws(t, "-p", "0", "-d", "7")
	port := awaitLine(t, lines, `listening on port (\d+)`)[1]

	p := browser.open(t, "http://127.0.0.1:"+port+"/")
	// Work in the front tab: a background tab's timers are throttled.
	if _, err := browser.call(p.session, "Page.bringToFront", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	p.await(t, "dumb-increment", `document.getElementById("wsdi_statustd").textContent`, `"open"`)
	p.await(t, "the veil lifted", `getComputedStyle(document.getElementById("lws_gray_out")).display`, `"none"`)
	p.await(t, "a first number", `!isNaN(parseInt(document.getElementById("number").textContent))`, `true`)

	// Send junk: the server reads through it and the counter restarts.
	p.press(t, "junk")
	p.await(t, "the junk check", `document.getElementById("junk_result").dataset.state`, `"ok"`)
	p.await(t, "the junk check's report", `document.getElementById("junk_result").textContent.includes("9000 bytes of junk")`, `true`)
	p.await(t, "dumb-increment after the junk", `document.getElementById("wsdi_statustd").textContent`, `"open"`)

	// Send large messages: the server reads them all and answers the close.
	p.press(t, "large")
	p.await(t, "the large-message check", `document.getElementById("large_result").dataset.state`, `"ok"`)
	p.await(t, "the large-message check's report", `document.getElementById("large_result").textContent.includes("45000 bytes") && document.getElementById("large_result").textContent.includes("1000 \u201clarge messages sent\u201d")`, `true`)

	// Close testing: the browser closes with a code and reason of its own;
	// the page shows what the server answered.
	p.press(t, "ot_open_btn")
	p.await(t, "the close-testing connection", `document.getElementById("ot_statustd").textContent`, `"open"`)
	p.eval(t, `document.getElementById("ot_code").value = "4321"; document.getElementById("ot_reason").value = "closed by the browser test"; true`)
	p.press(t, "ot_close_btn")
	p.await(t, "the close code", `document.getElementById("ot_close_code").textContent`, `"4321"`)
	p.await(t, "the close reason", `document.getElementById("ot_close_reason").textContent`, `"closed by the browser test"`)
	p.await(t, "the close report", `document.getElementById("ot_result").dataset.state`, `"ok"`)
	p.await(t, "the close-testing connection closed", `document.getElementById("ot_statustd").textContent`, `"closed"`)

	// Request server close: the server closes with 1001 "seeya".
	p.press(t, "ot_open_btn")
	p.await(t, "the close-testing connection again", `document.getElementById("ot_statustd").textContent`, `"open"`)
	p.press(t, "ot_req_close_btn")
	p.await(t, "the server's close code", `document.getElementById("ot_close_code").textContent`, `"1001"`)
	p.await(t, "the server's close reason", `document.getElementById("ot_close_reason").textContent`, `"seeya"`)
	p.await(t, "the server close report", `document.getElementById("ot_result").textContent.startsWith("The server closed the connection as asked")`, `true`)

	// The page's own connection lived through it all.
	p.await(t, "dumb-increment at the end", `document.getElementById("wsdi_statustd").textContent`, `"open"`)
}
