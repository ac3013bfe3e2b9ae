package httpapi

import (
	"net/http"
	"time"

	"github.com/rs/cors"
)

// withCORS lets the configured browser origins call the API. With none
// configured it adds nothing, so browsers keep the same-origin policy (rs/cors
// would otherwise allow every origin). Tokens travel in the Authorization
// header, never in cookies, so credentials are not allowed: a page on an
// allowed origin still needs the person's token.
func withCORS(origins []string, next http.Handler) http.Handler {
	origins = originPatterns(origins)
	if len(origins) == 0 {
		return next
	}
	return cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodPost},
		AllowedHeaders: []string{"Authorization", "Content-Type", "Accept", "Accept-Language", "X-Request-Id"},
		ExposedHeaders: []string{"X-Request-Id", "Retry-After"},
		MaxAge:         int((10 * time.Minute).Seconds()),
	}).Handler(next)
}
