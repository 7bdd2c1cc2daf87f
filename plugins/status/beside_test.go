package status

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/golws/lws"
	"github.com/golws/lws/internal/looptest"
	"github.com/golws/lws/plugins/dumbincrement"
	"github.com/golws/lws/plugins/mirror"
)

// TestStatusBesideOtherConnections is the test site's situation: a
// dumb-increment counter (its timer asks for WRITEABLE, here every
// millisecond rather than the site's 50 so that the rounds meet its
// ticks) or a mirror client sending all the time is open on the vhost,
// and lws-status clients come and go. Each newcomer must receive its first status, which
// it owes to the WRITEABLE the protocol asks for from ESTABLISHED, at
// once: the rounds repeat the sequence so that any timing in which that
// request is lost shows, and each round has its deadline.
func TestStatusBesideOtherConnections(t *testing.T) {
	const rounds = 100
	forEachBackend(t, func(t *testing.T, backend string) {
		cx, err := lws.NewContext(lws.ContextInfo{EventLib: backend})
		if err != nil {
			t.Fatal(err)
		}
		vh, err := cx.CreateVhost(lws.VhostInfo{Name: "site", Port: lws.PortAny, Iface: "127.0.0.1",
			ProtocolOptions: map[string]map[string]string{dumbincrement.Name: {"interval-ms": "1"}},
			Protocols: []lws.Protocol{{Name: "http-only", Callback: lws.CallbackHTTPDummy},
				dumbincrement.Protocol(), mirror.Protocol(), Protocol()}})
		if err != nil {
			cx.Destroy()
			t.Fatal(err)
		}
		looptest.Run(t, cx)
		addr := "127.0.0.1:" + strconv.Itoa(vh.Port())
		for _, other := range []string{dumbincrement.Name, mirror.Name} {
			t.Run(other, func(t *testing.T) {
				d := websocket.Dialer{Subprotocols: []string{other}, HandshakeTimeout: ioTimeout}
				oc, _, err := d.Dial("ws://"+addr+"/", nil)
				if err != nil {
					t.Fatal(err)
				}
				// The other connection is at work before the first round:
				// the counter has counted, the mirror has echoed.
				_ = oc.SetReadDeadline(time.Now().Add(ioTimeout))
				if other == mirror.Name {
					if err := oc.WriteMessage(websocket.TextMessage, []byte("d 0 0 1 1;")); err != nil {
						t.Fatal(err)
					}
				}
				if _, _, err := oc.ReadMessage(); err != nil {
					t.Fatal(err)
				}
				_ = oc.SetReadDeadline(time.Time{})
				stop := make(chan struct{})
				var wg sync.WaitGroup
				defer func() { close(stop); wg.Wait() }()
				wg.Add(2)
				go func() { // the counter's numbers, the mirror's echoes
					defer wg.Done()
					for {
						if _, _, err := oc.ReadMessage(); err != nil {
							return
						}
					}
				}()
				go func() {
					defer wg.Done()
					defer oc.Close()
					if other != mirror.Name {
						<-stop
						return
					}
					tick := time.NewTicker(time.Millisecond)
					defer tick.Stop()
					for {
						select {
						case <-stop:
							return
						case <-tick.C:
						}
						if err := oc.WriteMessage(websocket.TextMessage, []byte("d 0 0 1 1;")); err != nil {
							return
						}
					}
				}()

				for round := range rounds {
					ua := fmt.Sprintf("round-%d", round)
					sd := websocket.Dialer{Subprotocols: []string{Name}, HandshakeTimeout: ioTimeout}
					sc, _, err := sd.Dial("ws://"+addr+"/", http.Header{"User-Agent": {ua}})
					if err != nil {
						t.Fatal(err)
					}
					// The deadline of this round: far beyond the moment the
					// status is sent, which is at once.
					_ = sc.SetReadDeadline(time.Now().Add(5 * time.Second))
					_, p, err := sc.ReadMessage()
					if err != nil {
						sc.Close()
						t.Fatalf("round %d: no status beside an open %s connection: %v", round, other, err)
					}
					m, err := decode(p)
					if err != nil {
						t.Fatalf("round %d: status %q: %v", round, p, err)
					}
					// Earlier rounds' clients may not be gone yet: the
					// newcomer is listed first, the newest.
					if len(m.Conns) == 0 || m.Conns[0].UA != ua || m.WSI != strconv.Itoa(len(m.Conns)) {
						t.Fatalf("round %d: status lists %q (wsi %s), want %q first", round, m.uas(), m.WSI, ua)
					}
					sc.Close()
				}
			})
		}
	})
}
