package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
)

// postOnce is gqlgen's POST transport with the answer of an executed
// operation written once. gqlgen writes every answer with json.Marshal of
// its graphql.Response, which re-reads the whole of the already-marshalled
// data to check and compact it (json.RawMessage) and copies it into a new
// buffer: 7 % of the server's CPU under the home screen's load (issue 17).
// Here the data is written as the executor produced it, and errors and
// extensions, small, through encoding/json as before. Everything else —
// reading and decoding the request, statuses, headers, the answers to bad
// requests — is gqlgen's own transport.POST, unchanged.
//
// The data gqlgen's marshallers write is valid JSON by construction; the
// one difference is that json.Marshal would also escape <, > and & in
// strings, which are the same JSON values either way.
type postOnce struct {
	transport.POST
}

var _ graphql.Transport = postOnce{}

func (h postOnce) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ow := &onceWriter{ResponseWriter: w}
	h.POST.Do(ow, r, onceExecutor{GraphExecutor: exec, w: ow})
}

// onceExecutor writes an operation's answer itself, and tells the
// transport's writer to drop the placeholder the transport then marshals.
type onceExecutor struct {
	graphql.GraphExecutor
	w *onceWriter
}

func (e onceExecutor) DispatchOperation(ctx context.Context, oc *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	next, ctx := e.GraphExecutor.DispatchOperation(ctx, oc)
	return func(ctx context.Context) *graphql.Response {
		resp := next(ctx)
		if resp == nil || resp.Label != "" || resp.Path != nil || resp.HasNext != nil {
			// An incremental payload (@defer): gqlgen's own writing.
			return resp
		}
		if err := writeResponse(e.w.ResponseWriter, resp); err != nil {
			// Nothing was written: errors and extensions are marshalled
			// before the first byte goes out. gqlgen's writing then
			// reports what it finds.
			return resp
		}
		e.w.written = true
		return &graphql.Response{}
	}, ctx
}

// onceWriter passes writes through until the answer has been written,
// then drops the transport's placeholder.
type onceWriter struct {
	http.ResponseWriter
	written bool
}

func (w *onceWriter) Write(p []byte) (int, error) {
	if w.written {
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *onceWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// writeResponse writes resp as json.Marshal would (the same members, in
// the order of graphql.Response's fields), with the data as it is.
func writeResponse(w io.Writer, resp *graphql.Response) error {
	var errs, ext []byte
	var err error
	if len(resp.Errors) > 0 {
		if errs, err = json.Marshal(resp.Errors); err != nil {
			return err
		}
	}
	if len(resp.Extensions) > 0 {
		if ext, err = json.Marshal(resp.Extensions); err != nil {
			return err
		}
	}
	data := []byte(resp.Data)
	if len(data) == 0 {
		data = []byte("null")
	}
	n := len(`{"errors":,"data":,"extensions":}`) + len(errs) + len(data) + len(ext)
	b := make([]byte, 0, n)
	b = append(b, '{')
	if errs != nil {
		b = append(b, `"errors":`...)
		b = append(b, errs...)
		b = append(b, ',')
	}
	b = append(b, `"data":`...)
	b = append(b, data...)
	if ext != nil {
		b = append(b, `,"extensions":`...)
		b = append(b, ext...)
	}
	b = append(b, '}')
	_, err = w.Write(b)
	return err
}
