// Package reqctx carries facts about the HTTP request being served — its id
// and the address it came from — through the context. It sits below both the
// HTTP edge, which sets them, and the audit trail, which records them, so
// neither has to import the other.
package reqctx

import "context"

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
