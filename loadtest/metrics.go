package loadtest

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Heap is what the server's Go runtime has allocated since it started, as
// its /metrics says (the Prometheus Go collector's go_memstats counters):
// read before and after a run, the difference is the run's allocations.
type Heap struct {
	// Objects and Bytes count every heap allocation, freed or not.
	Objects, Bytes float64
}

// metricsURL is the /metrics address of the server serving the GraphQL
// endpoint at endpoint, as `portal serve` serves it when
// PORTAL_METRICS_ADDR is not set.
func metricsURL(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("--url %q is not an http(s) URL", endpoint)
	}
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/graphql") + "/metrics"
	u.RawQuery = ""
	return u.String(), nil
}

// ReadHeap reads the allocation counters from a Prometheus text endpoint.
func ReadHeap(ctx context.Context, metrics string) (Heap, error) {
	ctx, cancel := context.WithTimeout(ctx, ReadyTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metrics, nil)
	if err != nil {
		return Heap{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Heap{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Heap{}, fmt.Errorf("%s answered %s", metrics, resp.Status)
	}
	var h Heap
	seen := 0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		var into *float64
		switch name {
		case "go_memstats_mallocs_total":
			into = &h.Objects
		case "go_memstats_alloc_bytes_total":
			into = &h.Bytes
		default:
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			return Heap{}, fmt.Errorf("%s: %s: %w", metrics, name, err)
		}
		*into = v
		seen++
	}
	if err := sc.Err(); err != nil {
		return Heap{}, err
	}
	if seen != 2 {
		return Heap{}, fmt.Errorf("%s has no go_memstats_mallocs_total and go_memstats_alloc_bytes_total", metrics)
	}
	return h, nil
}
