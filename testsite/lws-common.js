/*
 * lws-common.js: helpers for pages served by golws.
 *
 * lws_gray_out(true, {zindex: "499"}) dims the page under a veil, for
 * example while its WebSocket is not connected; lws_gray_out(false) lifts
 * it. Options: zindex (default 50), opacity in percent (default 70) and
 * bgcolor (default "#000000").
 *
 * get_appropriate_ws_url(extra) is the ws:// or wss:// URL of the page's
 * own server, with extra appended; new_ws(url, protocol) opens a
 * WebSocket on it with the given subprotocol.
 */
(function (global) {
	"use strict";

	var veil = null;
	var pending = null; /* the last request made before the body existed */

	function makeVeil(doc) {
		var v = doc.createElement("div");
		v.id = "lws_gray_out";
		v.style.position = "fixed";
		v.style.top = "0";
		v.style.left = "0";
		v.style.width = "100%";
		v.style.height = "100%";
		v.style.display = "none";
		doc.body.appendChild(v);
		return v;
	}

	function apply(vis, options) {
		var doc = global.document;
		options = options || {};
		if (!veil)
			veil = makeVeil(doc);
		if (!vis) {
			veil.style.display = "none";
			return;
		}
		veil.style.zIndex = String(options.zindex || 50);
		veil.style.backgroundColor = options.bgcolor || "#000000";
		veil.style.opacity = String((options.opacity === undefined ? 70 : options.opacity) / 100);
		veil.style.display = "block";
	}

	function lws_gray_out(vis, options) {
		var doc = global.document;
		if (!doc.body) {
			/* called from <head>: act once the body exists */
			if (!pending)
				doc.addEventListener("DOMContentLoaded", function () {
					apply(pending.vis, pending.options);
				});
			pending = { vis: vis, options: options };
			return;
		}
		apply(vis, options);
	}

	function get_appropriate_ws_url(extra) {
		var loc = global.location;
		var scheme = loc.protocol === "https:" ? "wss://" : "ws://";
		return scheme + loc.host + (extra || "");
	}

	function new_ws(url, protocol) {
		return new global.WebSocket(url, protocol);
	}

	global.lws_gray_out = lws_gray_out;
	global.get_appropriate_ws_url = get_appropriate_ws_url;
	global.new_ws = new_ws;
})(this);
