package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/xroshot/portal/apperr"
)

// errorPresenter is the one place errors become GraphQL errors: domain and
// store errors get the extensions.code of the API contract; anything else is
// logged with its path and shown only as "internal error", so SQL text and
// values never reach a client.
func errorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var gqlErr *gqlerror.Error
		if errors.As(err, &gqlErr) && gqlErr.Err == nil {
			// gqlgen's own: parse, validation or variable coercion.
			out := *gqlErr
			ext := map[string]any{"code": apperr.CodeBadUserInput}
			if c, ok := gqlErr.Extensions["code"].(string); ok && c != "" {
				if c == string(apperr.CodeUnauthenticated) || c == string(apperr.CodeForbidden) || c == string(apperr.CodeRateLimited) || c == string(apperr.CodeInternal) {
					ext["code"] = c
				} else if c != string(apperr.CodeBadUserInput) {
					ext["reason"] = c
				}
			}
			if f, ok := gqlErr.Extensions["field"].(string); ok && f != "" {
				ext["field"] = f // the text rule names the offending input
			}
			out.Extensions = ext
			return &out
		}
		out := graphql.DefaultErrorPresenter(ctx, err)
		code, public := apperr.CodeOf(err)
		ext := map[string]any{"code": code}
		if public {
			out.Message = apperr.Message(err)
			if f := apperr.FieldOf(err); f != "" {
				ext["field"] = f
			}
		} else {
			out.Message = "internal error"
			log.ErrorContext(ctx, "internal error", "err", err, "path", out.Path.String(), "request_id", RequestID(ctx), "operation", operationName(ctx))
		}
		out.Extensions = ext
		return out
	}
}

// recoverFunc keeps a panic in a resolver from taking the server down or
// showing a stack trace: the trace is logged, the client sees INTERNAL.
func recoverFunc(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, v any) error {
		log.ErrorContext(ctx, "panic in resolver", "panic", fmt.Sprint(v), "stack", string(debug.Stack()), "request_id", RequestID(ctx), "operation", operationName(ctx))
		return errors.New("internal error")
	}
}

func operationName(ctx context.Context) string {
	if !graphql.HasOperationContext(ctx) {
		return ""
	}
	return graphql.GetOperationContext(ctx).OperationName
}
