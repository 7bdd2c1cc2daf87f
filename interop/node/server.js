// An echo server built on Node's ws, used by golws's tests as a peer for
// golws's WebSocket client. It listens on 127.0.0.1 on a port the kernel
// chooses, prints that port, and echoes every message with its type. With
// argv[2] and argv[3], the PEM certificate and key, it serves wss://.
'use strict';
const fs = require('fs');
const https = require('https');
const { WebSocketServer } = require('ws');

const handleProtocols = (protocols) => (protocols.has('chat') ? 'chat' : false);
let wss;
if (process.argv[2]) {
  const server = https.createServer({ cert: fs.readFileSync(process.argv[2]), key: fs.readFileSync(process.argv[3]) });
  wss = new WebSocketServer({ server, handleProtocols });
  server.listen(0, '127.0.0.1', () => console.log(server.address().port));
} else {
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols });
  wss.on('listening', () => console.log(wss.address().port));
}
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
