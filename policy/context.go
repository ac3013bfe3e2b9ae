package policy

import "context"

type langKey struct{}

// WithLang records the language a request asked for (Accept-Language), so
// labels and explanations deep in a response can answer in it.
func WithLang(ctx context.Context, l Lang) context.Context {
	return context.WithValue(ctx, langKey{}, l)
}

// LangFrom returns the request's language; Korean, the authoritative text,
// when none was asked for.
func LangFrom(ctx context.Context) Lang {
	if l, ok := ctx.Value(langKey{}).(Lang); ok {
		return l
	}
	return Ko
}
