// Package graph holds the GraphQL schema (*.graphqls) and the executable
// schema gqlgen generates from it (generated.go). Nothing here but the
// schema, this file and prelude.go (the built-in directives as the
// specification has them) is written by hand; `go generate ./...` at the
// module root regenerates the rest.
package graph
