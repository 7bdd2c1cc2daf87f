package lws

// WriteCalls returns how many write system calls cx's loop has made; call
// it on the loop.
func WriteCalls(cx *Context) uint64 { return cx.loop.writeCalls }

// HeaderTables returns how many header tables cx's loop has in use and
// how many connections wait for one; call it on the loop.
func HeaderTables(cx *Context) (inUse, waiting int) {
	return cx.loop.ah.inUse, len(cx.loop.ah.waiting)
}
