package auth

import "context"

type principalKey struct{}

type authErrorKey struct{}

// WithPrincipal attaches the verified caller to ctx. The key is unexported so
// that only this package can put a principal there: nothing else in the
// process can forge one.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the caller verified for this request, if any. Public
// fields ignore a missing principal; protected ones should use Require.
func FromContext(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}

// WithAuthError records why a presented token was refused. The request goes on
// without a principal so public fields still answer, and protected fields can
// report the reason instead of a bare "unauthenticated".
func WithAuthError(ctx context.Context, err error) context.Context {
	return context.WithValue(ctx, authErrorKey{}, err)
}

// AuthError returns the reason recorded by WithAuthError, or nil when no token
// was presented or it was accepted.
func AuthError(ctx context.Context) error {
	err, _ := ctx.Value(authErrorKey{}).(error)
	return err
}

// Require is what a field that needs a caller asks: the principal, or the
// reason there is none (the refused token's error, else ErrNoToken), ready to
// be mapped to UNAUTHENTICATED.
func Require(ctx context.Context) (*Principal, error) {
	if p, ok := FromContext(ctx); ok {
		return p, nil
	}
	if err := AuthError(ctx); err != nil {
		return nil, err
	}
	return nil, ErrNoToken
}
