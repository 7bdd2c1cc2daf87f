package lws

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golws/lws/internal/poll"
	"golang.org/x/sys/unix"
)

// Event loop backends selectable with ContextInfo.EventLib.
const (
	// EventLibEpoll is Linux's epoll, edge-triggered: the default on Linux.
	EventLibEpoll = "epoll"
	// EventLibPoll is poll(2), level-triggered and portable.
	EventLibPoll = "poll"
)

// ContextInfo configures a Context (the context-scope members of lws's
// struct lws_context_creation_info). The zero value is usable.
type ContextInfo struct {
	// EventLib selects the readiness backend: EventLibEpoll, EventLibPoll, or
	// "" for the platform default.
	EventLib string
	// ServiceBufferSize is the size of the loop's shared read buffer (lws's
	// pt_serv_buf_size): the most that one read of one connection takes
	// in. Zero means 4096, lws's default; larger values trade memory for
	// fewer system calls on bulk transfers.
	ServiceBufferSize int
	// ReadBufferSize is how much one read of a framed (WebSocket)
	// connection takes in, so that many small frames arrive with one
	// system call; callbacks are still handed at most ServiceBufferSize
	// (or the protocol's RxBufferSize) at a time, and RAW connections read
	// piece-sized. When a protocol turns reception off part-way through a
	// read, the rest of it waits in the library: at most this much per
	// connection. Zero means 16 KiB (and never less than
	// ServiceBufferSize).
	ReadBufferSize int
	// RlimitNofile, if non-zero, asks to raise the process's soft limit on
	// open files to this value (capped at the hard limit) before the
	// connection table is sized.
	RlimitNofile uint64
	// FDLimitPerThread caps the number of descriptors (connections and
	// listeners) the loop will hold. Zero means the process limit on open
	// files. At the cap, new connections are accepted and closed at once,
	// with a warning logged, and the server goes on serving the others.
	FDLimitPerThread int
	// ResolverWorkers bounds how many name resolutions for client
	// connections run at once, each on its own goroutine; further requests
	// wait in order. Zero means 4.
	ResolverWorkers int
	// MaxHTTPHeaderPool caps how many header tables (lws's "ah") exist at
	// once; a connection that needs one while all are in use stops being
	// read until one is free. Zero means the descriptor limit.
	MaxHTTPHeaderPool int
	// MaxHTTPHeaderData is the size of each header table: the most a
	// request head may hold. Zero means 4096, lws's default; a request
	// over it is answered 431.
	MaxHTTPHeaderData int
	// TimeoutSecs bounds, in seconds, how long an HTTP request may wait
	// for the next piece of its body, or for its response to start, and
	// how long a TLS handshake may take from the accept (lws's
	// timeout_secs). It also bounds what follows a completed transaction:
	// sending what the kernel had not yet taken of the response, and
	// reading and dropping an unread request body, before the next request
	// or the close. Zero means 20.
	TimeoutSecs int
	// HTTPBodyTimeout bounds how long a request body may take as a
	// whole, from the end of its head. TimeoutSecs alone bounds only the
	// wait for each piece, so a client sending a byte every few seconds
	// would keep its connection, and its header table, for ever. A body
	// still incomplete at the deadline is answered 408 (or, if the
	// response has begun, cut) and the connection closes. The deadline
	// counts while a protocol holds reception off too. Zero means no
	// deadline, as in lws, which has none.
	HTTPBodyTimeout time.Duration
	// HTTPBodyMinRate, in bytes per second, moves HTTPBodyTimeout's
	// deadline one second later for every HTTPBodyMinRate bytes of body
	// received, so that a large upload at an honest rate is not cut while
	// a trickle still is. Zero keeps the deadline fixed. It has no effect
	// without HTTPBodyTimeout.
	HTTPBodyMinRate int
	// ServerString is the Server header of HTTP responses (lws's
	// server_string). Empty means "golws"; "-" sends none.
	ServerString string
	// IPLimitAH caps how many header tables one peer address may hold at
	// once (lws's ip_limit_ah). The limit is soft: a connection over it
	// waits for one of the peer's others to finish its request head. Zero
	// means no limit.
	IPLimitAH int
	// IPLimitWSI caps how many connections one peer address may have at
	// once (lws's ip_limit_wsi). The limit is hard: connections over it
	// are closed as soon as they are accepted. Zero means no limit.
	IPLimitWSI int
	// KaTime, KaProbes and KaInterval turn on TCP keepalive for accepted
	// connections (lws's ka_time, ka_probes, ka_interval): after KaTime
	// seconds idle, KaProbes probes KaInterval seconds apart. Zero KaTime
	// leaves keepalive off.
	KaTime, KaProbes, KaInterval int
	// SendQueueLimit bounds how many bytes a TCP connection (accepted,
	// client or adopted) may have written and waiting unsent in the
	// kernel: past it the socket takes no more, the connection is choked
	// (SendPipeChoked) and gets no WRITEABLE until fewer than half as many
	// wait. So a peer that does not read costs the machine this much
	// kernel memory, plus what it lets through its window, whatever the
	// protocol has to tell it. Bytes in flight do not count. Zero means
	// DefaultSendQueueLimit (64 KiB); a negative value leaves the bound to
	// the socket's send buffer, as lws does (Linux lets it grow to 4 MiB).
	// Linux and macOS only (TCP_NOTSENT_LOWAT).
	SendQueueLimit int
	// TLSHandshakeWorkers bounds how many TLS handshakes compute at once,
	// each on its own goroutine; further ones wait, in order. A server
	// connection is queued only once its whole ClientHello has arrived,
	// and a handshake waiting for its peer gives its worker back, so
	// stalled peers cannot hold the workers. A handshake, waiting
	// included, ends within TimeoutSecs of the accept. Zero means 4.
	TLSHandshakeWorkers int
	// FileReadWorkers bounds how many reads of served files run at once
	// off the loop, each on its own goroutine. A piece of a file on disk
	// that is not in the page cache is read by one of them before it is
	// sent, so the loop never waits for the disk; further pieces wait in
	// order. lws reads files on its loop. Zero means 4.
	FileReadWorkers int
	// User is free for user code; Context.User returns it.
	User any
}

// Context is lws's struct lws_context: it owns the service loop, the
// vhosts and every connection. All of its methods, and those of Vhost and
// Conn, must be called from the goroutine servicing the loop (inside a
// callback, or the goroutine calling Run or Service), except CancelService,
// which any goroutine may call at any time. Breaking that rule is a data
// race, which the race detector (go test -race) reports.
type Context struct {
	info   ContextInfo
	loop   *loop
	vhosts []*Vhost

	cancelPending atomic.Bool
	stopPending   atomic.Bool
	destroyed     bool

	serverHeader []headerField // the server string's header, or none
	deprecated   func()        // Deprecate's done, until the last connection closes

	resolveCtx    context.Context
	resolveCancel context.CancelFunc
	fileReads     sync.WaitGroup
}

// NewContext creates a context and its service loop. Vhosts are created
// afterwards with CreateVhost (golws always works the way lws does with
// LWS_SERVER_OPTION_EXPLICIT_VHOSTS).
func NewContext(info ContextInfo) (*Context, error) {
	if info.ServiceBufferSize <= 0 {
		info.ServiceBufferSize = 4096
	}
	if info.ReadBufferSize <= 0 {
		info.ReadBufferSize = 16 << 10
	}
	info.ReadBufferSize = max(info.ReadBufferSize, info.ServiceBufferSize)
	if info.ResolverWorkers <= 0 {
		info.ResolverWorkers = 4
	}
	if info.TLSHandshakeWorkers <= 0 {
		info.TLSHandshakeWorkers = 4
	}
	if info.FileReadWorkers <= 0 {
		info.FileReadWorkers = 4
	}
	if info.TimeoutSecs <= 0 {
		info.TimeoutSecs = 20
	}
	if info.ServerString == "" {
		info.ServerString = "golws"
	}
	limit, err := fdLimit(info.RlimitNofile)
	if err != nil {
		return nil, err
	}
	if info.FDLimitPerThread > 0 && info.FDLimitPerThread < limit {
		limit = info.FDLimitPerThread
	}
	p, err := poll.New(info.EventLib)
	if err != nil {
		return nil, fmt.Errorf("lws: event loop: %w", err)
	}
	cx := &Context{info: info}
	if info.ServerString != "-" {
		f, err := newField("server", info.ServerString)
		if err != nil {
			return nil, fmt.Errorf("lws: ServerString: %w", err)
		}
		cx.serverHeader = []headerField{f}
	}
	cx.resolveCtx, cx.resolveCancel = context.WithCancel(context.Background())
	cx.loop = newLoop(cx, p, limit)
	logf(LogInfo, "lws: context created: %s backend, fd limit %d, service buffer %d",
		p.Name(), limit, info.ServiceBufferSize)
	return cx, nil
}

// fdLimit returns the process's soft limit on open files, raising it first
// towards want if asked.
func fdLimit(want uint64) (int, error) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return 0, fmt.Errorf("lws: reading RLIMIT_NOFILE: %w", err)
	}
	if want > rl.Cur {
		nl := rl
		nl.Cur = min(want, rl.Max)
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &nl); err != nil {
			logf(LogWarn, "lws: raising RLIMIT_NOFILE to %d: %v", nl.Cur, err)
		} else {
			rl = nl
		}
	}
	if rl.Cur > 1<<24 {
		rl.Cur = 1 << 24
	}
	return int(rl.Cur), nil
}

// User returns ContextInfo.User.
func (cx *Context) User() any { return cx.info.User }

// EventLib returns the name of the readiness backend in use.
func (cx *Context) EventLib() string { return cx.loop.poller.Name() }

// FDLimit returns the number of descriptors the loop will hold.
func (cx *Context) FDLimit() int { return cx.loop.limit }

// Vhosts returns the context's vhosts in creation order.
func (cx *Context) Vhosts() []*Vhost { return append([]*Vhost(nil), cx.vhosts...) }

// VhostByName returns the vhost with that name, or nil.
func (cx *Context) VhostByName(name string) *Vhost {
	for _, vh := range cx.vhosts {
		if vh.name == name {
			return vh
		}
	}
	return nil
}

// CancelService wakes the service loop, which then delivers
// CallbackEventWaitCancelled to every protocol of every vhost. It is the one
// call that is safe from any goroutine, concurrently with anything: the way
// other goroutines hand work to the loop is to publish it under their own
// lock, call CancelService, and act on it (for example calling
// CallbackOnWritable) from the EVENT_WAIT_CANCELLED callback. Calls that
// arrive before the loop wakes are coalesced into one broadcast; a call made
// during the broadcast causes another.
func (cx *Context) CancelService() {
	cx.cancelPending.Store(true)
	_ = cx.loop.poller.Wake()
}

// ErrContextDestroyed is returned by operations on a destroyed context.
var ErrContextDestroyed = errors.New("lws: context destroyed")

// Service runs one pass of the loop: it waits for network events, timers or
// CancelService for at most timeout (a negative timeout waits until
// something happens, zero does not block), then dispatches what is ready.
func (cx *Context) Service(timeout time.Duration) error {
	if cx.destroyed {
		return ErrContextDestroyed
	}
	return cx.loop.service(timeout)
}

// Run services the loop until ctx is done, then returns nil; it returns
// early with an error only if the loop itself fails. Connections stay open
// when Run returns: call Destroy to close them, from the same goroutine.
func (cx *Context) Run(ctx context.Context) error {
	if cx.destroyed {
		return ErrContextDestroyed
	}
	cx.stopPending.Store(false)
	stop := context.AfterFunc(ctx, func() {
		cx.stopPending.Store(true)
		_ = cx.loop.poller.Wake()
	})
	defer stop()
	defer cx.stopPending.Store(false)
	for !cx.stopPending.Load() {
		if err := cx.loop.service(-1); err != nil {
			return err
		}
	}
	return nil
}

// Destroy closes every connection, delivering their close reasons,
// destroys every vhost (PROTOCOL_DESTROY for each of its protocols), waits
// for name resolutions in progress to give up, and releases the loop. Call
// it from the goroutine that services the loop, or after Run returned.
func (cx *Context) Destroy() {
	if cx.destroyed {
		return
	}
	for i := len(cx.vhosts) - 1; i >= 0; i-- {
		cx.vhosts[i].destroy()
	}
	cx.vhosts = nil
	cx.loop.closeAll()
	cx.resolveCancel()
	cx.loop.resolvers.wait()
	cx.loop.handshakes.wait()
	cx.fileReads.Wait()
	cx.destroyed = true
	cx.loop.destroy()
}
