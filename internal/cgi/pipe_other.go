//go:build unix && !linux

package cgi

import "syscall"

// pipeCloexec creates a pipe whose ends are close-on-exec. Without pipe2
// the flag is set afterwards, holding syscall.ForkLock so that no fork
// in between lets the ends escape into another child.
func pipeCloexec(p *[2]int) error {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	if err := syscall.Pipe(p[:]); err != nil {
		return err
	}
	syscall.CloseOnExec(p[0])
	syscall.CloseOnExec(p[1])
	return nil
}
