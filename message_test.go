package lws_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/golws/lws"
)

func TestMessageBufferGathersWholeMessages(t *testing.T) {
	rec := newRecorder()
	type session struct{ mb lws.MessageBuffer }
	proto := lws.Protocol{
		Name:         "whole",
		RxBufferSize: 100, // messages arrive in many pieces
		NewSession:   func() any { return &session{mb: lws.MessageBuffer{Limit: 10000}} },
		Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
			if reason != lws.CallbackReceive {
				return nil
			}
			msg, binary, complete, err := c.User().(*session).mb.Receive(c, in)
			if err != nil {
				return err
			}
			if complete {
				rec.add(fmt.Sprintf("message %d binary=%v sum=%d", len(msg), binary, sum(msg)))
			}
			return nil
		},
	}
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) { vh = wsVhost(t, cx, proto) })
	conn, _, err := websocket.DefaultDialer.Dial(wsURL(vh), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, size := range []int{5, 999, 10000} {
		msg := bytes.Repeat([]byte{3}, size)
		if err := conn.WriteMessage(websocket.BinaryMessage, msg); err != nil {
			t.Fatal(err)
		}
		if got, want := rec.await(t, "message"), fmt.Sprintf("message %d binary=true sum=%d", size, 3*size); got != want {
			t.Fatalf("%s, want %s", got, want)
		}
	}
	if err := conn.WriteMessage(websocket.TextMessage, bytes.Repeat([]byte("x"), 10001)); err != nil {
		t.Fatal(err)
	}
	_, _, err = conn.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 1009 {
		t.Fatalf("over the limit: %v, want close 1009", err)
	}
}

func sum(b []byte) int {
	s := 0
	for _, x := range b {
		s += int(x)
	}
	return s
}
