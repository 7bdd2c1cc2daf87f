// A WebSocket client built on Node's ws with permessage-deflate (RFC 7692)
// offered, used by golws's tests as a peer: it connects to the echo server
// at argv[2] and sends four 1 MiB messages, a compressible text and binary
// one and a random text and binary one, checking each echo's type and
// bytes. Then it closes with 1000 and prints one JSON line: the extension
// ws negotiated, the server's Sec-WebSocket-Extensions answer, and for
// each message the bytes its round trip took on the socket each way.
// It exits 0 on success and 1 with a reason otherwise.
'use strict';
const crypto = require('crypto');
const WebSocket = require('ws');

const url = process.argv[2];
const fail = (why) => { console.error('node deflate client: ' + why); process.exit(1); };
setTimeout(() => fail('timed out'), 60000).unref();

const size = 1 << 20;
const line = 'The quick brown fox jumps over the lazy dog; {"id": 12345, "ok": true}\n';
const compressible = Buffer.from(line.repeat(Math.ceil(size / line.length)).slice(0, size));
const randomBinary = crypto.randomBytes(size);
// Random text: random code points from U+0020 to U+07FF, one or two
// bytes of UTF-8 each, padded with "A" to the size.
const randomText = (() => {
  const r = crypto.randomBytes(size);
  const out = Buffer.alloc(size, 0x41);
  for (let i = 0, n = 0; n + 2 <= size; i += 2) {
    const cp = 0x20 + r.readUInt16LE(i % (size - 1)) % (0x800 - 0x20);
    n += out.write(String.fromCharCode(cp), n);
  }
  return out;
})();

const messages = [
  { name: 'compressible text', data: compressible, binary: false },
  { name: 'compressible binary', data: compressible, binary: true },
  { name: 'random text', data: randomText, binary: false },
  { name: 'random binary', data: randomBinary, binary: true },
];

let answer = null;
const ws = new WebSocket(url, ['lws-echo'], { perMessageDeflate: true, maxPayload: 64 << 20 });
ws.on('upgrade', (res) => { answer = res.headers['sec-websocket-extensions'] || null; });
let step = 0;
let mark = null;
const report = [];
const send = () => {
  const m = messages[step];
  mark = { written: ws._socket.bytesWritten, read: ws._socket.bytesRead };
  ws.send(m.binary ? m.data : m.data.toString('utf8'), { binary: m.binary });
};
ws.on('open', () => {
  if (ws.protocol !== 'lws-echo') fail('protocol ' + JSON.stringify(ws.protocol));
  send();
});
ws.on('message', (data, isBinary) => {
  const m = messages[step];
  if (isBinary !== m.binary || !Buffer.from(data).equals(m.data)) {
    fail(m.name + ': the echo differs (' + data.length + ' bytes, binary ' + isBinary + ')');
  }
  report.push({ name: m.name, size: m.data.length, sent: ws._socket.bytesWritten - mark.written, received: ws._socket.bytesRead - mark.read });
  step++;
  if (step < messages.length) {
    send();
    return;
  }
  ws.close(1000, 'done');
});
ws.on('close', (code) => {
  if (step !== messages.length) fail('closed early with ' + code);
  if (code !== 1000) fail('close code ' + code);
  console.log(JSON.stringify({ extensions: ws.extensions, answer, messages: report }));
  process.exit(0);
});
ws.on('error', (err) => fail(err.message));
