package faultsuite

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookrelay/hookrelay/proto"
)

// spec describes one request to send.
type spec struct {
	size    int
	chunked bool          // no Content-Length: chunked transfer coding
	answer  int           // status the app should answer (0: 200)
	delay   time.Duration // app's pause before answering
	pace    time.Duration // spread the upload over this long

	respSize int           // answer body size (0: defaultRespSize)
	respPace time.Duration // the app spreads its answer over this long
	breaks   string        // how the app fails to answer (appBreaks), "" for not
	stall    time.Duration // the app stops reading the body this long, midway
	trickle  int           // the app reads the body at this many bytes a second
}

// sender posts requests to one tunnel and remembers what it sent and got back.
type sender struct {
	url    string // http://server/t/NAME
	prefix string // makes send ids unique across senders
	hc     *http.Client
	seq    atomic.Int64

	mu      sync.Mutex
	sent    []Sent
	unclean []string // relay answers without a clean code
}

func newSender(url, prefix string) *sender {
	tr := &http.Transport{MaxIdleConnsPerHost: 512, DisableCompression: true, Proxy: nil}
	return &sender{url: url, prefix: prefix, hc: &http.Client{Transport: tr, Timeout: scaled(2 * time.Minute)}}
}

func (s *sender) close() { s.hc.CloseIdleConnections() }

// body is the deterministic body of send id: seeded bytes, so any shift, repeat or
// hole changes its digest.
func body(id string, size int) []byte {
	h := fnv.New64a()
	_, _ = io.WriteString(h, id)
	var seed [32]byte
	copy(seed[:], strconv.FormatUint(h.Sum64(), 16))
	b := make([]byte, size)
	_, _ = rand.NewChaCha8(seed).Read(b)
	return b
}

// send posts one request and returns what the sender saw.
func (s *sender) send(ctx context.Context, sp spec) Sent {
	id := fmt.Sprintf("%s-%d", s.prefix, s.seq.Add(1))
	b := body(id, sp.size)
	sum := sha256.Sum256(b)
	out := Sent{ID: id, Size: int64(len(b)), SHA256: hex.EncodeToString(sum[:])}
	s.do(ctx, sp, b, &out)
	s.mu.Lock()
	s.sent = append(s.sent, out)
	s.mu.Unlock()
	return out
}

func (s *sender) do(ctx context.Context, sp spec, b []byte, out *Sent) {
	resp, err := s.hc.Do(request(ctx, s.url, sp, b, out.ID))
	if err != nil {
		return
	}
	defer resp.Body.Close()
	h := sha256.New()
	if _, err := io.Copy(h, resp.Body); err != nil {
		return // a cut answer is no answer
	}
	out.Status, out.Code = resp.StatusCode, resp.Header.Get(proto.HeaderError)
	out.FromApp = resp.Header.Get(appMark) == out.ID
	if out.FromApp {
		want := sha256.Sum256(answerBody(out.ID, cmp.Or(sp.respSize, defaultRespSize)))
		out.RespSHA256, out.GotRespSHA256 = hex.EncodeToString(want[:]), hex.EncodeToString(h.Sum(nil))
	}
	out.Queued = resp.StatusCode == http.StatusAccepted && !out.FromApp
	retryAfter := resp.Header.Get("Retry-After")
	if !out.FromApp && !out.Queued && !cleanRefusal(out.Status, out.Code, retryAfter != "") {
		s.noteUnclean(fmt.Sprintf("send %s: %d code=%q retry-after=%q", out.ID, out.Status, out.Code, retryAfter))
	}
}

// request is the POST of body b for send id, with the headers that tell the app what
// to do.
func request(ctx context.Context, url string, sp spec, b []byte, id string) *http.Request {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/hook?send="+id, uploadBody(b, sp))
	if err != nil {
		panic(err) // the URL is the suite's own
	}
	req.ContentLength = int64(len(b))
	if sp.chunked {
		req.ContentLength = -1
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set(SendHeader, id)
	for name, v := range map[string]int64{answerHeader: int64(sp.answer), delayHeader: sp.delay.Milliseconds(),
		respSizeHeader: int64(sp.respSize), respPaceHeader: sp.respPace.Milliseconds(), stallHeader: sp.stall.Milliseconds(),
		trickleHeader: int64(sp.trickle)} {
		if v > 0 {
			req.Header.Set(name, strconv.FormatInt(v, 10))
		}
	}
	if sp.breaks != "" {
		req.Header.Set(breakHeader, sp.breaks)
	}
	return req
}

func (s *sender) noteUnclean(line string) {
	s.mu.Lock()
	s.unclean = append(s.unclean, line)
	s.mu.Unlock()
}

// uploadBody is b as a request body: a plain reader (the length is set on the request),
// or one that spreads b over sp.pace.
func uploadBody(b []byte, sp spec) io.Reader {
	if sp.pace <= 0 {
		return struct{ io.Reader }{bytes.NewReader(b)} // hides the length from net/http
	}
	return &pacedReader{b: b, step: 16 << 10, pause: sp.pace / time.Duration(len(b)/(16<<10)+1)}
}

// pacedReader hands out step bytes at a time with a pause before each.
type pacedReader struct {
	b     []byte
	step  int
	pause time.Duration
}

func (p *pacedReader) Read(out []byte) (int, error) {
	if len(p.b) == 0 {
		return 0, io.EOF
	}
	time.Sleep(p.pause)
	n := copy(out[:min(len(out), p.step)], p.b)
	p.b = p.b[n:]
	return n, nil
}

// results is a copy of what was sent so far, and the unclean refusals.
func (s *sender) results() ([]Sent, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...), append([]string(nil), s.unclean...)
}

// maxInFlight bounds the requests one load keeps open.
const maxInFlight = 256

// load sends mix(i) at rate per second until ctx ends, then waits for the requests in
// flight (they run on their own context, so a stopped load still gets its answers).
func (s *sender) load(ctx context.Context, rate int, mix func(i int) spec) {
	slots := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-tick.C:
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			continue
		}
		wg.Add(1)
		go func(sp spec) {
			defer wg.Done()
			s.send(context.Background(), sp)
			<-slots
		}(mix(i))
	}
}

// sendAll sends every spec at once and waits for the answers.
func (s *sender) sendAll(specs []spec) []Sent {
	out := make([]Sent, len(specs))
	var wg sync.WaitGroup
	for i, sp := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = s.send(context.Background(), sp)
		}()
	}
	wg.Wait()
	return out
}
