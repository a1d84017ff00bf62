package oauthserver

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/oauthclient"
	"github.com/profilehooks/profilehooks/secret"
)

// GrantClientCredentials is the only grant type the token endpoint serves.
const GrantClientCredentials = "client_credentials"

// maxTokenRequest bounds the body of a token request.
const maxTokenRequest = 64 << 10

// Error codes of RFC 6749 §5.2.
const (
	ErrInvalidRequest       = "invalid_request"
	ErrInvalidClient        = "invalid_client"
	ErrUnsupportedGrantType = "unsupported_grant_type"
	ErrInvalidScope         = "invalid_scope"
	errServerError          = "server_error"
)

// tokenError is an error answer of the token endpoint.
type tokenError struct {
	status      int
	code        string
	description string
}

func badRequest(code, format string, args ...any) *tokenError {
	return &tokenError{status: http.StatusBadRequest, code: code, description: fmt.Sprintf(format, args...)}
}

// clientFailed is invalid_client: 401 with a WWW-Authenticate challenge for
// Basic, the scheme the endpoint supports (RFC 6749 §5.2, RFC 7235 §3.1).
func clientFailed(description string) *tokenError {
	return &tokenError{status: http.StatusUnauthorized, code: ErrInvalidClient, description: description}
}

// tokenRequest is a parsed token request.
type tokenRequest struct {
	grantType    string
	scope        string
	clientID     string
	clientSecret string
}

// TokenResponse is the JSON answer of a successful token request
// (RFC 6749 §5.1).
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	// Scope is set when the request named a scope: the endpoint IDs the
	// token may call.
	Scope string `json:"scope,omitempty"`
}

// TokenHandler serves POST /oauth/token, the client-credentials grant of
// RFC 6749 §4.4. The client authenticates with HTTP Basic (ID and secret
// form-urlencoded, §2.3.1) or with client_id and client_secret in the
// form body, never both. A scope, if given, is a space-separated list of
// endpoint IDs that narrows the token to those of the client's endpoints.
func (s *Server) TokenHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		req, terr := parseTokenRequest(w, r)
		if terr == nil {
			var resp *TokenResponse
			if resp, terr = s.grant(r.Context(), req); terr == nil {
				writeJSON(w, http.StatusOK, resp)
				return
			}
		}
		if terr.status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="profilehooks", charset="UTF-8"`)
		}
		writeJSON(w, terr.status, map[string]string{"error": terr.code, "error_description": terr.description})
	})
}

// grant authenticates the client, checks the grant type and scope, and
// issues the token.
func (s *Server) grant(ctx context.Context, req tokenRequest) (*TokenResponse, *tokenError) {
	c, terr := s.authenticate(ctx, req)
	if terr != nil {
		return nil, terr
	}
	if req.grantType != GrantClientCredentials {
		return nil, badRequest(ErrUnsupportedGrantType, "grant_type %q is not supported; use %s", req.grantType, GrantClientCredentials)
	}
	endpoints, terr := s.grantedEndpoints(ctx, c, req.scope)
	if terr != nil {
		return nil, terr
	}
	token, lifetime, err := s.issue(ctx, c, endpoints)
	if err != nil {
		s.log.ErrorContext(ctx, "oauth: issue token", "client", c.ID, "err", err)
		return nil, &tokenError{status: http.StatusInternalServerError, code: errServerError, description: "the token could not be issued"}
	}
	resp := &TokenResponse{AccessToken: token, TokenType: "Bearer", ExpiresIn: int64(lifetime / time.Second)}
	if req.scope != "" {
		resp.Scope = strings.Join(endpoints, " ")
	}
	return resp, nil
}

// parseTokenRequest reads the form body and the client credentials.
func parseTokenRequest(w http.ResponseWriter, r *http.Request) (tokenRequest, *tokenError) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return tokenRequest{}, badRequest(ErrInvalidRequest, "the body must be application/x-www-form-urlencoded")
	}
	if q := r.URL.Query(); q.Has("client_secret") {
		return tokenRequest{}, badRequest(ErrInvalidRequest, "client credentials must not be sent in the URL")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenRequest)
	if err := r.ParseForm(); err != nil {
		return tokenRequest{}, badRequest(ErrInvalidRequest, "the body is not a valid form")
	}
	for name, values := range r.PostForm {
		if len(values) > 1 {
			return tokenRequest{}, badRequest(ErrInvalidRequest, "parameter %q is repeated", name)
		}
	}
	req := tokenRequest{
		grantType:    r.PostForm.Get("grant_type"),
		scope:        strings.TrimSpace(r.PostForm.Get("scope")),
		clientID:     r.PostForm.Get("client_id"),
		clientSecret: r.PostForm.Get("client_secret"),
	}
	if req.grantType == "" {
		return tokenRequest{}, badRequest(ErrInvalidRequest, "grant_type is required")
	}
	if r.Header.Get("Authorization") == "" {
		return req, nil
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		return tokenRequest{}, clientFailed("the Authorization header must use the Basic scheme")
	}
	id, err1 := url.QueryUnescape(user)
	sec, err2 := url.QueryUnescape(pass)
	switch {
	case err1 != nil || err2 != nil:
		return tokenRequest{}, clientFailed("the Basic credentials are not form-urlencoded")
	case req.clientSecret != "":
		return tokenRequest{}, badRequest(ErrInvalidRequest, "use one client authentication method: Basic or client_secret in the body, not both")
	case req.clientID != "" && req.clientID != id:
		return tokenRequest{}, badRequest(ErrInvalidRequest, "client_id differs from the Basic credentials")
	}
	req.clientID, req.clientSecret = id, sec
	return req, nil
}

// dummyHash is compared against when no client has the presented ID, so
// the answer takes as long as for a wrong secret.
var dummyHash = hashSecret(ClientSecretPrefix + secret.NewURLKey(32))

// authenticate finds the client and checks its secret in constant time.
func (s *Server) authenticate(ctx context.Context, req tokenRequest) (*ent.OAuthClient, *tokenError) {
	if req.clientID == "" || req.clientSecret == "" {
		return nil, clientFailed("client authentication is required")
	}
	c, err := s.cfg.Client.OAuthClient.Query().Where(oauthclient.ClientID(req.clientID)).Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		s.log.ErrorContext(ctx, "oauth: load client", "err", err)
		return nil, &tokenError{status: http.StatusInternalServerError, code: errServerError, description: "the client could not be checked"}
	}
	stored := dummyHash
	if c != nil {
		stored = c.SecretHash
	}
	match := subtle.ConstantTimeCompare([]byte(hashSecret(req.clientSecret)), []byte(stored)) == 1
	switch {
	case c == nil || !match:
		return nil, clientFailed("unknown client or wrong secret")
	case c.RevokedAt != nil:
		return nil, clientFailed("the client is revoked")
	}
	return c, nil
}

// grantedEndpoints returns the endpoint IDs the token may call: all of the
// client's, or those the scope names, each of which must be the client's.
func (s *Server) grantedEndpoints(ctx context.Context, c *ent.OAuthClient, scope string) ([]string, *tokenError) {
	own, err := c.QueryEndpoints().IDs(ctx)
	if err != nil {
		s.log.ErrorContext(ctx, "oauth: load client endpoints", "client", c.ID, "err", err)
		return nil, &tokenError{status: http.StatusInternalServerError, code: errServerError, description: "the client's endpoints could not be loaded"}
	}
	slices.Sort(own)
	if len(own) == 0 {
		return nil, badRequest(ErrInvalidScope, "the client may call no incoming endpoint")
	}
	if scope == "" {
		return own, nil
	}
	var granted []string
	for _, id := range strings.Fields(scope) {
		if !slices.Contains(own, id) {
			return nil, badRequest(ErrInvalidScope, "scope %q is not an incoming endpoint of this client", id)
		}
		if !slices.Contains(granted, id) {
			granted = append(granted, id)
		}
	}
	return granted, nil
}

// accessClaims are the claims of an access token.
type accessClaims struct {
	jwt.Claims
	// ClientID is the public client identifier (the sub is the client's
	// object ID).
	ClientID string `json:"client_id"`
	// EndpointIDs are the incoming endpoints the token may call.
	EndpointIDs []string `json:"endpoint_ids"`
}

// issue signs an access token for c limited to endpoints.
func (s *Server) issue(ctx context.Context, c *ent.OAuthClient, endpoints []string) (string, time.Duration, error) {
	lifetime, err := s.lifetime(ctx)
	if err != nil {
		return "", 0, fmt.Errorf("oauthserver: token lifetime: %w", err)
	}
	signer, err := s.keys.signer(ctx)
	if err != nil {
		return "", 0, err
	}
	now := s.now()
	claims := accessClaims{
		Claims: jwt.Claims{
			Issuer:   s.cfg.Issuer,
			Audience: jwt.Audience{s.cfg.Issuer},
			Subject:  c.ID,
			IssuedAt: jwt.NewNumericDate(now),
			Expiry:   jwt.NewNumericDate(now.Add(lifetime)),
			ID:       secret.NewURLKey(16),
		},
		ClientID:    c.ClientID,
		EndpointIDs: endpoints,
	}
	token, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		return "", 0, fmt.Errorf("oauthserver: sign token: %w", err)
	}
	return token, lifetime, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
