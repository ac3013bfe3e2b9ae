package auth

import (
	"net/http"
	"strings"
)

// Middleware verifies the bearer token of each request and records the
// outcome in the context. It never rejects a request itself: public fields
// (the policy notice) must answer without a token, and fields that need a
// principal answer UNAUTHENTICATED through Require, with the reason.
//
// The token is read from the Authorization header only, never from the URL,
// where it would end up in access logs, proxies and browser history.
func Middleware(v *Verifier) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			values := r.Header.Values("Authorization")
			if len(values) == 0 {
				next.ServeHTTP(w, r)
				return
			}
			ctx := r.Context()
			p, err := verifyHeader(v, r, values)
			if err != nil {
				ctx = WithAuthError(ctx, err)
			} else {
				ctx = WithPrincipal(ctx, p)
			}
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

func verifyHeader(v *Verifier, r *http.Request, values []string) (*Principal, error) {
	if len(values) > 1 {
		return nil, invalid("more than one Authorization header")
	}
	scheme, token, _ := strings.Cut(strings.TrimSpace(values[0]), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return nil, invalid("authorization scheme is not Bearer")
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, invalid("empty bearer token")
	}
	return v.VerifyContext(r.Context(), token)
}

// FromWebSocketInit verifies the token a graphql-transport-ws client sends in
// its connection_init payload, since browsers cannot set headers on a
// WebSocket. Clients differ in spelling, so both "Authorization" and
// "authorization" are read, with or without the "Bearer " prefix. It returns
// ErrNoToken when the payload carries no token, so the caller can still allow
// public subscriptions.
func FromWebSocketInit(v *Verifier, payload map[string]any) (*Principal, error) {
	var found []string
	for _, k := range []string{"Authorization", "authorization"} {
		raw, ok := payload[k]
		if !ok {
			continue
		}
		s, ok := raw.(string)
		if !ok {
			return nil, invalid("authorization is not a string")
		}
		found = append(found, s)
	}
	if len(found) == 0 {
		return nil, ErrNoToken
	}
	if len(found) > 1 && found[0] != found[1] {
		return nil, invalid("conflicting authorization values")
	}
	token := strings.TrimSpace(found[0])
	if scheme, rest, _ := strings.Cut(token, " "); strings.EqualFold(scheme, "Bearer") {
		token = strings.TrimSpace(rest)
	}
	if token == "" {
		return nil, ErrNoToken
	}
	return v.Verify(token)
}
