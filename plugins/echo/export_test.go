package echo

// EmptyPool drops the buffers the pool keeps, so that a test measuring
// the heap starts from none.
func EmptyPool() {
	pool.Lock()
	clear(pool.free)
	pool.free, pool.bytes = pool.free[:0], 0
	pool.Unlock()
}

// PoolMaxBytes is the most the pool keeps, in all.
const PoolMaxBytes = poolMaxBytes
