// Package graph holds the GraphQL schema (*.graphqls) and the executable
// schema gqlgen generates from it (generated.go). Nothing here but the
// schema and this file is written by hand; `go generate ./...` at the
// module root regenerates the rest.
package graph
