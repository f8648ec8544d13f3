package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/proto"
)

// Client calls a relay-server's API with a token.
type Client struct {
	// Base is the server's URL, e.g. https://relay.example.com.
	Base *url.URL
	// Token is sent as a bearer token.
	Token string
	// HTTP is the client used; nil means http.DefaultClient.
	HTTP *http.Client
}

// Error is an error answer of the API.
type Error struct {
	Status  int
	Code    proto.Code
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s (%d): %s", e.Code, e.Status, e.Message) }

// IsNotFound reports whether err is a 404 answer.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

// Tunnels lists the token's tunnels.
func (c *Client) Tunnels(ctx context.Context) ([]Tunnel, error) {
	var out struct{ Tunnels []Tunnel }
	return out.Tunnels, c.do(ctx, "GET", "/api/tunnels", nil, nil, &out)
}

// Tunnel returns one of the token's tunnels with the clients attached to it.
func (c *Client) Tunnel(ctx context.Context, name string) (*Tunnel, error) {
	var out Tunnel
	return &out, c.do(ctx, "GET", "/api/tunnels/"+url.PathEscape(name), nil, nil, &out)
}

// Release gives up one of the token's tunnel names, so that any token may take it; its
// records stay the token's.
func (c *Client) Release(ctx context.Context, name string) error {
	resp, err := c.send(ctx, "DELETE", "/api/tunnels/"+url.PathEscape(name), nil, nil)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// List returns one page of records.
func (c *Client) List(ctx context.Context, f store.Filter) (*List, error) {
	var out List
	return &out, c.do(ctx, "GET", "/api/requests", FilterQuery(f), nil, &out)
}

// Get returns one record with its bodies.
func (c *Client) Get(ctx context.Context, id string) (*Record, error) {
	var out Record
	return &out, c.do(ctx, "GET", "/api/requests/"+url.PathEscape(id), nil, nil, &out)
}

// Replay replays one record, optionally edited, and returns the new record.
func (c *Client) Replay(ctx context.Context, id string, edit *Edit) (*Record, error) {
	var out Record
	return &out, c.do(ctx, "POST", "/api/requests/"+url.PathEscape(id)+"/replay", nil, edit, &out)
}

// BulkReplay replays every record f selects, oldest first, calling progress after each,
// in order.
func (c *Client) BulkReplay(ctx context.Context, f store.Filter, opt BulkOptions, progress func(ReplayResult)) error {
	q := FilterQuery(f)
	if opt.Resign {
		q.Set("resign", "true")
	}
	if opt.Parallel > 1 {
		q.Set("parallel", strconv.Itoa(opt.Parallel))
	}
	resp, err := c.send(ctx, "POST", "/api/replay", q, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var res ReplayResult
		if err := json.Unmarshal(sc.Bytes(), &res); err != nil {
			return fmt.Errorf("bulk replay: %w", err)
		}
		progress(res)
	}
	return sc.Err()
}

// Events streams the token's finished deliveries until ctx ends, calling fn for each.
func (c *Client) Events(ctx context.Context, tunnel string, fn func(Summary)) error {
	q := url.Values{}
	if tunnel != "" {
		q.Set("tunnel", tunnel)
	}
	resp, err := c.send(ctx, "GET", "/api/events", q, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var s Summary
		if json.Unmarshal([]byte(data), &s) == nil {
			fn(s)
		}
	}
	return sc.Err()
}

func (c *Client) do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	resp, err := c.send(ctx, method, path, q, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode: %w", method, path, err)
	}
	return nil
}

// send makes a call and turns error answers into *Error.
func (c *Client) send(ctx context.Context, method, path string, q url.Values, in any) (*http.Response, error) {
	u := *c.Base
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawQuery = q.Encode()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		return nil, decodeError(resp)
	}
	return resp, nil
}

func decodeError(resp *http.Response) error {
	e := &Error{Status: resp.StatusCode}
	var body struct{ Error proto.Error }
	if json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body) == nil {
		e.Code, e.Message = body.Error.Code, body.Error.Message
	}
	if e.Code == "" {
		e.Code, e.Message = proto.Code(resp.Header.Get(proto.HeaderError)), resp.Status
	}
	return e
}
