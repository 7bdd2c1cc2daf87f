package lws

import "testing"

// TestSetRoleGivesBackOnlyALeftState checks the role transition: moving a
// connection to the role it has already gives nothing back (its HTTP
// state stays in use, off the free list); leaving the role gives the
// state back once.
func TestSetRoleGivesBackOnlyALeftState(t *testing.T) {
	l := &loop{}
	c := newConn(l, nil, -1, kindSocket)
	hs := l.newHTTP()
	c.setRole(hs)
	c.setRole(hs)
	if len(l.httpFree) != 0 || c.role != role(hs) {
		t.Fatalf("after a transition to the same role: %d states on the free list, role %v (want %p)",
			len(l.httpFree), c.role, hs)
	}
	c.setRole(rawSkt)
	if len(l.httpFree) != 1 || l.httpFree[0] != hs || c.httpWire() != nil || c.txn() != nil {
		t.Fatalf("after leaving HTTP: free list %v, wire %v", l.httpFree, c.httpWire())
	}
}
