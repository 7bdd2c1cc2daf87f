//go:build race

package conformance

// Under the race detector the compression cases send 100 messages each,
// not Autobahn's 1000: instrumented compression is about ten times
// slower, and the race detector looks for races, not for the thousandth
// message.
func init() { messageCap = 100 }
