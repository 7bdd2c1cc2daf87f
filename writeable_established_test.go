package lws_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/golws/lws"
)

// busyProtocol keeps a connection, server or client, busy: a 1 ms timer
// asks for WRITEABLE and each WRITEABLE sends a message; a server also
// asks for one after each message it receives. Connections of it fill
// every phase of the loop's passes (events, timers, input, WRITEABLEs).
// Each one established is reported on up.
func busyProtocol(up chan<- struct{}) lws.Protocol {
	return lws.Protocol{Name: "busy", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackEstablished, lws.CallbackClientEstablished:
			c.SetTimer(time.Millisecond)
			up <- struct{}{}
		case lws.CallbackTimer:
			c.CallbackOnWritable()
			c.SetTimer(time.Millisecond)
		case lws.CallbackReceive:
			c.CallbackOnWritable()
		case lws.CallbackServerWriteable, lws.CallbackClientWriteable:
			if _, err := c.Write([]byte("tick"), lws.WriteText); err != nil {
				return err
			}
		}
		return nil
	}}
}

// greeter is the state of one connection of probeProtocol.
type greeter struct{ greeted, got bool }

var errProbeDone = errors.New("probe: done")

// probeProtocol asks for WRITEABLE from ESTABLISHED (server) or
// CLIENT_ESTABLISHED (client), and nowhere else until its first WRITEABLE
// came: that one sends a greeting and is reported on srv or cli. A client
// closes once it has sent its greeting and received the server's
// (reported on cliGot), whichever comes first.
func probeProtocol(srv, cli, cliGot chan<- struct{}) lws.Protocol {
	return lws.Protocol{
		Name:       "probe",
		NewSession: func() any { return new(greeter) },
		Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
			switch reason {
			case lws.CallbackEstablished, lws.CallbackClientEstablished:
				c.CallbackOnWritable()
			case lws.CallbackServerWriteable, lws.CallbackClientWriteable:
				g := c.User().(*greeter)
				if g.greeted {
					if g.got {
						return errProbeDone
					}
					return nil
				}
				g.greeted = true
				if _, err := c.Write([]byte("greeting"), lws.WriteText); err != nil {
					return err
				}
				if reason == lws.CallbackServerWriteable {
					srv <- struct{}{}
				} else {
					cli <- struct{}{}
					if g.got {
						c.CallbackOnWritable() // to close after the greeting
					}
				}
			case lws.CallbackClientReceive:
				g := c.User().(*greeter)
				if string(in) == "greeting" && !g.got {
					g.got = true
					cliGot <- struct{}{}
					if g.greeted {
						return errProbeDone
					}
				}
			}
			return nil
		},
	}
}

// TestWriteableRequestedWhenEstablishedIsDelivered checks the rule a
// protocol that speaks first relies on (lws-status sends its first status
// so): a WRITEABLE asked for from ESTABLISHED, on a server connection that
// has just upgraded, or from CLIENT_ESTABLISHED, on a client that has just
// read the server's 101, is always delivered, whatever the other
// connections of the loop are doing meanwhile: timers asking for
// WRITEABLE, messages in both directions, WRITEABLEs served in the same
// passes. Each round gives the delivery a deadline; the rounds vary how
// the new connection's passes line up with the others' activity.
func TestWriteableRequestedWhenEstablishedIsDelivered(t *testing.T) {
	const (
		rounds   = 100
		others   = 4 // busy connections of each kind
		deadline = 5 * time.Second
	)
	forEachBackend(t, func(t *testing.T, backend string) {
		srvGreeted := make(chan struct{}, 2*rounds)
		cliGreeted := make(chan struct{}, rounds)
		cliGot := make(chan struct{}, rounds)
		up := make(chan struct{}, 3*others)
		var vh, cv *lws.Vhost
		r := newContext(t, lws.ContextInfo{EventLib: backend}, func(cx *lws.Context) {
			vh = wsVhost(t, cx, lws.Protocol{Name: "http", Callback: lws.CallbackHTTPDummy},
				busyProtocol(up), probeProtocol(srvGreeted, cliGreeted, cliGot))
			var err error
			cv, err = cx.CreateVhost(lws.VhostInfo{Name: "clients", Port: lws.PortNoListen,
				Protocols: []lws.Protocol{busyProtocol(up), probeProtocol(srvGreeted, cliGreeted, cliGot)}})
			if err != nil {
				t.Fatal(err)
			}
		})
		connect := func(protocol string) {
			r.do(func() {
				if _, err := r.cx.ClientConnect(lws.ClientConnectInfo{Vhost: cv, Address: "127.0.0.1",
					Port: vh.Port(), Protocol: protocol, LocalProtocolName: protocol}); err != nil {
					t.Error(err)
				}
			})
		}
		await := func(ch <-chan struct{}, round int, what string) {
			t.Helper()
			select {
			case <-ch:
			case <-time.After(deadline):
				t.Fatalf("round %d: %s", round, what)
			}
		}

		// The other connections: busy clients of the loop, and busy peers
		// from outside that both send and read.
		for range others {
			connect("busy")
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		defer func() { close(stop); wg.Wait() }()
		for range others {
			d := websocket.Dialer{Subprotocols: []string{"busy"}, HandshakeTimeout: deadline}
			conn, _, err := d.Dial(wsURL(vh), nil)
			if err != nil {
				t.Fatal(err)
			}
			wg.Add(2)
			go func() {
				defer wg.Done()
				for {
					if _, _, err := conn.ReadMessage(); err != nil {
						return
					}
				}
			}()
			go func() {
				defer wg.Done()
				defer conn.Close()
				tick := time.NewTicker(time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-stop:
						return
					case <-tick.C:
					}
					if err := conn.WriteMessage(websocket.TextMessage, []byte("x")); err != nil {
						return
					}
				}
			}()
		}

		// Both ends of the loop's clients, and the outside peers' ends.
		for range 3 * others {
			await(up, -1, "a busy connection was not established")
		}

		for round := range rounds {
			// A server connection: a peer from outside upgrades to probe.
			d := websocket.Dialer{Subprotocols: []string{"probe"}, HandshakeTimeout: deadline}
			conn, _, err := d.Dial(wsURL(vh), nil)
			if err != nil {
				t.Fatal(err)
			}
			await(srvGreeted, round, "the server's WRITEABLE asked for in ESTABLISHED was not delivered")
			_ = conn.SetReadDeadline(time.Now().Add(deadline))
			if _, p, err := conn.ReadMessage(); err != nil || string(p) != "greeting" {
				t.Fatalf("round %d: the client read %q, %v", round, p, err)
			}
			conn.Close()

			// A client connection of the loop, to the loop's own server:
			// both ends ask from their ESTABLISHED reason.
			connect("probe")
			await(cliGreeted, round, "the client's WRITEABLE asked for in CLIENT_ESTABLISHED was not delivered")
			await(srvGreeted, round, "the server's WRITEABLE asked for in ESTABLISHED (to a client of the loop) was not delivered")
			await(cliGot, round, "the client did not receive the server's greeting")
		}
	})
}
