package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/xroshot/portal/apperr"
)

// graphqlGuard checks what the GraphQL-over-HTTP spec lets a server refuse
// before execution, answering with the status the spec gives and a GraphQL
// error body. gqlgen would otherwise answer some of these with 200, or echo
// a malformed body (which may hold personal data) back in its error.
func graphqlGuard(maxBody int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodOptions:
			if r.Header.Get("Upgrade") != "" {
				next.ServeHTTP(w, r)
				return
			}
			if r.Method == http.MethodGet && len(r.URL.RawQuery) > int(maxBody) {
				writeError(w, r, http.StatusRequestURITooLong, apperr.CodeBadUserInput, "query string too long")
				return
			}
			serveFixed(next, w, r)
			return
		case http.MethodPost:
		default:
			w.Header().Set("Allow", "GET, POST")
			writeError(w, r, http.StatusMethodNotAllowed, apperr.CodeBadUserInput, "use POST, or GET for queries")
			return
		}
		ct := r.Header.Get("Content-Type")
		if ct == "" {
			writeError(w, r, http.StatusUnsupportedMediaType, apperr.CodeBadUserInput, "Content-Type is required: application/json")
			return
		}
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			writeError(w, r, http.StatusUnsupportedMediaType, apperr.CodeBadUserInput, "unsupported Content-Type: send application/json")
			return
		}
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
			writeError(w, r, http.StatusUnsupportedMediaType, apperr.CodeBadUserInput, "unsupported charset: send utf-8")
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				writeError(w, r, http.StatusRequestEntityTooLarge, apperr.CodeBadUserInput, "request body too large")
				return
			}
			writeError(w, r, http.StatusBadRequest, apperr.CodeBadUserInput, "could not read the request body")
			return
		}
		if msg := checkParams(body); msg != "" {
			writeError(w, r, http.StatusBadRequest, apperr.CodeBadUserInput, msg)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		serveFixed(next, w, r)
	})
}

// checkParams validates the shape of a GraphQL-over-HTTP request body and
// returns what is wrong, without quoting the body.
func checkParams(body []byte) string {
	if !utf8.Valid(body) {
		// Go's JSON decoder would turn the broken bytes into U+FFFD and
		// the request would go on with a value the client never sent.
		return "the request body is not valid UTF-8"
	}
	var p map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&p); err != nil {
		return "the request body is not a JSON object"
	}
	if dec.More() {
		return "the request body has data after the JSON object"
	}
	isString := func(raw json.RawMessage) bool { return len(raw) > 0 && raw[0] == '"' }
	isObjectOrNull := func(raw json.RawMessage) bool {
		return len(raw) == 0 || raw[0] == '{' || string(raw) == "null"
	}
	q, ok := p["query"]
	if !ok && p["extensions"] == nil {
		return "query is required"
	}
	if ok && !isString(q) && string(q) != "null" {
		return "query must be a string"
	}
	if op, ok := p["operationName"]; ok && !isString(op) && string(op) != "null" {
		return "operationName must be a string"
	}
	if !isObjectOrNull(p["variables"]) {
		return "variables must be an object"
	}
	if !isObjectOrNull(p["extensions"]) {
		return "extensions must be an object"
	}
	return ""
}

// serveFixed runs gqlgen with its response buffered, to correct what it
// does not do as the GraphQL-over-HTTP spec asks:
//   - a mutation sent with GET gets 405 with Allow: POST (gqlgen says 406);
//   - under application/json, a document that fails to parse or validate
//     is answered 200 (gqlgen says 422);
//   - a request refused before execution carries no "data" entry.
func serveFixed(next http.Handler, w http.ResponseWriter, r *http.Request) {
	b := &bufferedWriter{header: w.Header(), status: http.StatusOK}
	next.ServeHTTP(b, r)
	status, body := b.status, b.body.Bytes()
	isJSON := strings.HasPrefix(w.Header().Get("Content-Type"), "application/json")
	switch {
	case status == http.StatusNotAcceptable && r.Method == http.MethodGet:
		w.Header().Set("Allow", "POST")
		status = http.StatusMethodNotAllowed
	case status == http.StatusUnprocessableEntity && isJSON:
		status = http.StatusOK
	}
	if status >= 400 || (isJSON && b.status == http.StatusUnprocessableEntity) {
		body = dropData(body)
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// dropData removes a "data" entry from an error response that never
// reached execution.
func dropData(body []byte) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return body
	}
	if _, ok := m["data"]; !ok {
		return body
	}
	delete(m, "data")
	out, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return out
}

type bufferedWriter struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) WriteHeader(code int) {
	if !b.wrote {
		b.status, b.wrote = code, true
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	b.wrote = true
	return b.body.Write(p)
}

// writeError answers with one GraphQL error, in the media type the client
// accepts.
func writeError(w http.ResponseWriter, r *http.Request, status int, code apperr.Code, msg string) {
	ct := "application/json"
	if acc := r.Header.Get("Accept"); strings.Contains(acc, "application/graphql-response+json") {
		ct = "application/graphql-response+json"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": code}}},
	})
}
