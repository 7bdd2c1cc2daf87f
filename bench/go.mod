module github.com/golws/lws/bench

go 1.26.0

replace github.com/golws/lws => ../

require (
	github.com/coder/websocket v1.8.15
	github.com/golws/lws v0.0.0-00010101000000-000000000000
	github.com/gorilla/websocket v1.5.3
	github.com/lesismal/nbio v1.6.7
)

require (
	github.com/klauspost/compress v1.20.5 // indirect
	github.com/lesismal/llib v1.2.2 // indirect
	golang.org/x/crypto v0.59.0 // indirect
	golang.org/x/net v0.63.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/text v0.44.0 // indirect
)
