package lws

import (
	"testing"
	"unsafe"
)

// TestIdleConnectionFootprint guards what an idle WebSocket connection
// costs: the Conn and its WebSocket state fit the size classes the memory
// budget of docs/performance.md counts on (320 and 192 bytes), with
// everything rarely used made on demand.
func TestIdleConnectionFootprint(t *testing.T) {
	if n := unsafe.Sizeof(Conn{}); n > 320 {
		t.Errorf("Conn is %d bytes, over its 320-byte budget: move rarely used fields to connRare", n)
	}
	if n := unsafe.Sizeof(wsState{}); n > 192 {
		t.Errorf("wsState is %d bytes, over its 192-byte budget: move rarely used fields to wsAux", n)
	}
	if n := unsafe.Sizeof(timerEntry{}); n > 40 {
		t.Errorf("timerEntry is %d bytes, over 40", n)
	}
}
