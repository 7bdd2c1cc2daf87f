package lws

import (
	"testing"
	"unsafe"
)

// TestIdleConnectionFootprint guards what an idle WebSocket connection
// costs: the Conn, the transport made with it in one allocation, and its
// WebSocket state fit the size classes the memory budget of
// docs/performance.md counts on (320 bytes for the Conn and its transport,
// 192 for the WebSocket state), with everything rarely used made on
// demand. A stream child, which shares its network connection's
// transport, costs a Conn alone.
func TestIdleConnectionFootprint(t *testing.T) {
	if n := unsafe.Sizeof(Conn{}); n > 256 {
		t.Errorf("Conn is %d bytes, over its 256-byte budget: move rarely used fields to connRare", n)
	}
	if n := unsafe.Sizeof(connAlloc{}); n > 320 {
		t.Errorf("a network connection (Conn and netConn) is %d bytes, over its 320-byte budget", n)
	}
	if n := unsafe.Sizeof(wsState{}); n > 192 {
		t.Errorf("wsState is %d bytes, over its 192-byte budget: move rarely used fields to wsAux", n)
	}
	if n := unsafe.Sizeof(timerEntry{}); n > 40 {
		t.Errorf("timerEntry is %d bytes, over 40", n)
	}
}

// TestNetworkConnectionIsOneAllocation checks that a network connection
// and its transport are made together.
func TestNetworkConnectionIsOneAllocation(t *testing.T) {
	var sink *Conn
	n := testing.AllocsPerRun(100, func() { sink = newConn(nil, nil, -1, kindSocket) })
	if n != 1 {
		t.Errorf("newConn makes %v allocations, want 1", n)
	}
	if sink.netConn == nil || sink.fd != -1 {
		t.Errorf("newConn's transport is not set up: %+v", sink.netConn)
	}
}
