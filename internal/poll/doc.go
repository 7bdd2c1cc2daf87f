// Package poll provides the readiness backends behind the golws service
// loop.
//
// A [Poller] tells the service loop which of its file descriptors are ready
// for reading or writing. Two backends implement it:
//
//   - "epoll" (Linux only, the default there) is edge-triggered: every fd is
//     watched for In, Out and Hup from the moment it is added, and a
//     readiness is reported once per change. After an In report the caller
//     must read until EAGAIN (and after an Out report write until EAGAIN or
//     until it has nothing left to send), because it will not be told again
//     until new data or new buffer space arrives. Modify is a no-op.
//   - "poll" (any unix, the default outside Linux) is level-triggered: an fd
//     is reported on every Wait for as long as it is ready for something in
//     its interest set, so the caller keeps the interest set accurate with
//     Modify (typically dropping Out once its send queue is empty).
//
// Both report a peer's close as Hup together with In, so a caller that
// reacts to In alone still reads, drains the remaining data and sees EOF;
// and both report an error condition as Err together with In and Out, so
// the caller's next read or write returns the error.
//
// A Poller belongs to one goroutine, the service loop: Add, Modify, Delete,
// Wait and Close must not be called concurrently. The exception is Wake,
// which any goroutine may call at any time to make the loop's Wait return
// early, for example after queueing work for it. Wake-ups coalesce and
// never show up as events.
//
// The package starts no goroutines. Its own descriptors (the epoll
// instance and the wake-up eventfd or pipe) are non-blocking and
// close-on-exec.
package poll
