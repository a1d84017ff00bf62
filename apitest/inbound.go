package apitest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/signing"
)

// InboundError is an error of an incoming endpoint's answer.
type InboundError struct {
	Code    string  `json:"code"`
	Message string  `json:"message"`
	Field   *string `json:"field"`
	Index   *int    `json:"index"`
}

// InboundResult is the answer for one object.
type InboundResult struct {
	UserID        string        `json:"userId"`
	Status        string        `json:"status"`
	ChangedFields []string      `json:"changedFields"`
	IgnoredFields []string      `json:"ignoredFields"`
	Error         *InboundError `json:"error"`
}

// InboundResponse is the answer of an incoming endpoint.
type InboundResponse struct {
	Status  int
	Header  http.Header
	Body    []byte
	Results []InboundResult `json:"results"`
	Error   *InboundError   `json:"error"`
}

// Inbound posts body to the incoming endpoint whose URL (as the API shows
// it, on the public URL) is endpointURL, on e's server, with the headers
// given as name, value pairs; Content-Type is application/json unless
// given. A query (?atomic=true) may follow endpointURL.
func (e *Env) Inbound(t testing.TB, endpointURL string, body []byte, header ...string) InboundResponse {
	t.Helper()
	u, err := url.Parse(endpointURL)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, e.URL+u.RequestURI(), bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.HTTP.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := InboundResponse{Status: resp.StatusCode, Header: resp.Header, Body: raw}
	require.NoError(t, json.Unmarshal(raw, &out), "body: %s", raw)
	return out
}

// Bearer returns the header pair of a bearer token, for Inbound.
func Bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

// HMACHeaders returns the Standard Webhooks header pairs (webhook-id,
// webhook-timestamp, webhook-signature) for body signed with the whsec_
// secret at ts, for Inbound.
func HMACHeaders(t testing.TB, whsec, id string, ts time.Time, body []byte) []string {
	t.Helper()
	sec, err := signing.ParseSecret(whsec)
	require.NoError(t, err)
	return []string{
		"webhook-id", id,
		"webhook-timestamp", strconv.FormatInt(ts.Unix(), 10),
		"webhook-signature", sec.Sign(id, ts, body),
	}
}

// TokenResponse is the answer of POST /oauth/token.
type TokenResponse struct {
	Status           int
	Header           http.Header
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int64  `json:"expires_in"`
	Scope            string `json:"scope"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// TokenRequest posts form to /oauth/token, with HTTP Basic credentials
// when basicID is not empty (form-urlencoded as RFC 6749 §2.3.1 asks).
func (e *Env) TokenRequest(t testing.TB, form url.Values, basicID, basicSecret string) TokenResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.URL+"/oauth/token", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicID != "" {
		req.SetBasicAuth(url.QueryEscape(basicID), url.QueryEscape(basicSecret))
	}
	resp, err := e.HTTP.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := TokenResponse{Status: resp.StatusCode, Header: resp.Header}
	require.NoError(t, json.Unmarshal(raw, &out), "body: %s", raw)
	return out
}

// OAuthToken gets an access token with the client-credentials grant and
// requires that it was issued.
func (e *Env) OAuthToken(t testing.TB, clientID, clientSecret string) string {
	t.Helper()
	r := e.TokenRequest(t, url.Values{"grant_type": {"client_credentials"}}, clientID, clientSecret)
	require.Equal(t, http.StatusOK, r.Status, "token error %s: %s", r.Error, r.ErrorDescription)
	return r.AccessToken
}

// OAuthClient is a client made by CreateOAuthClient.
type OAuthClient struct {
	ID           string
	ClientID     string
	ClientSecret string
}

// CreateOAuthClient registers an OAuth client for the endpoints.
func (e *Env) CreateOAuthClient(t testing.TB, name string, endpointIDs ...string) OAuthClient {
	t.Helper()
	var out struct {
		CreateOAuthClient struct {
			ClientSecret string
			OauthClient  struct{ ID, ClientID string }
		}
	}
	e.Must(t, `mutation($input: CreateOAuthClientInput!) { createOAuthClient(input: $input) { clientSecret oauthClient { id clientId } } }`,
		map[string]any{"input": map[string]any{"name": name, "endpointIds": endpointIDs}}, &out)
	c := out.CreateOAuthClient
	return OAuthClient{ID: c.OauthClient.ID, ClientID: c.OauthClient.ClientID, ClientSecret: c.ClientSecret}
}
