/* server-status.js: renders the lws-server-status protocol's JSON. */
(function () {
	"use strict";

	function el(id) { return document.getElementById(id); }

	function bytes(n) {
		var units = ["B", "KiB", "MiB", "GiB", "TiB"];
		var i = 0;
		while (n >= 1024 && i < units.length - 1) {
			n /= 1024;
			i++;
		}
		return (i ? n.toFixed(1) : String(n)) + " " + units[i];
	}

	function duration(s) {
		s = Math.floor(s);
		var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600),
			m = Math.floor(s % 3600 / 60);
		return (d ? d + "d " : "") + (d || h ? h + "h " : "") + m + "m " + (s % 60) + "s";
	}

	function cell(tr, text) {
		var td = document.createElement("td");
		td.textContent = text;
		tr.appendChild(td);
	}

	function render(st) {
		el("ss_server").textContent = st.server;
		el("ss_uptime").textContent = duration(st.uptime);
		el("ss_conns").textContent = String(st.conns);
		el("ss_rx").textContent = bytes(st.rx);
		el("ss_tx").textContent = bytes(st.tx);
		el("ss_ah").textContent = st.ah + " (" + st.ah_waiting + ")";
		var table = el("ss_vhosts");
		while (table.rows.length > 1)
			table.deleteRow(1);
		st.vhosts.forEach(function (v) {
			var tr = table.insertRow(-1);
			tr.className = "vhost";
			cell(tr, v.name);
			cell(tr, String(v.port));
			cell(tr, String(v.conns));
			cell(tr, Object.keys(v.protocols).filter(function (k) {
				return v.protocols[k] > 0;
			}).map(function (k) {
				return k + ": " + v.protocols[k];
			}).join(", "));
		});
	}

	lws_gray_out(true, { zindex: "499" });
	var ws = new_ws(get_appropriate_ws_url("/"), "lws-server-status");
	ws.onopen = function () {
		el("ss_state").textContent = "open";
		lws_gray_out(false);
	};
	ws.onmessage = function (ev) {
		try {
			render(JSON.parse(ev.data));
		} catch (e) {
			el("ss_state").textContent = "bad message: " + e;
		}
	};
	ws.onclose = function () {
		el("ss_state").textContent = "closed";
		lws_gray_out(true, { zindex: "499" });
	};
})();
