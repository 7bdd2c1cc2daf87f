/*
 * test.js: the live parts of golws's test page (test.html).
 *
 * dumb-increment-protocol  shows the counter the server sends; the page is
 *                          dimmed with lws_gray_out while it is down
 * lws-mirror-protocol      a shared canvas: strokes are sent as draw ops
 *                          and drawn only when the server mirrors them back
 * lws-status               the list of connections of that protocol
 * Close testing            a dumb-increment connection to open and close
 *                          by hand, showing the close code and reason
 *
 * Two checks, as on lws's test page, report in a line of their own with a
 * data-state of "waiting", "ok" or "failed":
 *   Send junk                9000 bytes of "a" on the dumb-increment
 *                            connection, then "reset\n": the counter
 *                            restarting at 0 shows the server read through
 *                            the junk and kept the connection
 *   Send large messages      three large messages on an lws-status
 *                            connection of its own, then a close: the
 *                            server answering the close shows it read them
 *
 * Mirror draw ops are ';'-terminated text, several to a message:
 *   d #rrggbb x1 y1 x2 y2;   a line segment
 *   c #rrggbb x y r;         a circle
 *
 * Needs lws-common.js (lws_gray_out, get_appropriate_ws_url, new_ws).
 */
(function () {
	"use strict";

	var dim = { zindex: "499" };

	/* Dim until the dumb-increment connection is up. */
	lws_gray_out(true, dim);

	function el(id) {
		return document.getElementById(id);
	}

	function setState(td, state) {
		td.textContent = state;
		td.className = state;
	}

	/* report shows the outcome of a check in its line. */
	function report(id, state, text) {
		var p = el(id);
		p.setAttribute("data-state", state);
		p.className = "result " + state;
		p.textContent = text;
	}

	/* closeText describes a close code and reason as received. */
	function closeText(code, reason) {
		return String(code) + (reason ? " \u201c" + reason + "\u201d" : " (no reason)");
	}

	/* open returns a WebSocket for protocol on path, or null if the
	 * browser refuses to make one. */
	function open(path, protocol) {
		try {
			return new_ws(get_appropriate_ws_url(path), protocol);
		} catch (e) {
			if (window.console)
				console.log("WebSocket " + protocol + ": " + e);
			return null;
		}
	}

	if (!("WebSocket" in window))
		el("ws_support").textContent =
			"This browser has no WebSocket support: the live panels cannot work.";

	/* ---- dumb-increment-protocol ---- */

	var di = null;
	var diLast = null;     /* the last number received, null before the first */
	var junkTimer = null;  /* set while the junk check waits */

	/* junk is what lws's page sends: a message that is no command. */
	var junkBytes = 9000;
	var junkWait = 5000;

	function diButtons(enabled) {
		el("reset").disabled = !enabled;
		el("closeme").disabled = !enabled;
		el("junk").disabled = !enabled;
	}

	function junkDone(ok, text) {
		clearTimeout(junkTimer);
		junkTimer = null;
		report("junk_result", ok ? "ok" : "failed", text);
	}

	function diDown() {
		setState(el("wsdi_statustd"), "closed");
		diButtons(false);
		lws_gray_out(true, dim);
		el("wsdi_closed").hidden = false;
	}

	function diConnect() {
		setState(el("wsdi_statustd"), "connecting");
		el("wsdi_closed").hidden = true;
		var ws = open("/", "dumb-increment-protocol");
		di = ws;
		diLast = null;
		if (!ws) {
			diDown();
			return;
		}
		ws.onopen = function () {
			if (di !== ws)
				return;
			setState(el("wsdi_statustd"), "open");
			diButtons(true);
			lws_gray_out(false);
		};
		ws.onmessage = function (ev) {
			var n = parseInt(ev.data, 10);
			el("number").textContent = String(ev.data);
			/* Numbers only grow until a reset: a 0 after the first
			 * number answers the reset sent behind the junk. */
			if (junkTimer !== null && n === 0 && diLast !== null)
				junkDone(true, "The server read through " + junkBytes +
					" bytes of junk and then the reset: the counter restarted at 0 and the connection is still open.");
			diLast = n;
		};
		ws.onclose = function (ev) {
			if (di !== ws)
				return;
			di = null;
			if (junkTimer !== null)
				junkDone(false, "The connection closed before the counter restarted: " +
					closeText(ev.code, ev.reason) + ".");
			diDown();
		};
	}

	function diSend(text) {
		if (di && di.readyState === WebSocket.OPEN)
			di.send(text);
	}

	el("reset").addEventListener("click", function () {
		diSend("reset\n");
	});
	el("closeme").addEventListener("click", function () {
		diSend("closeme\n");
	});
	el("junk").addEventListener("click", function () {
		if (!di || di.readyState !== WebSocket.OPEN)
			return;
		if (diLast === null) {
			report("junk_result", "failed", "No number has arrived yet: try again once the counter runs.");
			return;
		}
		di.send(new Array(junkBytes + 1).join("a"));
		di.send("reset\n");
		clearTimeout(junkTimer);
		junkTimer = setTimeout(function () {
			junkDone(false, "The counter did not restart within " + junkWait / 1000 +
				" s of the junk (is the server's periodic sending off?).");
		}, junkWait);
		report("junk_result", "waiting", "Sent " + junkBytes +
			" bytes of junk, then a reset: waiting for the counter to restart...");
	});
	el("wsdi_reconnect").addEventListener("click", function () {
		if (!di)
			diConnect();
	});

	/* ---- Close testing ---- */

	var ot = null;
	var otCloser = "";  /* who started the close: "browser" or "server" */

	function otButtons(isOpen) {
		el("ot_open_btn").disabled = isOpen;
		el("ot_close_btn").disabled = !isOpen;
		el("ot_req_close_btn").disabled = !isOpen;
	}

	el("ot_open_btn").addEventListener("click", function () {
		if (ot)
			return;
		setState(el("ot_statustd"), "connecting");
		el("ot_open_btn").disabled = true;
		el("ot_close_code").textContent = "-";
		el("ot_close_reason").textContent = "-";
		report("ot_result", "waiting", "Opening...");
		var ws = open("/", "dumb-increment-protocol");
		ot = ws;
		otCloser = "";
		if (!ws) {
			setState(el("ot_statustd"), "closed");
			otButtons(false);
			report("ot_result", "failed", "The browser would not open the connection.");
			return;
		}
		ws.onopen = function () {
			setState(el("ot_statustd"), "open");
			otButtons(true);
			report("ot_result", "ok", "Open: close it from either side.");
		};
		ws.onclose = function (ev) {
			if (ot === ws)
				ot = null;
			setState(el("ot_statustd"), "closed");
			otButtons(false);
			el("ot_close_code").textContent = String(ev.code);
			el("ot_close_reason").textContent = ev.reason;
			var how = otCloser === "browser" ? "The browser closed the connection; the server answered with " :
				otCloser === "server" ? "The server closed the connection as asked, with " :
				"The connection closed, with ";
			report("ot_result", ev.wasClean ? "ok" : "failed", how + closeText(ev.code, ev.reason) +
				(ev.wasClean ? "." : ", without a closing handshake."));
		};
	});
	el("ot_close_btn").addEventListener("click", function () {
		if (!ot)
			return;
		var code = Number(el("ot_code").value);
		var reason = el("ot_reason").value;
		try {
			ot.close(code, reason);
		} catch (e) {
			report("ot_result", "failed", "The browser refuses to close with " +
				closeText(code, reason) + ": " + e.message);
			return;
		}
		otCloser = "browser";
		el("ot_close_btn").disabled = true;
		el("ot_req_close_btn").disabled = true;
		report("ot_result", "waiting", "Closing with " + closeText(code, reason) + "...");
	});
	el("ot_req_close_btn").addEventListener("click", function () {
		if (!ot || ot.readyState !== WebSocket.OPEN)
			return;
		ot.send("closeme\n");
		otCloser = "server";
		el("ot_close_btn").disabled = true;
		el("ot_req_close_btn").disabled = true;
		report("ot_result", "waiting", "Asked the server to close...");
	});

	/* ---- lws-mirror-protocol ---- */

	var canvas = el("mirror_canvas");
	var ctx = canvas.getContext("2d");
	var mirrorName = new URLSearchParams(window.location.search).get("mirror") || "";
	var lm = null;
	var pending = "";    /* ops not sent yet */
	var last = null;     /* the previous point of the stroke being drawn */
	var moved = false;   /* whether that stroke went anywhere */
	var touchId = null;  /* the touch drawing it, if it is a touch */
	var opsDrawn = 0;

	/* A message is sent once this many characters of ops are waiting, and
	 * what is left is sent by a timer and when a stroke ends. */
	var batchChars = 400;
	var flushMs = 100;

	var colorRE = /^#[0-9a-fA-F]{6}$/;

	el("mirror_name").value = mirrorName;
	el("mirror_form").addEventListener("submit", function (ev) {
		ev.preventDefault();
		window.location.search = "?mirror=" + encodeURIComponent(el("mirror_name").value);
	});

	function penColor() {
		var c = el("color").value;
		return colorRE.test(c) ? c.toLowerCase() : "#000000";
	}

	function flush() {
		if (!pending)
			return;
		if (lm && lm.readyState === WebSocket.OPEN)
			lm.send(pending);
		pending = "";
	}

	function queue(op) {
		pending += op;
		if (pending.length >= batchChars)
			flush();
	}

	setInterval(flush, flushMs);

	function clamp(v, max) {
		return Math.max(0, Math.min(max, Math.round(v)));
	}

	/* canvasPoint maps a client position to canvas pixels, whatever size
	 * the canvas is shown at. */
	function canvasPoint(clientX, clientY) {
		var r = canvas.getBoundingClientRect();
		var sx = r.width ? canvas.width / r.width : 1;
		var sy = r.height ? canvas.height / r.height : 1;
		return {
			x: clamp((clientX - r.left) * sx, canvas.width - 1),
			y: clamp((clientY - r.top) * sy, canvas.height - 1)
		};
	}

	function strokeStart(p) {
		last = p;
		moved = false;
	}

	function strokeTo(p) {
		if (!last || (p.x === last.x && p.y === last.y))
			return;
		queue("d " + penColor() + " " + last.x + " " + last.y + " " + p.x + " " + p.y + ";");
		last = p;
		moved = true;
	}

	function strokeEnd() {
		if (!last)
			return;
		if (!moved) /* a click or tap: a dot */
			queue("c " + penColor() + " " + last.x + " " + last.y + " 1;");
		last = null;
		touchId = null;
		flush();
	}

	canvas.addEventListener("mousedown", function (ev) {
		if (ev.button !== 0)
			return;
		ev.preventDefault();
		strokeStart(canvasPoint(ev.clientX, ev.clientY));
	});
	canvas.addEventListener("mousemove", function (ev) {
		if (touchId === null)
			strokeTo(canvasPoint(ev.clientX, ev.clientY));
	});
	canvas.addEventListener("mouseleave", function () {
		if (touchId === null)
			strokeEnd();
	});
	document.addEventListener("mouseup", function () {
		if (touchId === null)
			strokeEnd();
	});

	function findTouch(list) {
		for (var i = 0; i < list.length; i++)
			if (list[i].identifier === touchId)
				return list[i];
		return null;
	}

	canvas.addEventListener("touchstart", function (ev) {
		ev.preventDefault();
		if (touchId !== null)
			return;
		var t = ev.changedTouches[0];
		strokeStart(canvasPoint(t.clientX, t.clientY));
		touchId = t.identifier;
	}, { passive: false });
	canvas.addEventListener("touchmove", function (ev) {
		ev.preventDefault();
		var t = findTouch(ev.changedTouches);
		if (t)
			strokeTo(canvasPoint(t.clientX, t.clientY));
	}, { passive: false });
	function touchEnd(ev) {
		if (findTouch(ev.changedTouches))
			strokeEnd();
	}
	canvas.addEventListener("touchend", touchEnd);
	canvas.addEventListener("touchcancel", touchEnd);

	/* drawOp draws one op, given as its words; it reports whether the op
	 * was one it knows. */
	function drawOp(w) {
		var n = [], i;
		if (w.length < 2 || !colorRE.test(w[1]))
			return false;
		for (i = 2; i < w.length; i++) {
			n.push(Number(w[i]));
			if (!isFinite(n[n.length - 1]))
				return false;
		}
		ctx.strokeStyle = w[1];
		ctx.lineWidth = 2;
		ctx.lineCap = "round";
		ctx.beginPath();
		if (w[0] === "d" && n.length === 4) {
			ctx.moveTo(n[0], n[1]);
			ctx.lineTo(n[2], n[3]);
		} else if (w[0] === "c" && n.length === 3 && n[2] >= 0) {
			ctx.arc(n[0], n[1], n[2], 0, 2 * Math.PI);
		} else {
			return false;
		}
		ctx.stroke();
		return true;
	}

	function drawMessage(text) {
		var ops = String(text).split(";");
		for (var i = 0; i < ops.length; i++) {
			var op = ops[i].trim();
			if (op && drawOp(op.split(/\s+/)))
				opsDrawn++;
		}
		/* for tests: how many ops the canvas has drawn */
		canvas.setAttribute("data-ops", String(opsDrawn));
	}

	function mirrorConnect() {
		var state = el("wslm_statustd");
		setState(state, "connecting");
		var ws = open("/?mirror=" + encodeURIComponent(mirrorName), "lws-mirror-protocol");
		lm = ws;
		if (!ws) {
			setState(state, "closed");
			return;
		}
		ws.onopen = function () {
			setState(state, "open");
		};
		ws.onmessage = function (ev) {
			drawMessage(ev.data);
		};
		ws.onclose = function () {
			if (lm === ws)
				lm = null;
			pending = "";
			setState(state, "closed");
		};
	}

	/* ---- lws-status ---- */

	var table = el("status_table");

	function pad2(n) {
		return (n < 10 ? "0" : "") + n;
	}

	/* age is how long ago the unix time since was, in words. */
	function age(since) {
		var s = Math.max(0, Math.floor(Date.now() / 1000 - since));
		if (s < 60)
			return s + "s";
		if (s < 3600)
			return Math.floor(s / 60) + "m " + pad2(s % 60) + "s";
		if (s < 86400)
			return Math.floor(s / 3600) + "h " + pad2(Math.floor(s / 60) % 60) + "m";
		return Math.floor(s / 86400) + "d " + pad2(Math.floor(s / 3600) % 24) + "h";
	}

	function cell(row, tag, text) {
		var c = document.createElement(tag);
		c.textContent = text;
		row.appendChild(c);
		return c;
	}

	function updateAges() {
		var cells = table.querySelectorAll("td.age");
		for (var i = 0; i < cells.length; i++)
			cells[i].textContent = age(Number(cells[i].getAttribute("data-since")));
	}

	function renderStatus(st) {
		var conns = Array.isArray(st.conns) ? st.conns : [];
		while (table.firstChild)
			table.removeChild(table.firstChild);

		var cap = document.createElement("caption");
		cap.textContent = String(st.version || "?") + " on " + String(st.hostname || "?") +
			": " + conns.length + (conns.length === 1 ? " connection" : " connections") +
			(st.wss_over_h2 === "1" ? " (wss over h2)" : "");
		table.appendChild(cap);

		var head = document.createElement("thead");
		var hr = document.createElement("tr");
		cell(hr, "th", "Peer");
		cell(hr, "th", "Connected since");
		cell(hr, "th", "For");
		cell(hr, "th", "User agent");
		head.appendChild(hr);
		table.appendChild(head);

		var body = document.createElement("tbody");
		for (var i = 0; i < conns.length; i++) {
			var c = conns[i] || {};
			var since = Number(c.time);
			var row = document.createElement("tr");
			row.className = "conn";
			cell(row, "td", String(c.peer || "?"));
			var when = isFinite(since) && since > 0;
			cell(row, "td", when ? new Date(since * 1000).toLocaleString() : "?");
			var a = cell(row, "td", when ? age(since) : "?");
			if (when) {
				a.className = "age";
				a.setAttribute("data-since", String(since));
			}
			cell(row, "td", String(c.ua || "?")).className = "ua";
			body.appendChild(row);
		}
		table.appendChild(body);
	}

	setInterval(updateAges, 1000);

	/* The large-message check: messages like requests carrying an image,
	 * JSON with a long base64 blob of pseudo-random bytes. */
	var largeSizes = [2000, 18000, 25000];
	var largeReason = "large messages sent";
	var largeWs = null;

	function largeMessage(i, size) {
		var b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		var head = "{\"RequestType\":\"LargeMessage\",\"Index\":\"" + i +
			"\",\"blob\":\"data:application/octet-stream;base64,";
		var tail = "\"}";
		var x = 12345 + i, blob = [];
		for (var n = size - head.length - tail.length; n > 0; n--) {
			x = (x * 1103515245 + 12345) % 2147483648;
			blob.push(b64.charAt(Math.floor(x / 65536) % 64));
		}
		return head + blob.join("") + tail;
	}

	el("large").addEventListener("click", function () {
		if (largeWs)
			return;
		var ws = open("/", "lws-status");
		if (!ws) {
			report("large_result", "failed", "The browser would not open the connection.");
			return;
		}
		largeWs = ws;
		el("large").disabled = true;
		var sent = 0;
		report("large_result", "waiting", "Opening a connection of its own...");
		ws.onopen = function () {
			for (var i = 0; i < largeSizes.length; i++) {
				var m = largeMessage(i, largeSizes[i]);
				ws.send(m);
				sent += m.length;
			}
			ws.close(1000, largeReason);
			report("large_result", "waiting", "Sent " + largeSizes.length + " messages, " + sent +
				" bytes, and a close: waiting for the server's answer...");
		};
		ws.onclose = function (ev) {
			largeWs = null;
			el("large").disabled = false;
			var ext = ws.extensions ? " with " + ws.extensions : "";
			if (!sent) {
				report("large_result", "failed", "The connection did not open: " + closeText(ev.code, ev.reason) + ".");
			} else if (ev.wasClean && ev.code === 1000 && ev.reason === largeReason) {
				report("large_result", "ok", "Sent " + largeSizes.length + " messages, " + sent + " bytes" + ext +
					": the server read them all and answered the close with " + closeText(ev.code, ev.reason) + ".");
			} else {
				report("large_result", "failed", "After " + sent + " bytes the connection ended with " +
					closeText(ev.code, ev.reason) + (ev.wasClean ? "" : ", without a closing handshake") + ".");
			}
		};
	});

	function statusConnect() {
		var state = el("ws_status_td");
		setState(state, "connecting");
		var ws = open("/", "lws-status");
		if (!ws) {
			setState(state, "closed");
			return;
		}
		ws.onopen = function () {
			setState(state, "open");
		};
		ws.onmessage = function (ev) {
			var st;
			try {
				st = JSON.parse(ev.data);
			} catch (e) {
				return;
			}
			if (st && typeof st === "object")
				renderStatus(st);
		};
		ws.onclose = function () {
			setState(state, "closed");
		};
	}

	if ("WebSocket" in window) {
		diConnect();
		mirrorConnect();
		statusConnect();
	} else {
		diDown();
		setState(el("wslm_statustd"), "closed");
		setState(el("ws_status_td"), "closed");
	}
})();
