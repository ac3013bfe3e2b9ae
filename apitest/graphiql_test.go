package apitest_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/httpapi"
)

// TestGraphiQLOffline: the development explorer's page loads nothing from
// another host; every script and style it names is served from the binary,
// byte for byte what scripts/vendor-graphiql.sh vendored; the page
// prefills a working demo token and Accept-Language; production has no
// explorer.
func TestGraphiQLOffline(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, "sqlite")
	get := func(h http.Handler, path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}
	page := get(env.Handler, "/")
	if page.Code != http.StatusOK || !strings.HasPrefix(page.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %s", page.Code, page.Header().Get("Content-Type"))
	}
	body := page.Body.String()
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(body, -1)
	if len(refs) != 4 {
		t.Errorf("the page names %d assets, want 4: %v", len(refs), refs)
	}
	sums := map[string]string{}
	raw, err := os.ReadFile("../httpapi/graphiql/SHA256SUMS")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		f := strings.Fields(line)
		sums[f[1]] = f[0]
	}
	for _, r := range refs {
		ref := r[1]
		if !strings.HasPrefix(ref, "/graphiql/") {
			t.Errorf("the page loads %s from elsewhere", ref)
			continue
		}
		rec := get(env.Handler, ref)
		b, _ := io.ReadAll(rec.Body)
		sum := sha256.Sum256(b)
		if rec.Code != http.StatusOK || hex.EncodeToString(sum[:]) != sums[strings.TrimPrefix(ref, "/graphiql/")] {
			t.Errorf("%s: %d, %d bytes, not the vendored file", ref, rec.Code, len(b))
		}
	}
	if strings.Contains(body, "unpkg") || strings.Contains(body, "jsdelivr") || strings.Contains(body, "cdn.") {
		t.Errorf("the page mentions a CDN")
	}
	// The prefilled token works.
	tok := regexp.MustCompile(`Bearer ([A-Za-z0-9_.-]+)`).FindStringSubmatch(body)
	if tok == nil || !strings.Contains(body, "Accept-Language") {
		t.Fatalf("no token or Accept-Language prefilled")
	}
	if r := env.Query(t, tok[1], `{ me { id } }`, nil); r.Status != http.StatusOK || strings.Contains(strings.Join(r.Codes(), ","), "UNAUTHENTICATED") {
		t.Errorf("the prefilled token is refused: %d %+v", r.Status, r.Errors)
	}
	prod, _ := productionEdge(t, env, httpapi.Limits{})
	if rec := get(prod, "/"); rec.Code != http.StatusNotFound {
		t.Errorf("production serves / with %d", rec.Code)
	}
	if rec := get(prod, "/graphiql/graphiql.min.js"); rec.Code != http.StatusNotFound {
		t.Errorf("production serves the explorer's assets with %d", rec.Code)
	}
}
