module github.com/golws/lws

go 1.26.0

require (
	github.com/coder/websocket v1.8.15
	github.com/gorilla/websocket v1.5.3
	github.com/klauspost/compress v1.20.5
	golang.org/x/sys v0.50.0
)

require (
	golang.org/x/net v0.63.0
	golang.org/x/text v0.44.0 // indirect
)
