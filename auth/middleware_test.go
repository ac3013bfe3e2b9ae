package auth

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

func TestMiddleware(t *testing.T) {
	t.Parallel()
	v := newHSVerifier(t)
	valid := sign(t, jwt.SigningMethodHS256, testSecret, validClaims(), nil)
	expired := sign(t, jwt.SigningMethodHS256, testSecret, with(map[string]any{"exp": testNow.Add(-time.Hour).Unix()}), nil)

	// seen is what a downstream handler learns from the context.
	type seen struct {
		Subject string
		AuthErr string
	}
	tests := []struct {
		name    string
		url     string
		headers []string // Authorization values
		want    seen
	}{
		{name: "no header: anonymous, no error", want: seen{}},
		{name: "valid bearer token", headers: []string{"Bearer " + valid}, want: seen{Subject: "sub-1001"}},
		{name: "scheme is case-insensitive", headers: []string{"bearer " + valid}, want: seen{Subject: "sub-1001"}},
		{name: "upper-case scheme and extra spaces", headers: []string{"BEARER   " + valid + " "}, want: seen{Subject: "sub-1001"}},
		{name: "expired token: passes through with the reason", headers: []string{"Bearer " + expired}, want: seen{AuthErr: "invalid token: token expired"}},
		{name: "garbage token", headers: []string{"Bearer nope"}, want: seen{AuthErr: "invalid token: malformed token"}},
		{name: "basic auth is not accepted", headers: []string{"Basic dXNlcjpwYXNz"}, want: seen{AuthErr: "invalid token: authorization scheme is not Bearer"}},
		{name: "token without scheme", headers: []string{valid}, want: seen{AuthErr: "invalid token: authorization scheme is not Bearer"}},
		{name: "scheme without token", headers: []string{"Bearer"}, want: seen{AuthErr: "invalid token: empty bearer token"}},
		{name: "two Authorization headers", headers: []string{"Bearer " + valid, "Bearer " + valid}, want: seen{AuthErr: "invalid token: more than one Authorization header"}},
		{name: "token in the URL is ignored", url: "/graphql?token=" + valid + "&access_token=" + valid, want: seen{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got seen
			h := Middleware(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if p, ok := FromContext(r.Context()); ok {
					got.Subject = p.Subject
				}
				got.AuthErr = errText(AuthError(r.Context()))
				w.WriteHeader(http.StatusNoContent)
			}))
			url := tt.url
			if url == "" {
				url = "/graphql"
			}
			req := httptest.NewRequest(http.MethodPost, url, nil)
			for _, h := range tt.headers {
				req.Header.Add("Authorization", h)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if diff := cmp.Diff(http.StatusNoContent, rec.Code); diff != "" {
				t.Errorf("status mismatch; the middleware must never answer itself (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("context mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFromWebSocketInit(t *testing.T) {
	t.Parallel()
	v := newHSVerifier(t)
	valid := sign(t, jwt.SigningMethodHS256, testSecret, validClaims(), nil)

	tests := []struct {
		name        string
		payload     map[string]any
		wantSubject string
		wantErr     string
		wantNoToken bool
	}{
		{name: "Authorization with Bearer", payload: map[string]any{"Authorization": "Bearer " + valid}, wantSubject: "sub-1001"},
		{name: "authorization, bare token", payload: map[string]any{"authorization": valid}, wantSubject: "sub-1001"},
		{name: "lower-case bearer", payload: map[string]any{"authorization": "bearer " + valid}, wantSubject: "sub-1001"},
		{name: "both spellings agreeing", payload: map[string]any{"Authorization": valid, "authorization": valid}, wantSubject: "sub-1001"},
		{name: "both spellings disagreeing", payload: map[string]any{"Authorization": valid, "authorization": "other"}, wantErr: "invalid token: conflicting authorization values"},
		{name: "nil payload", payload: nil, wantErr: "no token", wantNoToken: true},
		{name: "other keys only", payload: map[string]any{"token": valid}, wantErr: "no token", wantNoToken: true},
		{name: "empty value", payload: map[string]any{"Authorization": "Bearer "}, wantErr: "no token", wantNoToken: true},
		{name: "not a string", payload: map[string]any{"Authorization": 42}, wantErr: "invalid token: authorization is not a string"},
		{name: "invalid token", payload: map[string]any{"Authorization": "Bearer x.y.z"}, wantErr: "invalid token: malformed token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := FromWebSocketInit(v, tt.payload)
			if diff := cmp.Diff(tt.wantErr, errText(err)); diff != "" {
				t.Fatalf("error mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantNoToken, errors.Is(err, ErrNoToken)); diff != "" {
				t.Errorf("errors.Is(err, ErrNoToken) mismatch (-want +got):\n%s", diff)
			}
			var subject string
			if p != nil {
				subject = p.Subject
			}
			if diff := cmp.Diff(tt.wantSubject, subject); diff != "" {
				t.Errorf("subject mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
