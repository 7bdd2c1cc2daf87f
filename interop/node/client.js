// A WebSocket client built on Node's ws, used by golws's tests as a peer:
// it connects to the echo server at argv[2], sends text, binary, empty,
// fragmented and 16 MiB messages and a ping, checks every echo, then closes
// with 1000. It exits 0 on success and 1 with a reason otherwise. For a
// wss:// URL, argv[3] is the PEM file of the CA that signs the server.
'use strict';
const fs = require('fs');
const WebSocket = require('ws');

const url = process.argv[2];
const fail = (why) => { console.error('node client: ' + why); process.exit(1); };
setTimeout(() => fail('timed out'), 60000).unref();

const big = Buffer.alloc(16 << 20);
for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;

const steps = [
  { send: (ws) => ws.send('hello'), expect: { text: true, data: Buffer.from('hello') } },
  { send: (ws) => ws.send(Buffer.from([0, 1, 2, 255])), expect: { text: false, data: Buffer.from([0, 1, 2, 255]) } },
  { send: (ws) => ws.send(''), expect: { text: true, data: Buffer.alloc(0) } },
  {
    send: (ws) => { ws.send('frag', { fin: false }); ws.send('ment', { fin: false }); ws.send('ed', { fin: true }); },
    expect: { text: true, data: Buffer.from('fragmented') },
  },
  { send: (ws) => ws.send(big), expect: { text: false, data: big } },
];

const opts = process.argv[3] ? { ca: fs.readFileSync(process.argv[3]) } : {};
const ws = new WebSocket(url, ['lws-echo'], opts);
let step = 0;
ws.on('open', () => {
  if (ws.protocol !== 'lws-echo') fail('protocol ' + JSON.stringify(ws.protocol));
  steps[0].send(ws);
});
ws.on('message', (data, isBinary) => {
  const want = steps[step].expect;
  if (isBinary === want.text || !Buffer.from(data).equals(want.data)) {
    fail('step ' + step + ': echo differs (' + data.length + ' bytes, binary ' + isBinary + ')');
  }
  step++;
  if (step < steps.length) {
    steps[step].send(ws);
    return;
  }
  ws.ping('are you there');
});
ws.on('pong', (data) => {
  if (data.toString() !== 'are you there') fail('pong ' + JSON.stringify(data.toString()));
  ws.close(1000, 'done');
});
ws.on('close', (code) => {
  if (step !== steps.length) fail('closed early with ' + code);
  if (code !== 1000) fail('close code ' + code);
  console.log('ok');
  process.exit(0);
});
ws.on('error', (err) => fail(err.message));
