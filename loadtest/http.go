package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ReadyTimeout bounds the readiness check: a server that does not answer
// /readyz by then is reported, not waited for.
const ReadyTimeout = 3 * time.Second

// readyURL is the /readyz address of the server serving the GraphQL
// endpoint at endpoint.
func readyURL(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("--url %q is not an http(s) URL such as http://127.0.0.1:8080/graphql", endpoint)
	}
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/graphql") + "/readyz"
	u.RawQuery = ""
	return u.String(), nil
}

// CheckReady asks the server's /readyz, next to the GraphQL endpoint, and
// fails within ReadyTimeout when the server is down, hangs, or reports its
// database unreachable.
func CheckReady(ctx context.Context, endpoint string) error {
	ready, err := readyURL(endpoint)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, ReadyTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ready, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("the server did not answer %s within %s", ready, ReadyTimeout)
		}
		return fmt.Errorf("cannot reach the server at %s (is `portal serve` running there?): %w", ready, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the server is not ready: %s answered %s: %s", ready, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

// Client posts GraphQL operations to one endpoint over kept-alive
// connections, one per concurrent client at most.
type Client struct {
	endpoint string
	http     *http.Client
}

// NewClient returns a client for conns concurrent callers.
func NewClient(endpoint string, conns int) *Client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: ReadyTimeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
	}
	return &Client{endpoint: endpoint, http: &http.Client{Transport: tr}}
}

// Close drops the kept-alive connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// gqlError is one error of a GraphQL response.
type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

// Error is a GraphQL response carrying errors; Code is the first error's
// extensions.code.
type Error struct {
	Code, Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Do posts one operation with a bearer token and returns the response body.
// A status other than 200, or a response with errors, is an error; the
// body is then not returned.
func (c *Client) Do(ctx context.Context, token, query string, vars map[string]any) ([]byte, error) {
	payload, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json, application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %s: %s", resp.Status, snippet(body))
	}
	// Decoding a home screen costs the client more than finding out it has
	// no errors; decode only when it may have some.
	if bytes.Contains(body, []byte(`"errors"`)) {
		var r struct {
			Errors []gqlError `json:"errors"`
		}
		if err := json.Unmarshal(body, &r); err != nil {
			return nil, fmt.Errorf("undecodable response: %w", err)
		}
		if len(r.Errors) > 0 {
			return nil, &Error{Code: r.Errors[0].Extensions.Code, Message: r.Errors[0].Message}
		}
	}
	return body, nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
