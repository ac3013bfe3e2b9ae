// Package reqctx carries facts about the HTTP request being served — its id
// and the address it came from — through the context. It sits below both the
// HTTP edge, which sets them, and the audit trail, which records them, so
// neither has to import the other. It also carries the memo of the reads
// one response shares (Memo), below both the resolvers that give a response
// its memo and the store whose reads use it.
package reqctx

import (
	"context"
	"errors"
	"sync"
)

type key int

const (
	requestIDKey key = iota
	clientAddrKey
)

// WithRequestID returns ctx carrying the id of the request being served.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestID returns the id of the request being served, or "" outside a
// request (a background job, a command).
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey).(string)
	return s
}

// WithClientAddr returns ctx carrying the address the request came from.
func WithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddrKey, addr)
}

// ClientAddr returns the address the request came from, or "" outside a
// request.
func ClientAddr(ctx context.Context) string {
	s, _ := ctx.Value(clientAddrKey).(string)
	return s
}

type memoKey struct{}

// memo holds the reads one response shares: each key's value is read once,
// by whichever caller asks first, while the others wait for it.
type memo struct {
	mu      sync.Mutex
	entries map[any]*memoEntry
}

// errUnfinished is what the waiters get when the read they waited for
// panicked instead of returning.
var errUnfinished = errors.New("reqctx: the shared read did not finish")

type memoEntry struct {
	done chan struct{}
	val  any
	err  error
}

// WithMemo returns ctx carrying an empty memo for the reads of one
// response (Memo). Give it only to responses that write nothing: a value
// read once is not read again after a change.
func WithMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, memoKey{}, &memo{entries: map[any]*memoEntry{}})
}

// Memo returns read's value for key, calling read once for all callers
// under the same memo (WithMemo), even concurrent ones; without a memo in
// ctx it calls read every time. key must be comparable and name what is
// read (a type of the caller's package and its parameters), and the value
// is shared: callers must not change it.
func Memo[T any](ctx context.Context, key any, read func() (T, error)) (T, error) {
	m, _ := ctx.Value(memoKey{}).(*memo)
	if m == nil {
		return read()
	}
	m.mu.Lock()
	e, ok := m.entries[key]
	if !ok {
		e = &memoEntry{done: make(chan struct{}), err: errUnfinished}
		m.entries[key] = e
	}
	m.mu.Unlock()
	if ok {
		select {
		case <-e.done:
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
		v, _ := e.val.(T)
		return v, e.err
	}
	defer close(e.done)
	v, err := read()
	e.val, e.err = v, err
	return v, err
}
