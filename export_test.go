package lws

// WriteCalls returns how many write system calls cx's loop has made; call
// it on the loop.
func WriteCalls(cx *Context) uint64 { return cx.loop.writeCalls }
