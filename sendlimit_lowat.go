//go:build linux || darwin

package lws

import "golang.org/x/sys/unix"

// setNotsentLowat sets TCP_NOTSENT_LOWAT; on a socket that is not TCP the
// call fails and changes nothing.
func setNotsentLowat(fd, n int) {
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NOTSENT_LOWAT, n)
}
