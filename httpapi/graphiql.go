package httpapi

import (
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"net/http"
)

// graphiqlAssets are GraphiQL and React as published on npm, vendored by
// scripts/vendor-graphiql.sh with their licences: the explorer at / works
// with no internet, where a CDN page showed "Loading…" forever.
//
//go:embed graphiql
var graphiqlAssets embed.FS

// GraphiQLDefaults are the request headers the development explorer starts
// with; Headers returns them per page load (a demo token minted then).
type GraphiQLDefaults struct {
	Headers func() map[string]string
}

var graphiqlPage = template.Must(template.New("graphiql").Parse(`<!doctype html>
<html lang="ko">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Privacy portal — GraphiQL</title>
<link rel="stylesheet" href="/graphiql/graphiql.min.css">
<style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
<div id="graphiql">Loading…</div>
<script src="/graphiql/react.production.min.js"></script>
<script src="/graphiql/react-dom.production.min.js"></script>
<script src="/graphiql/graphiql.min.js"></script>
<script>
  const wsScheme = location.protocol === "https:" ? "wss:" : "ws:";
  const fetcher = GraphiQL.createFetcher({
    url: "/graphql",
    subscriptionUrl: wsScheme + "//" + location.host + "/graphql",
  });
  const headers = {{.Headers}};
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultHeaders: headers,
      defaultEditorToolsVisibility: "headers",
      defaultQuery: "# The demo subscriber's home screen. The token and language are in the\n# Headers tab below; other personas' tokens are in the server's log.\n{\n  me {\n    id\n    status\n    holdings { category { code label } retention { state purgeAfter explanation } }\n  }\n}\n",
    }),
  );
</script>
</body>
</html>
`))

// graphiqlHandler serves the explorer page and its assets.
func graphiqlHandler(d GraphiQLDefaults) (page, assets http.Handler) {
	sub, err := fs.Sub(graphiqlAssets, "graphiql")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	files := http.StripPrefix("/graphiql/", http.FileServerFS(sub))
	assets = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})
	page = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := map[string]string{}
		if d.Headers != nil {
			h = d.Headers()
		}
		text, err := json.MarshalIndent(h, "", "  ")
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store") // it may hold a token
		_ = graphiqlPage.Execute(w, struct{ Headers string }{string(text)})
	})
	return page, assets
}
