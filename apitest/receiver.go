package apitest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Received is one request a Receiver got.
type Received struct {
	Header http.Header
	Body   []byte
	At     time.Time
}

// Answer is how a Receiver answers one request.
type Answer struct {
	Status int
	Header map[string]string
	Body   string
}

// Receiver is a webhook receiver on a loopback port: it records every
// request and answers from a script, then with the fallback answer.
type Receiver struct {
	URL string

	mu       sync.Mutex
	script   []Answer
	fallback Answer
	got      []Received
	ch       chan Received
}

// NewReceiver starts a receiver that answers the scripted answers in order,
// then 200 with an empty JSON object; it stops when t ends.
func NewReceiver(t testing.TB, script ...Answer) *Receiver {
	t.Helper()
	r := &Receiver{script: script, fallback: Answer{Status: http.StatusOK, Body: "{}"}, ch: make(chan Received, 1024)}
	ts := httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(ts.Close)
	r.URL = ts.URL + "/hook"
	return r
}

// SetFallback changes the answer given once the script has run out.
func (r *Receiver) SetFallback(a Answer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fallback = a
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	rec := Received{Header: req.Header.Clone(), Body: body, At: time.Now()}
	r.mu.Lock()
	r.got = append(r.got, rec)
	a := r.fallback
	if len(r.script) > 0 {
		a, r.script = r.script[0], r.script[1:]
	}
	r.mu.Unlock()
	for k, v := range a.Header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.Status)
	_, _ = io.WriteString(w, a.Body)
	select {
	case r.ch <- rec:
	default:
	}
}

// Next waits for the next request, failing t after timeout.
func (r *Receiver) Next(t testing.TB, timeout time.Duration) Received {
	t.Helper()
	select {
	case rec := <-r.ch:
		return rec
	case <-time.After(timeout):
		require.FailNow(t, "the receiver got no request in time")
		return Received{}
	}
}

// All returns every request received so far.
func (r *Receiver) All() []Received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Received(nil), r.got...)
}
