// An echo server built on Node's ws with permessage-deflate (RFC 7692)
// enabled at ws's defaults (context takeover both ways, 15-bit windows,
// messages of 1 KiB and more compressed), used by golws's tests as a peer
// for golws's WebSocket client. It listens on 127.0.0.1 on a port the
// kernel chooses, prints that port, and echoes every message with its type.
// When a connection closes it prints one JSON line: the extension ws
// negotiated, its Sec-WebSocket-Extensions answer, and the bytes the
// connection read and wrote on its socket. It exits when its stdin ends.
'use strict';
const { WebSocketServer } = require('ws');

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  perMessageDeflate: true,
  maxPayload: 64 << 20,
  handleProtocols: (protocols) => (protocols.has('chat') ? 'chat' : false),
});
const answers = new WeakMap();
wss.on('headers', (headers, req) => {
  const h = headers.find((l) => l.toLowerCase().startsWith('sec-websocket-extensions:'));
  answers.set(req, h ? h.slice(h.indexOf(':') + 1).trim() : null);
});
wss.on('listening', () => console.log(wss.address().port));
wss.on('connection', (ws, req) => {
  const socket = ws._socket;
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('close', (code) => {
    console.log(JSON.stringify({ extensions: ws.extensions, answer: answers.get(req), code, read: socket.bytesRead, written: socket.bytesWritten }));
  });
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
