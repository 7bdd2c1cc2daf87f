package lws

import (
	"net/netip"
	"testing"
)

// TestPeerAddrKeepsEveryAddress checks the packed peer address gives back
// what it was given, for the families accept, getpeername and connect
// produce.
func TestPeerAddrKeepsEveryAddress(t *testing.T) {
	for _, s := range []string{"192.0.2.7:80", "[2001:db8::1]:443", "[::ffff:192.0.2.7]:8080", "[::1]:1", "0.0.0.0:0"} {
		ap := netip.MustParseAddrPort(s)
		p := packPeer(ap)
		if got := p.AddrPort(); got != ap {
			t.Errorf("packPeer(%v).AddrPort() = %v", ap, got)
		}
		if p.Addr() != ap.Addr() || p.Port() != ap.Port() || p.String() != ap.String() {
			t.Errorf("packPeer(%v) gives %v, %d, %q", ap, p.Addr(), p.Port(), p.String())
		}
	}
	if got := packPeer(netip.AddrPort{}).AddrPort(); got.IsValid() {
		t.Errorf("no address packed gives %v", got)
	}
}
