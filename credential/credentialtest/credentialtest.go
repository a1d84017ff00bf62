// Package credentialtest runs an OAuth2 token endpoint and a receiver that
// checks its tokens, both on loopback ports, for the tests of webhook
// credentials.
package credentialtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// TokenRequest is one request the token endpoint got: its form and the
// client credentials it carried (basic auth or form fields).
type TokenRequest struct {
	Form         url.Values
	ClientID     string
	ClientSecret string
}

// Failure is an error answer of the token endpoint.
type Failure struct {
	Status int
	Body   string
}

// TokenServer is an OAuth2 token endpoint. It issues "tok-1", "tok-2", …
// with ExpiresIn, answers scripted failures first, and keeps which tokens
// are valid for its Receiver.
type TokenServer struct {
	// URL is the token endpoint's URL.
	URL string
	// ExpiresIn is the expires_in of every token; 0 sends none.
	ExpiresIn int

	mu       sync.Mutex
	requests []TokenRequest
	issued   int
	valid    map[string]bool
	failures []Failure
	gate     chan struct{}
	arrived  chan struct{}
}

// NewTokenServer starts a token endpoint that issues tokens living an hour;
// it stops when t ends.
func NewTokenServer(t testing.TB) *TokenServer {
	t.Helper()
	s := &TokenServer{ExpiresIn: 3600, valid: map[string]bool{}, arrived: make(chan struct{}, 1024)}
	ts := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(ts.Close)
	s.URL = ts.URL + "/oauth/token"
	return s
}

func (s *TokenServer) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := TokenRequest{Form: r.PostForm}
	if id, secret, ok := r.BasicAuth(); ok {
		req.ClientID, _ = url.QueryUnescape(id)
		req.ClientSecret, _ = url.QueryUnescape(secret)
	} else {
		req.ClientID, req.ClientSecret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	s.arrived <- struct{}{}
	s.mu.Lock()
	gate := s.gate
	s.mu.Unlock()
	if gate != nil {
		<-gate
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	if len(s.failures) > 0 {
		f := s.failures[0]
		s.failures = s.failures[1:]
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.Status)
		_, _ = w.Write([]byte(f.Body))
		return
	}
	s.issued++
	token := fmt.Sprintf("tok-%d", s.issued)
	s.valid[token] = true
	answer := map[string]any{"access_token": token, "token_type": "bearer"}
	if s.ExpiresIn > 0 {
		answer["expires_in"] = s.ExpiresIn
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(answer)
}

// Requests returns the token requests answered so far.
func (s *TokenServer) Requests() []TokenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]TokenRequest(nil), s.requests...)
}

// Count returns how many token requests were answered.
func (s *TokenServer) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// Fail makes the next token requests fail with the given answers, in order.
func (s *TokenServer) Fail(answers ...Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, answers...)
}

// Revoke makes every token issued so far invalid.
func (s *TokenServer) Revoke() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.valid)
}

// Valid reports whether token was issued and not revoked.
func (s *TokenServer) Valid(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.valid[token]
}

// Hold makes token requests wait until release is called; arrived
// receives one value per request that started waiting.
func (s *TokenServer) Hold() (arrived <-chan struct{}, release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gate := make(chan struct{})
	s.gate = gate
	for len(s.arrived) > 0 {
		<-s.arrived
	}
	var once sync.Once
	return s.arrived, func() {
		once.Do(func() {
			s.mu.Lock()
			s.gate = nil
			s.mu.Unlock()
			close(gate)
		})
	}
}

// Receiver is a webhook receiver that answers 200 to requests carrying a
// valid bearer token of its TokenServer and 401 to the others.
type Receiver struct {
	URL string

	mu   sync.Mutex
	auth []string
}

// NewReceiver starts a receiver checking tokens of s; it stops when t ends.
func (s *TokenServer) NewReceiver(t testing.TB) *Receiver {
	t.Helper()
	rcv := &Receiver{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		rcv.mu.Lock()
		rcv.auth = append(rcv.auth, h)
		rcv.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || !s.Valid(token) {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"invalid_token"}`))
			return
		}
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(ts.Close)
	rcv.URL = ts.URL + "/hook"
	return rcv
}

// Authorizations returns the Authorization header of every request
// received, in order.
func (r *Receiver) Authorizations() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.auth...)
}
