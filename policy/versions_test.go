package policy

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// A published catalog version never changes in place: the catalog's
// version and the hash of its text must be a line of versions.sum, and no
// version may stand there twice. Editing xroshot.yaml without a new version
// fails here rather than on the first deployed database
// (store.SavePolicyVersion refuses the same version with other content).
func TestCatalogVersionIsNotReused(t *testing.T) {
	f, err := os.Open("versions.sum")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	released := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		v, h, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("versions.sum: %q is not 'version hash'", line)
		}
		if prev, dup := released[v]; dup && prev != h {
			t.Fatalf("versions.sum: version %s stands twice with different hashes", v)
		}
		released[v] = h
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	c := mustDefault(t)
	h, ok := released[c.Version]
	switch {
	case !ok:
		t.Fatalf("catalog version %s (hash %s) is not in policy/versions.sum: add the line %q", c.Version, c.Hash, c.Version+" "+c.Hash)
	case h != c.Hash:
		t.Fatalf("the catalog's text changed under version %s, which was released with hash %s: give it a new version in xroshot.yaml and add the line %q", c.Version, h, "NEW-VERSION "+c.Hash)
	}
}
