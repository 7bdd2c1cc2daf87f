//go:build !unix

package poll

// defaultBackend names the portable backend, which this platform lacks.
const defaultBackend = "poll"

// backends is empty: New fails on platforms without poll(2).
var backends []backend
