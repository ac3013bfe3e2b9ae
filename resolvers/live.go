package resolvers

import (
	"context"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/models"
)

// follow turns the broker's change signals for one request into pushes for
// one viewer. Every push is earned again: the token must still be valid and
// the viewer must still be allowed to see the request (an agent reassigned
// away is not), read afresh from the store; the first refusal ends the
// stream with that error, so nobody keeps a window on a request they lost.
// The request's lists (events, outcomes) come from loaders made for each
// push (see WithLoaders), so they are as fresh as the request.
func (r *subscriptionResolver) follow(ctx context.Context, who actor.Actor, id string, changed <-chan struct{}, stop func(), out chan<- *models.Request) {
	defer close(out)
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
		req, err := r.RequestSvc.Push(ctx, who, id)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			endStream(ctx, err)
			return
		}
		select {
		case out <- req:
		case <-ctx.Done():
			return
		}
	}
}

// endStream reports err to the subscriber as the stream's last message
// (graphql-transport-ws "error"), coded like every other API error. The
// presenter is not reachable from a stream's goroutine, so the mapping is
// done here with the same apperr rules: a public error keeps its code and
// message, anything else is INTERNAL with no detail.
func endStream(ctx context.Context, err error) {
	code, public := apperr.CodeOf(err)
	msg := "internal error"
	if public {
		msg = apperr.Message(err)
	}
	gqlErr := &gqlerror.Error{
		Message:    msg,
		Path:       ast.Path{ast.PathName("requestUpdated")},
		Extensions: map[string]any{"code": code},
	}
	defer func() {
		// Only the WebSocket transport collects stream errors; over any
		// other transport the stream just ends.
		_ = recover()
	}()
	transport.AddSubscriptionError(ctx, gqlErr)
}
