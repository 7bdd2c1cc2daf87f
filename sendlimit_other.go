//go:build !linux && !darwin

package lws

// setNotsentLowat does nothing where the kernel has no TCP_NOTSENT_LOWAT:
// there the socket's send buffer is the only bound.
func setNotsentLowat(fd, n int) {}
