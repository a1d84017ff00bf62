package inbound

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/schema/schematype"
	"github.com/profilehooks/profilehooks/oauthserver"
	"github.com/profilehooks/profilehooks/signing"
)

// bearerChallenge is the WWW-Authenticate of OAUTH2 and JWT endpoints.
const bearerChallenge = `Bearer realm="profilehooks"`

// authenticate checks the credentials of r for ep's auth mode and returns
// the caller's name for the log ("" for HMAC, which names nobody).
func (h *Handler) authenticate(ctx context.Context, r *http.Request, ep *ent.InboundEndpoint, body []byte, s Settings) (string, *Error) {
	switch ep.AuthMode {
	case schematype.InboundAuthOAuth2:
		return h.authOAuth2(ctx, r, ep)
	case schematype.InboundAuthJWT:
		return h.authJWT(ctx, r, ep, s)
	case schematype.InboundAuthHMAC:
		return "", h.authHMAC(ctx, r, ep, body)
	}
	h.log.ErrorContext(ctx, "inbound: unknown auth mode", "endpoint", ep.ID, "auth_mode", ep.AuthMode)
	return "", errInternal
}

// authOAuth2 accepts an access token of the service's token endpoint whose
// client is not revoked and may call ep.
func (h *Handler) authOAuth2(ctx context.Context, r *http.Request, ep *ent.InboundEndpoint) (string, *Error) {
	raw, e := bearer(r)
	if e != nil {
		return "", e
	}
	tok, err := h.cfg.Tokens.Verify(ctx, raw)
	if errors.Is(err, oauthserver.ErrInvalidToken) {
		return "", invalidToken(strings.TrimPrefix(err.Error(), oauthserver.ErrInvalidToken.Error()+": "))
	}
	if err != nil {
		h.log.ErrorContext(ctx, "inbound: verify access token", "endpoint", ep.ID, "err", err)
		return "", errInternal
	}
	if !slices.Contains(tok.EndpointIDs, ep.ID) {
		return tok.ClientID, newError(http.StatusForbidden, CodeForbidden, "the OAuth client may not call this endpoint")
	}
	return tok.ClientID, nil
}

// authJWT accepts a JWT of a trusted issuer for its audience.
func (h *Handler) authJWT(ctx context.Context, r *http.Request, ep *ent.InboundEndpoint, s Settings) (string, *Error) {
	raw, e := bearer(r)
	if e != nil {
		return "", e
	}
	name, err := h.issuers.verify(ctx, raw, s.TrustedIssuers)
	if err != nil {
		h.log.DebugContext(ctx, "inbound: JWT refused", "endpoint", ep.ID, "err", err)
		return "", invalidToken("the JWT is not from a trusted issuer and audience, or it is expired or badly signed")
	}
	return name, nil
}

// authHMAC checks the Standard Webhooks signature of body with ep's secret.
// That the webhook-id is new is checked later (remember), after the rate
// limit.
func (h *Handler) authHMAC(ctx context.Context, r *http.Request, ep *ent.InboundEndpoint, body []byte) *Error {
	plain, err := h.cfg.Box.Open(ep.HmacSecret)
	if err != nil {
		h.log.ErrorContext(ctx, "inbound: open HMAC secret", "endpoint", ep.ID, "err", err)
		return errInternal
	}
	sec, err := signing.ParseSecret(plain)
	if err != nil {
		h.log.ErrorContext(ctx, "inbound: parse HMAC secret", "endpoint", ep.ID, "err", err)
		return errInternal
	}
	err = signing.Verify(sec, r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature"), body, h.now(), HMACTolerance)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, signing.ErrMissingHeaders):
		return newError(http.StatusUnauthorized, CodeUnauthenticated, "webhook-id, webhook-timestamp and webhook-signature are required")
	case errors.Is(err, signing.ErrTimestamp):
		return newError(http.StatusUnauthorized, CodeUnauthenticated, "webhook-timestamp is not within 5 minutes of now")
	}
	return newError(http.StatusUnauthorized, CodeUnauthenticated, "no webhook-signature matches the message")
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) (string, *Error) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", newError(http.StatusUnauthorized, CodeUnauthenticated, "a bearer token is required").with("WWW-Authenticate", bearerChallenge)
	}
	return token, nil
}

func invalidToken(reason string) *Error {
	return newError(http.StatusUnauthorized, CodeUnauthenticated, "the bearer token is invalid: %s", reason).
		with("WWW-Authenticate", bearerChallenge+`, error="invalid_token"`)
}
