package policy

// DefaultSource returns the text of the embedded Xroshot catalog, so the
// server can store the exact notice it runs with beside its version.
func DefaultSource() []byte { return append([]byte(nil), xroshot...) }
