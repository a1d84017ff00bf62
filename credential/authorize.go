package credential

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/webhookcredential"
)

// Authorization is a credential as it was set on a request. A nil
// *Authorization is no credential.
type Authorization struct {
	cred   *ent.WebhookCredential
	header string
	token  *oauth2.Token // the access token sent; nil for static credentials
}

// Header returns the canonical name of the header that carries the
// credential, so the attempt log can redact it; "" for none.
func (a *Authorization) Header() string {
	if a == nil {
		return ""
	}
	return a.header
}

// Refreshable reports whether a 401 answer to the request warrants a new
// access token and one more try: true for OAuth2 credentials.
func (a *Authorization) Refreshable() bool { return a != nil && a.token != nil }

// Authorize sets cred's header on h: for OAuth2 credentials
// "Authorization: Bearer <access token>", with a cached token or, when none
// is fresh, a new one; "Authorization: Bearer <token>" for BEARER, basic
// auth for BASIC, and "<headerName>: <token>" for API_KEY_HEADER. A failed
// token request is a *TokenError.
func (s *Service) Authorize(ctx context.Context, cred *ent.WebhookCredential, h http.Header) (*Authorization, error) {
	if oauth2Type(cred.Type) {
		tok, err := s.tokens.token(ctx, s, cred)
		if err != nil {
			return nil, err
		}
		return setToken(cred, tok, h), nil
	}
	a, value, err := s.static(cred)
	if err != nil {
		return nil, err
	}
	h.Set(a.header, value)
	return a, nil
}

// Refresh replaces the access token of a, which the receiver answered 401
// to, and sets the new one on h. The refused token leaves the cache; when
// another request has replaced it already, that request's token is used
// rather than fetching yet another.
func (s *Service) Refresh(ctx context.Context, a *Authorization, h http.Header) (*Authorization, error) {
	if !a.Refreshable() {
		return nil, fmt.Errorf("credential: %s credentials cannot be refreshed", a.cred.Type)
	}
	s.tokens.drop(a.cred, a.token)
	tok, err := s.tokens.token(ctx, s, a.cred)
	if err != nil {
		return nil, err
	}
	return setToken(a.cred, tok, h), nil
}

func setToken(cred *ent.WebhookCredential, tok *oauth2.Token, h http.Header) *Authorization {
	h.Set("Authorization", tok.Type()+" "+tok.AccessToken)
	return &Authorization{cred: cred, header: "Authorization", token: tok}
}

// static returns the header of a credential without a token endpoint, and
// its value.
func (s *Service) static(cred *ent.WebhookCredential) (*Authorization, string, error) {
	switch cred.Type {
	case webhookcredential.TypeBearer:
		token, err := s.open(cred, "token", cred.Token)
		return &Authorization{cred: cred, header: "Authorization"}, "Bearer " + token, err
	case webhookcredential.TypeBasic:
		password, err := s.open(cred, "password", cred.Password)
		basic := base64.StdEncoding.EncodeToString([]byte(cred.Username + ":" + password))
		return &Authorization{cred: cred, header: "Authorization"}, "Basic " + basic, err
	case webhookcredential.TypeAPIKeyHeader:
		token, err := s.open(cred, "token", cred.Token)
		return &Authorization{cred: cred, header: http.CanonicalHeaderKey(cred.HeaderName)}, token, err
	}
	return nil, "", fmt.Errorf("credential: %s credentials fetch their tokens", cred.Type)
}
