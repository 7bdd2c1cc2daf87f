package lws

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// allLogLevels lists every defined level with its name and tag.
var allLogLevels = []struct {
	level LogLevel
	name  string
	tag   byte
}{
	{LogErr, "ERR", 'E'},
	{LogWarn, "WARN", 'W'},
	{LogNotice, "NOTICE", 'N'},
	{LogInfo, "INFO", 'I'},
	{LogDebug, "DEBUG", 'D'},
	{LogParser, "PARSER", 'P'},
	{LogHeader, "HEADER", 'H'},
	{LogExt, "EXT", 'X'},
	{LogClient, "CLIENT", 'C'},
	{LogLatency, "LATENCY", 'L'},
	{LogUser, "USER", 'U'},
}

// keepLogState restores the global mask, emitter and stderr writer when
// the test ends.
func keepLogState(t *testing.T) {
	t.Helper()
	mask := logMask.Load()
	emit := logEmit.Load()
	w := stderrWriter
	t.Cleanup(func() {
		logMask.Store(mask)
		logEmit.Store(emit)
		stderrWriter = w
	})
}

type loggedLine struct {
	level LogLevel
	line  string
}

// logRecorder is an Emitter target that keeps every line it receives.
type logRecorder struct {
	mu    sync.Mutex
	lines []loggedLine
}

func (r *logRecorder) emit(level LogLevel, line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, loggedLine{level, line})
}

func (r *logRecorder) got() []loggedLine {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]loggedLine(nil), r.lines...)
}

// logCountingStringer counts how often it is formatted.
type logCountingStringer struct{ n *atomic.Int32 }

func (c logCountingStringer) String() string {
	c.n.Add(1)
	return "formatted"
}

func TestDefaultLogLevel(t *testing.T) {
	if DefaultLogLevel != 7 {
		t.Fatalf("DefaultLogLevel = %d, want 7", DefaultLogLevel)
	}
	for i, l := range allLogLevels {
		if l.level != 1<<i {
			t.Errorf("%s = %d, want %d", l.name, l.level, 1<<i)
		}
	}
}

func TestLogMaskFiltering(t *testing.T) {
	keepLogState(t)
	var rec logRecorder
	SetLogLevel(LogErr|LogNotice|LogUser, rec.emit)

	var calls atomic.Int32
	arg := logCountingStringer{&calls}
	Warnf("warn %v", arg)
	Infof("info %v", arg)
	Debugf("debug %v", arg)
	Logf(LogParser, "parser %v", arg)
	Logf(0, "none %v", arg)
	if n := calls.Load(); n != 0 {
		t.Fatalf("hidden levels formatted their arguments %d times", n)
	}
	if got := rec.got(); len(got) != 0 {
		t.Fatalf("hidden levels reached the emitter: %v", got)
	}

	Errf("err %v", arg)
	Noticef("notice %v\n", arg)
	Userf("user %d", 42)
	Logf(LogWarn|LogNotice, "set %v", arg) // emitted at the visible bit
	if n := calls.Load(); n != 3 {
		t.Fatalf("visible levels formatted %d times, want 3", n)
	}
	want := []loggedLine{
		{LogErr, "err formatted"},
		{LogNotice, "notice formatted"},
		{LogUser, "user 42"},
		{LogNotice, "set formatted"},
	}
	if got := rec.got(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("emitted %v, want %v", got, want)
	}
}

func TestLogVisible(t *testing.T) {
	keepLogState(t)
	SetLogLevel(LogWarn|LogDebug, nil)
	for _, l := range allLogLevels {
		want := l.level == LogWarn || l.level == LogDebug
		if got := LogVisible(l.level); got != want {
			t.Errorf("LogVisible(%s) = %v, want %v", l.name, got, want)
		}
	}
	if !LogVisible(LogErr | LogDebug) {
		t.Error("LogVisible(ERR|DEBUG) = false, want true")
	}
	if LogVisible(0) {
		t.Error("LogVisible(0) = true, want false")
	}
}

func TestLogfLowestVisibleBit(t *testing.T) {
	keepLogState(t)
	var rec logRecorder
	SetLogLevel(LogWarn|LogInfo|LogDebug, rec.emit)
	Logf(LogErr|LogInfo|LogDebug, "x")
	got := rec.got()
	if len(got) != 1 || got[0].level != LogInfo {
		t.Fatalf("emitted %v, want one line at INFO", got)
	}
}

func TestLogTrailingNewline(t *testing.T) {
	keepLogState(t)
	var rec logRecorder
	SetLogLevel(LogNotice, rec.emit)
	Noticef("one\n")
	Noticef("two")
	Noticef("three\n\n")
	Noticef("%s", "four\n")
	want := []string{"one", "two", "three\n", "four"}
	got := rec.got()
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d", len(got), len(want))
	}
	for i, g := range got {
		if g.line != want[i] {
			t.Errorf("line %d = %q, want %q", i, g.line, want[i])
		}
	}
}

func TestSetLogLevelNilEmitterKeepsCurrent(t *testing.T) {
	keepLogState(t)
	var first, second logRecorder
	SetLogLevel(LogErr, first.emit)
	SetLogLevel(LogErr|LogWarn, nil)
	Warnf("w")
	Errf("e")
	if got := first.got(); len(got) != 2 {
		t.Fatalf("first emitter got %v, want 2 lines", got)
	}
	SetLogLevel(LogErr, second.emit)
	Errf("e2")
	if len(first.got()) != 2 || len(second.got()) != 1 {
		t.Fatalf("after replacing: first %v, second %v", first.got(), second.got())
	}
}

func TestDefaultEmitterIsStderr(t *testing.T) {
	keepLogState(t)
	var buf bytes.Buffer
	stderrWriter = &buf
	logEmit.Store(nil)
	SetLogLevel(DefaultLogLevel, nil)
	Noticef("hello\n")
	re := regexp.MustCompile(`^\[\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}:\d{4}\] N: hello\n$`)
	if !re.Match(buf.Bytes()) {
		t.Fatalf("default emitter wrote %q", buf.String())
	}
}

// logWriteCounter records each Write call separately.
type logWriteCounter struct{ writes []string }

func (w *logWriteCounter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, string(p))
	return len(p), nil
}

func TestEmitStderrFormat(t *testing.T) {
	keepLogState(t)
	var w logWriteCounter
	stderrWriter = &w
	EmitStderr(LogNotice, "hello")
	if len(w.writes) != 1 {
		t.Fatalf("EmitStderr made %d writes, want 1", len(w.writes))
	}
	re := regexp.MustCompile(`^\[\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}:\d{4}\] N: hello\n$`)
	if !re.MatchString(w.writes[0]) {
		t.Fatalf("EmitStderr wrote %q", w.writes[0])
	}
}

func TestEmitStderrTimestamp(t *testing.T) {
	now := time.Date(2024, 5, 1, 13, 2, 3, 123456789, time.Local)
	got := string(appendStderrLine(nil, now, LogWarn, "msg"))
	if want := "[2024/05/01 13:02:03:1234] W: msg\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	now = time.Date(2009, 1, 2, 3, 4, 5, 7000000, time.Local)
	got = string(appendStderrLine(nil, now, LogErr, ""))
	if want := "[2009/01/02 03:04:05:0070] E: \n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestEmitStderrTags(t *testing.T) {
	keepLogState(t)
	var mask LogLevel
	for _, l := range allLogLevels {
		mask |= l.level
	}
	var buf bytes.Buffer
	stderrWriter = &buf
	SetLogLevel(mask, EmitStderr)
	for _, l := range allLogLevels {
		buf.Reset()
		Logf(l.level, "text %s", l.name)
		want := fmt.Sprintf("] %c: text %s\n", l.tag, l.name)
		if !strings.HasSuffix(buf.String(), want) {
			t.Errorf("%s: wrote %q, want suffix %q", l.name, buf.String(), want)
		}
	}
	buf.Reset()
	EmitStderr(1<<20, "odd")
	if !strings.HasSuffix(buf.String(), "] ?: odd\n") {
		t.Errorf("undefined level wrote %q", buf.String())
	}
}

func TestLogLevelString(t *testing.T) {
	for _, l := range allLogLevels {
		if got := l.level.String(); got != l.name {
			t.Errorf("%d.String() = %q, want %q", uint32(l.level), got, l.name)
		}
	}
	tests := []struct {
		l    LogLevel
		want string
	}{
		{0, "0"},
		{DefaultLogLevel, "ERR|WARN|NOTICE"},
		{LogUser | LogErr, "ERR|USER"},
		{LogDebug | LogParser | LogHeader, "DEBUG|PARSER|HEADER"},
		{1 << 11, "0x800"},
		{LogInfo | 1<<12 | 1<<31, "INFO|0x80001000"},
	}
	for _, tt := range tests {
		if got := tt.l.String(); got != tt.want {
			t.Errorf("LogLevel(%#x).String() = %q, want %q", uint32(tt.l), got, tt.want)
		}
	}
	if got := fmt.Sprint(LogWarn | LogExt); got != "WARN|EXT" {
		t.Errorf("fmt.Sprint = %q", got)
	}
}

// slogRecordHandler is a slog.Handler that keeps the records it handles.
type slogRecordHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *slogRecordHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *slogRecordHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Clone())
	return nil
}

func (h *slogRecordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *slogRecordHandler) WithGroup(string) slog.Handler      { return h }

func TestSlogEmitter(t *testing.T) {
	keepLogState(t)
	h := &slogRecordHandler{}
	var mask LogLevel
	for _, l := range allLogLevels {
		mask |= l.level
	}
	SetLogLevel(mask, SlogEmitter(slog.New(h)))

	wantLevel := map[LogLevel]slog.Level{
		LogErr:     slog.LevelError,
		LogWarn:    slog.LevelWarn,
		LogNotice:  slog.LevelInfo,
		LogInfo:    slog.LevelInfo,
		LogDebug:   slog.LevelDebug,
		LogParser:  slog.LevelDebug,
		LogHeader:  slog.LevelDebug,
		LogExt:     slog.LevelDebug,
		LogClient:  slog.LevelDebug,
		LogLatency: slog.LevelDebug,
		LogUser:    slog.LevelInfo,
	}
	for _, l := range allLogLevels {
		Logf(l.level, "msg %s\n", l.name)
	}
	if len(h.records) != len(allLogLevels) {
		t.Fatalf("got %d records, want %d", len(h.records), len(allLogLevels))
	}
	for i, r := range h.records {
		l := allLogLevels[i]
		if r.Level != wantLevel[l.level] {
			t.Errorf("%s: slog level %v, want %v", l.name, r.Level, wantLevel[l.level])
		}
		if want := "msg " + l.name; r.Message != want {
			t.Errorf("%s: message %q, want %q", l.name, r.Message, want)
		}
		var attrs []string
		r.Attrs(func(a slog.Attr) bool {
			attrs = append(attrs, a.Key+"="+a.Value.String())
			return true
		})
		if want := "lws=" + l.name; len(attrs) != 1 || attrs[0] != want {
			t.Errorf("%s: attributes %v, want [%s]", l.name, attrs, want)
		}
	}
}

func TestSlogEmitterNilUsesDefault(t *testing.T) {
	keepLogState(t)
	old := slog.Default()
	t.Cleanup(func() { slog.SetDefault(old) })
	h := &slogRecordHandler{}
	emit := SlogEmitter(nil)
	slog.SetDefault(slog.New(h)) // set after creating the emitter
	emit(LogWarn, "to default")
	if len(h.records) != 1 || h.records[0].Message != "to default" || h.records[0].Level != slog.LevelWarn {
		t.Fatalf("default logger got %v", h.records)
	}
}

func TestSyslogEmitter(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		if _, err := NewSyslogEmitter("lws"); err == nil {
			t.Fatal("NewSyslogEmitter succeeded on a system without syslog")
		}
		t.Skip("no syslog on " + runtime.GOOS)
	}
	// A short directory keeps the socket path within the sockaddr limit.
	dir, err := os.MkdirTemp("", "lwslog")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "s")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })

	emit, closeFn, err := newSyslogEmitter("unixgram", path, "lwstest")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeFn() })

	const facilityUser = 1 << 3 // LOG_USER
	tests := []struct {
		level    LogLevel
		severity int
	}{
		{LogErr, 3},     // LOG_ERR
		{LogWarn, 4},    // LOG_WARNING
		{LogNotice, 5},  // LOG_NOTICE
		{LogInfo, 6},    // LOG_INFO
		{LogDebug, 7},   // LOG_DEBUG
		{LogParser, 7},  // everything else is LOG_DEBUG
		{LogLatency, 7}, //
		{LogUser, 7},    //
	}
	buf := make([]byte, 4096)
	for _, tt := range tests {
		msg := "message at " + tt.level.String()
		emit(tt.level, msg)
		if err := conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
			t.Fatal(err)
		}
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("%s: %v", tt.level, err)
		}
		got := string(buf[:n])
		prio := fmt.Sprintf("<%d>", facilityUser|tt.severity)
		if !strings.HasPrefix(got, prio) {
			t.Errorf("%s: datagram %q does not start with %s", tt.level, got, prio)
		}
		if !strings.Contains(got, "lwstest[") || !strings.Contains(got, msg) {
			t.Errorf("%s: datagram %q lacks tag or message", tt.level, got)
		}
	}
}

func TestLogConcurrent(t *testing.T) {
	keepLogState(t)
	var count atomic.Int64
	var bad atomic.Value
	emitA := func(level LogLevel, line string) {
		if level&(level-1) != 0 || !strings.HasPrefix(line, "line ") {
			bad.Store(fmt.Sprintf("%v %q", level, line))
		}
		count.Add(1)
	}
	emitB := func(level LogLevel, line string) { emitA(level, line) }

	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for j := 0; ; j++ {
				select {
				case <-stop:
					return
				default:
				}
				switch j % 3 {
				case 0:
					SetLogLevel(LogErr|LogInfo, emitA)
				case 1:
					SetLogLevel(LogWarn|LogDebug, emitB)
				default:
					SetLogLevel(LogErr|LogWarn|LogInfo|LogDebug|LogUser, nil)
				}
			}
		})
	}
	var loggers sync.WaitGroup
	for i := range 8 {
		loggers.Go(func() {
			for j := range 2000 {
				_ = LogVisible(LogInfo)
				Errf("line %d %d", i, j)
				Warnf("line %d %d\n", i, j)
				Infof("line %d", j)
				Debugf("line %d", j)
				Userf("line %d", j)
			}
		})
	}
	loggers.Wait()
	close(stop)
	wg.Wait()
	if v := bad.Load(); v != nil {
		t.Fatalf("emitter received a bad call: %v", v)
	}

	// The final state must take effect for everyone.
	before := count.Load()
	SetLogLevel(LogErr, emitA)
	Errf("line last")
	Warnf("line hidden")
	if got := count.Load() - before; got != 1 {
		t.Fatalf("after the last SetLogLevel %d lines were emitted, want 1", got)
	}
}

func TestLibraryLogf(t *testing.T) {
	keepLogState(t)
	var rec logRecorder
	SetLogLevel(LogParser, rec.emit)
	var calls atomic.Int32
	logf(LogHeader, "hidden %v", logCountingStringer{&calls})
	logf(LogParser, "state %d\n", 3)
	if calls.Load() != 0 {
		t.Error("hidden library line was formatted")
	}
	if got := rec.got(); len(got) != 1 || got[0] != (loggedLine{LogParser, "state 3"}) {
		t.Fatalf("emitted %v", got)
	}
}
