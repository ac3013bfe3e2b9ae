package telemetry

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// instrumentation names the tracer of the GraphQL spans.
const instrumentation = "github.com/xroshot/portal/telemetry"

// maxNameLen bounds the operation name a client chooses, in span names.
const maxNameLen = 64

// OperationSpans is a gqlgen operation middleware giving every GraphQL
// operation a span, a child of the HTTP request's: "query me", "mutation
// setConsent", "subscription requestUpdated". A subscription's span lasts
// as long as the subscription, with an event per push. The span records the
// error codes of a response with errors, never messages, variables or the
// query text: those may hold personal values.
//
// No maintained OpenTelemetry extension exists for this gqlgen release
// (the known one stopped at gqlgen v0.17.x of 2022), hence this small one.
func OperationSpans(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	typ, name := "unknown", oc.OperationName
	if oc.Operation != nil {
		typ = string(oc.Operation.Operation)
		if oc.Operation.Name != "" {
			name = oc.Operation.Name
		}
	}
	if name == "" {
		name = rootField(oc)
	}
	if len(name) > maxNameLen {
		name = name[:maxNameLen]
	}
	tracer := otel.GetTracerProvider().Tracer(instrumentation)
	ctx, span := tracer.Start(ctx, typ+" "+name, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(
			attribute.String("graphql.operation.type", typ),
			attribute.String("graphql.operation.name", name),
		))
	respond := next(ctx)
	subscription := typ == "subscription"
	return func(ctx context.Context) *graphql.Response {
		resp := respond(trace.ContextWithSpan(ctx, span))
		switch {
		case resp == nil:
			span.End()
		case subscription:
			span.AddEvent("push", trace.WithAttributes(attribute.Int("graphql.errors", len(resp.Errors))))
			recordErrors(span, resp)
		default:
			recordErrors(span, resp)
			span.End()
		}
		return resp
	}
}

// rootField names an unnamed operation by its first root field: a name
// from the schema, so span names stay few.
func rootField(oc *graphql.OperationContext) string {
	if oc.Operation == nil {
		return "anonymous"
	}
	fields := graphql.CollectFields(oc, oc.Operation.SelectionSet, nil)
	if len(fields) == 0 {
		return "anonymous"
	}
	return fields[0].Name
}

// recordErrors marks the span failed with the response's error codes.
func recordErrors(span trace.Span, resp *graphql.Response) {
	if len(resp.Errors) == 0 {
		return
	}
	var codesSeen []string
	for _, e := range resp.Errors {
		// The presenter's codes are apperr.Code or gqlgen's strings.
		c := "UNKNOWN"
		if v, ok := e.Extensions["code"]; ok {
			c = fmt.Sprint(v)
		}
		codesSeen = append(codesSeen, c)
	}
	span.SetAttributes(attribute.StringSlice("graphql.error.codes", codesSeen))
	span.SetStatus(codes.Error, strings.Join(codesSeen, ","))
}
