//go:build !windows && !plan9

package lws

import "log/syslog"

// newSyslogEmitter dials syslog on network and raddr (the local daemon when
// both are empty) and returns an emitter writing to it along with a
// function that closes the connection.
func newSyslogEmitter(network, raddr, tag string) (Emitter, func() error, error) {
	w, err := syslog.Dial(network, raddr, syslog.LOG_USER|syslog.LOG_NOTICE, tag)
	if err != nil {
		return nil, nil, err
	}
	emit := func(level LogLevel, line string) {
		switch level {
		case LogErr:
			_ = w.Err(line)
		case LogWarn:
			_ = w.Warning(line)
		case LogNotice:
			_ = w.Notice(line)
		case LogInfo:
			_ = w.Info(line)
		default:
			_ = w.Debug(line)
		}
	}
	return emit, w.Close, nil
}
