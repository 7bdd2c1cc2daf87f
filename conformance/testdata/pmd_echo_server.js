// An echo server on Node's ws with permessage-deflate, against which the
// conformance tests check the peer's compression (groups 12 and 13). It
// listens on 127.0.0.1 on a port the kernel chooses, prints the port, and
// echoes every message with its type, compressing every message
// (threshold 0). It exits when its standard input closes.
'use strict';
const { WebSocketServer } = require('ws');

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: { threshold: 0 } });
wss.on('listening', () => console.log(wss.address().port));
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
