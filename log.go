package lws

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/bits"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// LogLevel is a bit set of lws log levels. A single bit names one level;
// several bits together form the mask passed to [SetLogLevel].
type LogLevel uint32

// The lws log levels, with the same bit values as the C library.
const (
	LogErr     LogLevel = 1 << iota // errors (tag E)
	LogWarn                         // warnings (tag W)
	LogNotice                       // notable but normal events (tag N)
	LogInfo                         // informational messages (tag I)
	LogDebug                        // debugging detail (tag D)
	LogParser                       // protocol parser tracing (tag P)
	LogHeader                       // HTTP header tracing (tag H)
	LogExt                          // extension tracing (tag X)
	LogClient                       // client connection tracing (tag C)
	LogLatency                      // latency measurements (tag L)
	LogUser                         // messages from application code (tag U)
)

// DefaultLogLevel is the mask in effect until [SetLogLevel] is called:
// errors, warnings and notices.
const DefaultLogLevel = LogErr | LogWarn | LogNotice

// logLevelCount is the number of defined level bits.
const logLevelCount = 11

var logLevelNames = [logLevelCount]string{
	"ERR", "WARN", "NOTICE", "INFO", "DEBUG", "PARSER",
	"HEADER", "EXT", "CLIENT", "LATENCY", "USER",
}

var logLevelTags = [logLevelCount]byte{
	'E', 'W', 'N', 'I', 'D', 'P', 'H', 'X', 'C', 'L', 'U',
}

// String returns the name of a single level ("ERR", "WARN", ...). For a set
// of levels it returns the names of the bits joined with "|", lowest bit
// first. Bits outside the defined levels are shown as one hexadecimal
// number, and the empty set is "0".
func (l LogLevel) String() string {
	if l == 0 {
		return "0"
	}
	if l&(l-1) == 0 && l < 1<<logLevelCount {
		return logLevelNames[bits.TrailingZeros32(uint32(l))]
	}
	var sb strings.Builder
	for i, name := range logLevelNames {
		if l&(1<<i) == 0 {
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte('|')
		}
		sb.WriteString(name)
	}
	if rest := l &^ (1<<logLevelCount - 1); rest != 0 {
		if sb.Len() > 0 {
			sb.WriteByte('|')
		}
		sb.WriteString("0x")
		sb.WriteString(strconv.FormatUint(uint64(rest), 16))
	}
	return sb.String()
}

// tag returns the one-letter tag lws prints for a level: the tag of its
// lowest set bit, or '?' when no defined bit is set.
func (l LogLevel) tag() byte {
	n := bits.TrailingZeros32(uint32(l))
	if n >= logLevelCount {
		return '?'
	}
	return logLevelTags[n]
}

// Emitter receives one formatted line (no trailing newline) at one level.
// The level always has exactly one bit set when called by this package.
// An emitter may be called from several goroutines at once, so it must be
// safe for concurrent use, and it must not panic.
type Emitter func(level LogLevel, line string)

var (
	// logMask holds the visible levels; set to DefaultLogLevel in init.
	logMask atomic.Uint32
	// logEmit holds the current emitter; nil means EmitStderr.
	logEmit atomic.Pointer[Emitter]
)

func init() {
	logMask.Store(uint32(DefaultLogLevel))
}

// SetLogLevel sets the process-wide mask of visible levels and the emitter
// that receives their lines. A nil emit keeps the current emitter. It is
// safe to call from any goroutine, also while other goroutines log.
func SetLogLevel(mask LogLevel, emit Emitter) {
	if emit != nil {
		logEmit.Store(&emit)
	}
	logMask.Store(uint32(mask))
}

// LogVisible reports whether any of the bits in level is enabled in the
// current mask. It costs one atomic load, so hot paths can call it before
// doing any work to build a message.
func LogVisible(level LogLevel) bool {
	return LogLevel(logMask.Load())&level != 0
}

// stderrWriter is where EmitStderr writes; tests replace it.
var stderrWriter io.Writer = os.Stderr

// EmitStderr is the default emitter. It writes the line to standard error
// in the lws format, prefixed with the local date and time (to 1/10000 of a
// second) and the one-letter level tag, for example
//
//	[2024/05/01 13:02:03:1234] N: message
//
// Each line, newline included, is written with a single Write call.
func EmitStderr(level LogLevel, line string) {
	buf := make([]byte, 0, len("[2006/01/02 15:04:05:0000] X: \n")+len(line))
	_, _ = stderrWriter.Write(appendStderrLine(buf, time.Now(), level, line))
}

// appendStderrLine appends the EmitStderr form of line to b.
func appendStderrLine(b []byte, now time.Time, level LogLevel, line string) []byte {
	b = append(b, '[')
	b = now.AppendFormat(b, "2006/01/02 15:04:05")
	frac := now.Nanosecond() / 100000 // units of 1/10000 s
	b = append(b, ':',
		byte('0'+frac/1000), byte('0'+frac/100%10),
		byte('0'+frac/10%10), byte('0'+frac%10),
		']', ' ', level.tag(), ':', ' ')
	b = append(b, line...)
	return append(b, '\n')
}

// NewSyslogEmitter returns an emitter that sends lines to the local syslog
// daemon through [log/syslog], with facility LOG_USER and the given tag
// (the program name when tag is empty). Levels map to syslog severities as
// in lws: ERR to LOG_ERR, WARN to LOG_WARNING, NOTICE to LOG_NOTICE, INFO
// to LOG_INFO and every other level to LOG_DEBUG. The connection stays open
// for the life of the process.
//
// Syslog is unavailable on Windows and Plan 9, where NewSyslogEmitter
// always returns an error.
func NewSyslogEmitter(tag string) (Emitter, error) {
	emit, _, err := newSyslogEmitter("", "", tag)
	return emit, err
}

// SlogEmitter returns an emitter that forwards lines to l (or to
// [slog.Default] at the time of each call when l is nil). Levels map to
// slog levels as follows: ERR to [slog.LevelError], WARN to
// [slog.LevelWarn], NOTICE, INFO and USER to [slog.LevelInfo], and every
// other level to [slog.LevelDebug]. Each record carries an attribute "lws"
// holding the lws level name, so that for instance NOTICE and INFO remain
// distinguishable.
func SlogEmitter(l *slog.Logger) Emitter {
	return func(level LogLevel, line string) {
		lg := l
		if lg == nil {
			lg = slog.Default()
		}
		lg.LogAttrs(context.Background(), slogLevel(level), line,
			slog.String("lws", level.String()))
	}
}

// slogLevel maps an lws level to a slog level.
func slogLevel(level LogLevel) slog.Level {
	switch level {
	case LogErr:
		return slog.LevelError
	case LogWarn:
		return slog.LevelWarn
	case LogNotice, LogInfo, LogUser:
		return slog.LevelInfo
	default:
		return slog.LevelDebug
	}
}

// Logf formats a message in the manner of [fmt.Sprintf] and emits it at
// level, if level is visible. Nothing is formatted otherwise. A single
// trailing newline in the result is dropped. When level has several bits
// set, the line is emitted once, at the lowest of them that is visible.
func Logf(level LogLevel, format string, args ...any) {
	level &= LogLevel(logMask.Load())
	if level == 0 {
		return
	}
	level &= -level // keep the lowest (most severe) visible bit
	emitLine(level, fmt.Sprintf(format, args...))
}

// logf is the logging entry point used inside the library.
func logf(level LogLevel, format string, args ...any) {
	Logf(level, format, args...)
}

// emitLine hands a formatted line to the current emitter.
func emitLine(level LogLevel, line string) {
	line = strings.TrimSuffix(line, "\n")
	if p := logEmit.Load(); p != nil {
		(*p)(level, line)
		return
	}
	EmitStderr(level, line)
}

// Errf logs at [LogErr]; see [Logf].
func Errf(format string, args ...any) { Logf(LogErr, format, args...) }

// Warnf logs at [LogWarn]; see [Logf].
func Warnf(format string, args ...any) { Logf(LogWarn, format, args...) }

// Noticef logs at [LogNotice]; see [Logf].
func Noticef(format string, args ...any) { Logf(LogNotice, format, args...) }

// Infof logs at [LogInfo]; see [Logf].
func Infof(format string, args ...any) { Logf(LogInfo, format, args...) }

// Debugf logs at [LogDebug]; see [Logf].
func Debugf(format string, args ...any) { Logf(LogDebug, format, args...) }

// Userf logs at [LogUser], the level meant for application code; see [Logf].
func Userf(format string, args ...any) { Logf(LogUser, format, args...) }
