// Package reqctx carries facts about the HTTP request being served — its id
// and the address it came from — through the context. It sits below both the
// HTTP edge, which sets them, and the audit trail, which records them, so
// neither has to import the other. It also carries the memo of the reads
// one response shares (Memo) or makes ahead of their callers (Ahead, Once),
// below both the resolvers that give a response its memo and the store
// whose reads use it.
package reqctx

import (
	"context"
	"errors"
	"fmt"
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
	// ahead marks a value read by Ahead: Once hands it to one caller.
	ahead bool
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
		return await[T](ctx, e)
	}
	defer close(e.done)
	v, err := read()
	e.val, e.err = v, err
	return v, err
}

// Once is Memo for a value its caller owns and may change (decrypt into,
// trim): a value read ahead for key (Ahead) goes to the first caller, who
// waits for it if the read is still under way; every other caller, and
// every caller when nothing was read ahead, reads for itself. A caller
// thus gets what it would have read, only earlier.
func Once[T any](ctx context.Context, key any, read func() (T, error)) (T, error) {
	m, _ := ctx.Value(memoKey{}).(*memo)
	if m == nil {
		return read()
	}
	m.mu.Lock()
	e, ok := m.entries[key]
	if ok && e.ahead {
		delete(m.entries, key)
	}
	m.mu.Unlock()
	if !ok || !e.ahead {
		return read()
	}
	return await[T](ctx, e)
}

// await waits for e's read, or for ctx to end, and returns its value.
func await[T any](ctx context.Context, e *memoEntry) (T, error) {
	select {
	case <-e.done:
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
	v, _ := e.val.(T)
	return v, e.err
}

// Ahead reads the values of keys before their callers ask for them, in one
// call of read: several reads the store can make in one round trip. read
// gets the keys no caller has read or is reading yet and returns each one's
// value and error, in that order; Memo shares them under the key and Once
// hands them to its first caller, both waiting for read if they come
// first. Without a memo in ctx (a response that writes) it reads nothing.
func Ahead(ctx context.Context, keys []any, read func(keys []any) ([]any, []error)) {
	m, _ := ctx.Value(memoKey{}).(*memo)
	if m == nil {
		return
	}
	todo := make([]any, 0, len(keys))
	entries := make([]*memoEntry, 0, len(keys))
	m.mu.Lock()
	for _, k := range keys {
		if _, ok := m.entries[k]; ok {
			continue
		}
		e := &memoEntry{done: make(chan struct{}), err: errUnfinished, ahead: true}
		m.entries[k] = e
		todo, entries = append(todo, k), append(entries, e)
	}
	m.mu.Unlock()
	if len(todo) == 0 {
		return
	}
	defer func() {
		for _, e := range entries {
			close(e.done)
		}
	}()
	vals, errs := read(todo)
	if len(vals) != len(todo) || len(errs) != len(todo) {
		err := fmt.Errorf("reqctx: %d values and %d errors read ahead for %d keys", len(vals), len(errs), len(todo))
		for _, e := range entries {
			e.err = err
		}
		return
	}
	for i, e := range entries {
		e.val, e.err = vals[i], errs[i]
	}
}
