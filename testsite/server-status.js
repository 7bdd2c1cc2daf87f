/*
 * server-status.js: golws's status page. It reads the lws-server-status
 * protocol's JSON (lws's format: {"i": {..., "contexts": [...]}, "files":
 * [...]}, figures as strings), shows the first context's summary and its
 * vhosts, and keeps the last minutes of samples to chart the open
 * connections and the bytes per second, drawn on canvases by this page.
 *
 * After each message is shown and charted, body's data-samples counts the
 * samples taken, and each chart's data-points the points it drew.
 */
(function () {
	"use strict";

	var WINDOW_MS = 5 * 60 * 1000; /* the most the charts span */
	var MIN_SPAN_MS = 10 * 1000; /* the least */
	var samples = []; /* {t, conns, rx, tx, rxRate, txRate}, oldest first */
	var taken = 0;

	function el(id) { return document.getElementById(id); }

	function num(s) {
		var n = parseInt(s, 10);
		return isNaN(n) ? 0 : n;
	}

	function bytes(n) {
		var units = ["B", "KiB", "MiB", "GiB", "TiB"];
		var i = 0;
		while (n >= 1024 && i < units.length - 1) {
			n /= 1024;
			i++;
		}
		return (i ? n.toFixed(n < 10 ? 2 : 1) : String(Math.round(n))) + " " + units[i];
	}

	function duration(s) {
		s = Math.floor(s);
		var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600),
			m = Math.floor(s % 3600 / 60);
		if (d)
			return d + "d " + h + "h " + m + "m";
		if (h)
			return h + "h " + m + "m";
		return m + "m " + (s % 60) + "s";
	}

	function text(id, s) { el(id).textContent = s; }

	function node(tag, cls, s) {
		var n = document.createElement(tag);
		if (cls)
			n.className = cls;
		if (s !== undefined)
			n.textContent = s;
		return n;
	}

	/* The chart's vertical scale: a round top and its ticks. Byte scales
	 * step in a binary unit (KiB, MiB, ...) so their labels stay round. */
	function scale(max, binary) {
		var unit = 1, k = binary ? 1024 : 1000;
		if (binary)
			while (max / unit >= k && unit < Math.pow(k, 4))
				unit *= k;
		var m = Math.max(max / unit, binary ? 1 : 4) / 4;
		var p = Math.pow(10, Math.floor(Math.log(m) / Math.LN10));
		var step = [1, 2, 2.5, 5, 10].map(function (f) { return f * p; })
			.filter(function (s) { return s >= m; })[0];
		if (!binary && unit === 1)
			step = Math.max(1, Math.ceil(step));
		return { top: step * 4 * unit, step: step * unit };
	}

	function label(v, binary) {
		if (!binary)
			return String(Math.round(v));
		return v === 0 ? "0" : bytes(v) + "/s";
	}

	/* The time axis's tick: a round number of seconds, five or so a span. */
	function timeStep(span) {
		var steps = [1, 2, 5, 10, 15, 30, 60, 120, 300];
		for (var i = 0; i < steps.length; i++)
			if (span / (steps[i] * 1000) <= 6)
				return steps[i] * 1000;
		return 600000;
	}

	function ago(ms) {
		var s = Math.round(ms / 1000);
		if (!s)
			return "now";
		return s % 60 ? "-" + s + " s" : "-" + s / 60 + " min";
	}

	/*
	 * draw plots series ({color, key, fill}) of the samples in canvas up to
	 * the newest sample, over the time they cover (at least MIN_SPAN_MS, at
	 * most WINDOW_MS), with a y axis (labelled ticks and grid lines) and a
	 * time axis in seconds or minutes before now.
	 */
	function draw(canvas, series, binary) {
		var dpr = window.devicePixelRatio || 1;
		var w = canvas.clientWidth, h = canvas.clientHeight;
		if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
			canvas.width = Math.round(w * dpr);
			canvas.height = Math.round(h * dpr);
		}
		var g = canvas.getContext("2d");
		g.setTransform(dpr, 0, 0, dpr, 0, 0);
		g.clearRect(0, 0, w, h);

		var left = binary ? 78 : 44, right = 12, top = 10, bottom = 28;
		var pw = w - left - right, ph = h - top - bottom;
		var now = samples.length ? samples[samples.length - 1].t : 0;
		var span = samples.length ? Math.min(Math.max(now - samples[0].t, MIN_SPAN_MS), WINDOW_MS) : MIN_SPAN_MS;
		var t0 = now - span;
		var max = 0;
		samples.forEach(function (s) {
			series.forEach(function (ser) {
				if (s[ser.key] !== null && s[ser.key] > max)
					max = s[ser.key];
			});
		});
		var sc = scale(max, binary);
		var x = function (t) { return left + (t - t0) / span * pw; };
		var y = function (v) { return top + ph - v / sc.top * ph; };

		g.font = "11px system-ui, sans-serif";
		g.lineWidth = 1;

		/* horizontal grid and the y axis's labels */
		g.textAlign = "right";
		g.textBaseline = "middle";
		for (var v = 0; v <= sc.top + sc.step / 2; v += sc.step) {
			var yy = Math.round(y(v)) + 0.5;
			g.strokeStyle = v === 0 ? "#9aa6b2" : "#e6eaef";
			g.beginPath();
			g.moveTo(left, yy);
			g.lineTo(left + pw, yy);
			g.stroke();
			g.fillStyle = "#667485";
			g.fillText(label(v, binary), left - 6, yy);
		}

		/* the time axis: round ticks, "now" at the right */
		g.textAlign = "center";
		g.textBaseline = "top";
		var step = timeStep(span);
		for (var back = Math.floor(span / step) * step; back >= 0; back -= step) {
			var xx = Math.round(x(now - back)) + 0.5;
			g.strokeStyle = "#eef1f4";
			g.beginPath();
			g.moveTo(xx, top);
			g.lineTo(xx, top + ph);
			g.stroke();
			g.strokeStyle = "#9aa6b2";
			g.beginPath();
			g.moveTo(xx, top + ph);
			g.lineTo(xx, top + ph + 4);
			g.stroke();
			g.fillStyle = "#667485";
			g.fillText(ago(back), Math.min(Math.max(xx, left + 16), left + pw - 12), top + ph + 7);
		}
		g.strokeStyle = "#9aa6b2";
		g.beginPath();
		g.moveTo(left + 0.5, top);
		g.lineTo(left + 0.5, top + ph);
		g.stroke();

		/* the series */
		var drawn = 0;
		g.save();
		g.beginPath();
		g.rect(left, top, pw, ph + 1);
		g.clip();
		series.forEach(function (ser) {
			var pts = samples.filter(function (s) { return s[ser.key] !== null && s.t >= t0; })
				.map(function (s) { return [x(s.t), y(s[ser.key])]; });
			drawn = Math.max(drawn, pts.length);
			if (!pts.length)
				return;
			if (ser.fill && pts.length > 1) {
				g.beginPath();
				g.moveTo(pts[0][0], y(0));
				pts.forEach(function (p) { g.lineTo(p[0], p[1]); });
				g.lineTo(pts[pts.length - 1][0], y(0));
				g.closePath();
				g.fillStyle = ser.fill;
				g.fill();
			}
			g.strokeStyle = ser.color;
			g.lineWidth = 2;
			g.lineJoin = "round";
			g.beginPath();
			pts.forEach(function (p, i) {
				if (i)
					g.lineTo(p[0], p[1]);
				else
					g.moveTo(p[0], p[1]);
			});
			g.stroke();
			var last = pts[pts.length - 1];
			g.fillStyle = ser.color;
			g.beginPath();
			g.arc(last[0], last[1], 3, 0, 2 * Math.PI);
			g.fill();
		});
		g.restore();
		canvas.dataset.points = String(drawn);
	}

	function drawCharts() {
		draw(el("ss_chart_conns"), [{ key: "conns", color: "#1f6feb", fill: "rgba(31,111,235,0.12)" }], false);
		draw(el("ss_chart_bytes"), [
			{ key: "rxRate", color: "#1f6feb", fill: "rgba(31,111,235,0.10)" },
			{ key: "txRate", color: "#d9480f" }
		], true);
	}

	function sample(cx) {
		var s = {
			t: cx.uptime_ms !== undefined ? num(cx.uptime_ms) : Date.now(),
			conns: cx.conns !== undefined ? num(cx.conns) : num(cx.wsi_alive) - num(cx.listen_wsi),
			rx: num(cx.rx),
			tx: num(cx.tx),
			rxRate: null,
			txRate: null
		};
		var prev = samples[samples.length - 1];
		if (prev && (s.t <= prev.t || s.rx < prev.rx || s.tx < prev.tx))
			samples = []; /* another server process: start afresh */
		prev = samples[samples.length - 1];
		if (prev) {
			var dt = (s.t - prev.t) / 1000;
			s.rxRate = (s.rx - prev.rx) / dt;
			s.txRate = (s.tx - prev.tx) / dt;
		}
		samples.push(s);
		while (samples.length && samples[0].t < s.t - WINDOW_MS)
			samples.shift();
		return s;
	}

	/* vhostRow adds v's figures to the table, then a row of its
	 * protocols and mounts. */
	function vhostRow(tbody, v) {
		var tr = tbody.insertRow(-1);
		tr.className = "vhost";
		var port = num(v.port);
		tr.insertCell(-1).appendChild(node("span", "vname", v.name));
		tr.insertCell(-1).appendChild(node("span", "small", port > 0 ?
			(v.use_ssl === "1" ? "https://" : "http://") + v.name + ":" + port + (v.sts === "1" ? " (STS)" : "") :
			"no listen port"));
		[v.conns !== undefined ? v.conns : "-", bytes(num(v.rx)), bytes(num(v.tx)),
			v.h1_conn, v.h1_trans, v.ws_upg, v.rejected].forEach(function (s) {
			var c = tr.insertCell(-1);
			c.className = "num";
			c.textContent = String(s);
		});

		var dr = tbody.insertRow(-1);
		dr.className = "vhost-detail";
		var td = dr.insertCell(-1);
		td.colSpan = tr.cells.length;
		var grid = node("div", "detail");
		td.appendChild(grid);
		grid.appendChild(node("span", "k", "Protocols"));
		var protos = node("div");
		(v["ws-protocols"] || []).forEach(function (p) {
			Object.keys(p).forEach(function (name) {
				var n = p[name].conns !== undefined ? num(p[name].conns) : -1;
				var tag = node("span", n > 0 ? "tag" : "tag idle", name + (n >= 0 ? " " : ""));
				if (n >= 0)
					tag.appendChild(node("b", "", String(n)));
				protos.appendChild(tag);
			});
		});
		grid.appendChild(protos);
		grid.appendChild(node("span", "k", "Mounts"));
		var mounts = node("div");
		if (!v.mounts || !v.mounts.length)
			mounts.appendChild(node("span", "small", "none"));
		(v.mounts || []).forEach(function (m) {
			var tag = node("span", "tag", "");
			tag.appendChild(node("b", "", m.mountpoint));
			tag.appendChild(document.createTextNode(" \u2192 " + m.origin + (m["default"] ? " (" + m["default"] + ")" : "")));
			mounts.appendChild(tag);
		});
		grid.appendChild(mounts);
	}

	function render(st) {
		var i = st.i, cx = i.contexts[0];
		var s = sample(cx);
		text("ss_version", i.version);
		text("ss_updated", new Date().toLocaleTimeString());
		text("ss_uptime", duration(num(cx.context_uptime)));
		text("ss_host_uptime", num(i.uptime) ? duration(num(i.uptime)) : "-");
		text("ss_conns", String(s.conns));
		text("ss_listeners", cx.listen_wsi);
		text("ss_rx", bytes(s.rx));
		text("ss_tx", bytes(s.tx));
		text("ss_rx_rate", s.rxRate === null ? "-" : bytes(s.rxRate) + "/s now");
		text("ss_tx_rate", s.txRate === null ? "-" : bytes(s.txRate) + "/s now");
		text("ss_trans", cx.h1_trans + " req");
		text("ss_h1conn", cx.h1_conn);
		text("ss_upg", cx.ws_upg);
		var pt = cx.pt && cx.pt[0] ? cx.pt[0] : { ah_pool_inuse: "0", ah_wait_list: "0" };
		text("ss_ah", pt.ah_pool_inuse + " / " + cx.ah_pool_max);
		text("ss_ah_wait", pt.ah_wait_list);
		text("ss_load", i.l1 ? i.l1 + " " + i.l2 + " " + i.l3 : "-");
		text("ss_heap", typeof i.heap === "number" ? bytes(i.heap) : "-");
		/* statm counts 4 KiB pages; its second figure is the resident set */
		text("ss_rss", i.statm ? bytes(num(i.statm.split(" ")[1]) * 4096) : "-");

		var tbody = el("ss_vhosts").tBodies[0];
		while (tbody.rows.length)
			tbody.deleteRow(0);
		if (!cx.vhosts.length) {
			var td = tbody.insertRow(-1).insertCell(-1);
			td.colSpan = 9;
			td.className = "empty";
			td.textContent = "The server hides its vhosts (hide-vhosts).";
		}
		cx.vhosts.forEach(function (v) { vhostRow(tbody, v); });

		var files = el("ss_files");
		files.textContent = "";
		(st.files || []).forEach(function (f) {
			files.appendChild(node("div", "small", f.path));
			files.appendChild(node("pre", "file", f.val));
		});
		el("ss_files_card").hidden = !(st.files && st.files.length);

		drawCharts();
		taken++;
		document.body.dataset.samples = String(taken);
	}

	function state(s) {
		var p = el("ss_state");
		p.textContent = s;
		p.className = "pill " + s;
	}

	function connect() {
		var ws = new_ws(get_appropriate_ws_url("/"), "lws-server-status");
		ws.onopen = function () {
			state("open");
			lws_gray_out(false);
		};
		ws.onmessage = function (ev) {
			try {
				render(JSON.parse(ev.data));
			} catch (e) {
				text("ss_updated", "a message it cannot read: " + e);
			}
		};
		ws.onclose = function () {
			state("closed");
			lws_gray_out(true, { zindex: "499", opacity: 40 });
			/* the server may come back: try again now and then */
			setTimeout(connect, 3000);
		};
	}

	window.addEventListener("resize", drawCharts);
	lws_gray_out(true, { zindex: "499", opacity: 40 });
	drawCharts();
	connect();
})();
