//go:build windows || plan9

package lws

import (
	"errors"
	"runtime"
)

// newSyslogEmitter always fails: log/syslog does not exist on this system.
func newSyslogEmitter(network, raddr, tag string) (Emitter, func() error, error) {
	return nil, nil, errors.New("lws: syslog is not supported on " + runtime.GOOS)
}
