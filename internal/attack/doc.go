// Package attack holds golws's attack tests: black-box attacks on a golws
// server on loopback, each asserting a number. The server under attack is
// a separate process (./testserver, built once per test binary), so that
// its memory is measured as the kernel sees it (VmRSS and VmHWM of
// /proc/PID/status), and its limits are set by flags. The attacks are
// bounded in count and time and go to 127.0.0.1 only:
//
//   - slowloris: thousands of request heads dripped a byte a second; the
//     header timeout closes them, a normal GET is answered throughout, and
//     the server's memory grows by a bounded figure per connection;
//   - a WebSocket flood that never reads its echoes: reception stops, the
//     server's memory per connection stays under a bound, and a normal
//     client still gets its echo promptly;
//   - a TLS handshake stall: connections that send nothing, part of a
//     ClientHello, or a whole one and nothing after, are closed within
//     TimeoutSecs and do not keep a normal https client waiting.
//
// Regression tests for defects found by such attacks belong here too,
// next to them, using the same helpers. docs/design.md ("Attacks the
// tests make") lists the attacks and the limits each one holds against.
// The package has no code of its own besides this documentation: it is
// its tests and the server program they start.
package attack
