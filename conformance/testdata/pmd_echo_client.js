// An echoing client on Node's ws with permessage-deflate, against which the
// conformance tests check the peer's compression as a server (groups 12
// and 13). It connects to the URL in argv[2], echoes every message with
// its type, compressing every message (threshold 0), and exits 0 when the
// connection closes, 1 on an error.
'use strict';
const WebSocket = require('ws');

const ws = new WebSocket(process.argv[2], { perMessageDeflate: { threshold: 0 } });
ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
ws.on('close', () => process.exit(0));
ws.on('error', (err) => {
  console.error('node client: ' + err.message);
  process.exit(1);
});
