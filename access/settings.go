package access

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/profilehooks/profilehooks/access/securitytype"
	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/fault"
	"github.com/profilehooks/profilehooks/store"
)

// settingsID is the ID of the single SecuritySetting row.
const settingsID = "security"

// Limits of the security settings.
const (
	// DefaultAccessTokenLifetime is the lifetime of access tokens issued by
	// the OAuth server until an admin changes it.
	DefaultAccessTokenLifetime = time.Hour
	// MinAccessTokenLifetime and MaxAccessTokenLifetime bound it.
	MinAccessTokenLifetime = time.Minute
	MaxAccessTokenLifetime = 24 * time.Hour
	// MaxTrustedIssuers, MaxAllowlistEntries and MaxCORSOrigins bound the
	// lists.
	MaxTrustedIssuers   = 50
	MaxAllowlistEntries = 200
	MaxCORSOrigins      = 50
	// maxURLLength bounds issuers, audiences and origins, in bytes.
	maxURLLength = 2048
)

// TrustedIssuer is a token issuer whose JWTs incoming endpoints accept:
// tokens must carry iss Issuer and have Audience among their aud values.
type TrustedIssuer = securitytype.TrustedIssuer

// Settings are the service-wide security settings.
type Settings struct {
	// AccessTokenLifetime is how long access tokens issued by the OAuth
	// server stay valid.
	AccessTokenLifetime time.Duration
	// TrustedIssuers are the external token issuers incoming endpoints
	// accept JWTs from; empty trusts none.
	TrustedIssuers []TrustedIssuer
	// InboundAllowlist are the networks incoming endpoints accept requests
	// from; empty allows any address.
	InboundAllowlist []netip.Prefix
	// CORSOrigins are the origins (scheme://host[:port], lower case) a
	// browser console may call the API from besides the service's own;
	// empty allows none.
	CORSOrigins []string
	// UpdatedAt is when an admin last changed the settings; nil means never
	// (these are the defaults).
	UpdatedAt *time.Time
	// UpdatedBy is the subject of the admin who last changed the settings;
	// empty means never changed.
	UpdatedBy string
}

// DefaultSettings returns the settings of a service no admin has changed.
func DefaultSettings() Settings {
	return Settings{
		AccessTokenLifetime: DefaultAccessTokenLifetime,
		TrustedIssuers:      []TrustedIssuer{},
		InboundAllowlist:    []netip.Prefix{},
		CORSOrigins:         []string{},
	}
}

// InboundAllowlistCIDRs returns InboundAllowlist in CIDR notation.
func (s Settings) InboundAllowlistCIDRs() []string {
	out := make([]string, len(s.InboundAllowlist))
	for i, p := range s.InboundAllowlist {
		out[i] = p.String()
	}
	return out
}

// AllowsInbound reports whether an incoming endpoint accepts a request from
// addr: the allowlist is empty, or addr (IPv4-mapped IPv6 addresses as
// IPv4) is in one of its prefixes.
func (s Settings) AllowsInbound(addr netip.Addr) bool {
	if len(s.InboundAllowlist) == 0 {
		return true
	}
	addr = addr.Unmap()
	for _, p := range s.InboundAllowlist {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// AllowsOrigin reports whether origin (an Origin header) is one of
// CORSOrigins. Comparison ignores case and a default port.
func (s Settings) AllowsOrigin(origin string) bool {
	o, err := canonicalOrigin(origin)
	return err == nil && slices.Contains(s.CORSOrigins, o)
}

// TrustsIssuer reports whether tokens with the given issuer and one of the
// audiences are accepted.
func (s Settings) TrustsIssuer(issuer string, audiences []string) bool {
	for _, t := range s.TrustedIssuers {
		if t.Issuer == issuer && slices.Contains(audiences, t.Audience) {
			return true
		}
	}
	return false
}

// LoadSettings reads the security settings through client (a transaction's
// client or not); a database where no admin changed them yields
// DefaultSettings. It reads one row by primary key: cheap enough to call
// per request.
func LoadSettings(ctx context.Context, client *ent.Client) (Settings, error) {
	row, err := client.SecuritySetting.Get(ctx, settingsID)
	if ent.IsNotFound(err) {
		return DefaultSettings(), nil
	}
	if err != nil {
		return Settings{}, fmt.Errorf("access: load settings: %w", err)
	}
	return fromRow(row), nil
}

func fromRow(row *ent.SecuritySetting) Settings {
	s := DefaultSettings()
	s.AccessTokenLifetime = time.Duration(row.AccessTokenLifetimeSeconds) * time.Second
	s.TrustedIssuers = append(s.TrustedIssuers, row.TrustedIssuers...)
	for _, c := range row.InboundAllowlist {
		if p, err := netip.ParsePrefix(c); err == nil {
			s.InboundAllowlist = append(s.InboundAllowlist, p)
		}
	}
	s.CORSOrigins = append(s.CORSOrigins, row.CorsOrigins...)
	updated := row.UpdatedAt
	s.UpdatedAt = &updated
	s.UpdatedBy = row.UpdatedBy
	return s
}

// SettingsPatch changes the security settings. A nil member keeps its
// value; a list that is not nil replaces the stored list (an empty list
// clears it).
type SettingsPatch struct {
	AccessTokenLifetime *time.Duration
	TrustedIssuers      []TrustedIssuer
	// InboundAllowlist are CIDR prefixes ("10.0.0.0/8", "2001:db8::/32") or
	// single addresses.
	InboundAllowlist []string
	// CORSOrigins are origins: scheme://host[:port] with no path.
	CORSOrigins []string
}

// UpdateSettings validates patch, applies it to the stored settings and
// returns the result, recording the caller of ctx as the one who changed
// them.
func (s *Service) UpdateSettings(ctx context.Context, patch SettingsPatch) (*Settings, error) {
	client, err := store.ClientFrom(ctx)
	if err != nil {
		return nil, fmt.Errorf("access: update settings: %w", err)
	}
	cur, err := LoadSettings(ctx, client)
	if err != nil {
		return nil, err
	}
	next, err := cur.apply(patch)
	if err != nil {
		return nil, fault.Prefix("input", err)
	}
	by := ""
	if p, ok := PrincipalFrom(ctx); ok {
		by = p.Subject
	}
	err = client.SecuritySetting.Create().
		SetID(settingsID).
		SetAccessTokenLifetimeSeconds(int64(next.AccessTokenLifetime / time.Second)).
		SetTrustedIssuers(next.TrustedIssuers).
		SetInboundAllowlist(next.InboundAllowlistCIDRs()).
		SetCorsOrigins(next.CORSOrigins).
		SetUpdatedAt(s.now()).
		SetUpdatedBy(by).
		OnConflictColumns("id").
		UpdateNewValues().
		Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("access: update settings: %w", err)
	}
	row, err := client.SecuritySetting.Get(ctx, settingsID)
	if err != nil {
		return nil, fmt.Errorf("access: update settings: %w", err)
	}
	out := fromRow(row)
	return &out, nil
}

// apply returns s changed by patch, or a fault.Invalid naming the input
// field at fault.
func (s Settings) apply(patch SettingsPatch) (Settings, error) {
	if d := patch.AccessTokenLifetime; d != nil {
		if *d < MinAccessTokenLifetime || *d > MaxAccessTokenLifetime {
			return Settings{}, fault.Invalid("accessTokenLifetime", "must be between %s and %s", MinAccessTokenLifetime, MaxAccessTokenLifetime)
		}
		if *d%time.Second != 0 {
			return Settings{}, fault.Invalid("accessTokenLifetime", "must be whole seconds")
		}
		s.AccessTokenLifetime = *d
	}
	if patch.TrustedIssuers != nil {
		issuers, err := validIssuers(patch.TrustedIssuers)
		if err != nil {
			return Settings{}, err
		}
		s.TrustedIssuers = issuers
	}
	if patch.InboundAllowlist != nil {
		prefixes, err := validAllowlist(patch.InboundAllowlist)
		if err != nil {
			return Settings{}, err
		}
		s.InboundAllowlist = prefixes
	}
	if patch.CORSOrigins != nil {
		origins, err := validOrigins(patch.CORSOrigins)
		if err != nil {
			return Settings{}, err
		}
		s.CORSOrigins = origins
	}
	return s, nil
}

func validIssuers(in []TrustedIssuer) ([]TrustedIssuer, error) {
	if len(in) > MaxTrustedIssuers {
		return nil, fault.Invalid("trustedIssuers", "at most %d issuers", MaxTrustedIssuers)
	}
	out := make([]TrustedIssuer, 0, len(in))
	for i, t := range in {
		field := fmt.Sprintf("trustedIssuers[%d]", i)
		t.Issuer = strings.TrimSpace(t.Issuer)
		t.Audience = strings.TrimSpace(t.Audience)
		if err := ValidIssuerURL(t.Issuer); err != nil {
			return nil, fault.Invalid(field+".issuer", "%s", err.Error())
		}
		switch {
		case t.Audience == "":
			return nil, fault.Invalid(field+".audience", "must not be empty")
		case len(t.Audience) > maxURLLength:
			return nil, fault.Invalid(field+".audience", "must be at most %d bytes", maxURLLength)
		case slices.Contains(out, t):
			return nil, fault.Invalid(field, "is listed twice")
		}
		out = append(out, t)
	}
	return out, nil
}

// ValidIssuerURL checks an OpenID Connect issuer identifier: an absolute
// https URL without query or fragment (http only for loopback hosts, for
// development). The error says what is wrong.
func ValidIssuerURL(issuer string) error {
	if issuer == "" {
		return fmt.Errorf("must not be empty")
	}
	if len(issuer) > maxURLLength {
		return fmt.Errorf("must be at most %d bytes", maxURLLength)
	}
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("must be an https URL without query or fragment")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && IsLoopbackHost(u.Hostname()):
	default:
		return fmt.Errorf("must be an https URL (http only for loopback hosts)")
	}
	return nil
}

func validAllowlist(in []string) ([]netip.Prefix, error) {
	if len(in) > MaxAllowlistEntries {
		return nil, fault.Invalid("inboundAllowlist", "at most %d entries", MaxAllowlistEntries)
	}
	out := make([]netip.Prefix, 0, len(in))
	for i, raw := range in {
		field := fmt.Sprintf("inboundAllowlist[%d]", i)
		p, err := parsePrefix(strings.TrimSpace(raw))
		if err != nil {
			return nil, fault.Invalid(field, "%s", err.Error())
		}
		if slices.Contains(out, p) {
			return nil, fault.Invalid(field, "%s is listed twice", p)
		}
		out = append(out, p)
	}
	return out, nil
}

// parsePrefix reads a CIDR prefix or a single address (as a /32 or /128).
// A prefix with bits set after its length is refused: 10.1.2.3/8 is likely
// a typo for 10.0.0.0/8 or 10.1.2.3/32.
func parsePrefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%q is not a CIDR prefix (10.0.0.0/8) or an IP address", s)
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not a CIDR prefix (10.0.0.0/8) or an IP address", s)
	}
	if p.Addr().Is4In6() {
		return netip.Prefix{}, fmt.Errorf("%q: write IPv4 prefixes in IPv4 form", s)
	}
	if m := p.Masked(); m != p {
		return netip.Prefix{}, fmt.Errorf("%q has bits set after the prefix length; did you mean %s?", s, m)
	}
	return p, nil
}

func validOrigins(in []string) ([]string, error) {
	if len(in) > MaxCORSOrigins {
		return nil, fault.Invalid("corsOrigins", "at most %d origins", MaxCORSOrigins)
	}
	out := make([]string, 0, len(in))
	for i, raw := range in {
		field := fmt.Sprintf("corsOrigins[%d]", i)
		o, err := canonicalOrigin(strings.TrimSpace(raw))
		if err != nil {
			return nil, fault.Invalid(field, "%s", err.Error())
		}
		if slices.Contains(out, o) {
			return nil, fault.Invalid(field, "%s is listed twice", o)
		}
		out = append(out, o)
	}
	return out, nil
}

// canonicalOrigin returns origin as scheme://host[:port] in lower case,
// without a default port, or an error when it is not an http(s) origin.
func canonicalOrigin(origin string) (string, error) {
	if strings.Contains(origin, "*") {
		return "", fmt.Errorf("wildcards are not allowed: list each origin")
	}
	if len(origin) > maxURLLength {
		return "", fmt.Errorf("must be at most %d bytes", maxURLLength)
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(origin, "?") {
		return "", fmt.Errorf("%q is not an origin: use scheme://host[:port] without a path", origin)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", fmt.Errorf("%q is not an origin: the scheme must be http or https", origin)
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		return scheme + "://" + net.JoinHostPort(host, port), nil
	}
	if strings.Contains(host, ":") {
		return scheme + "://[" + host + "]", nil
	}
	return scheme + "://" + host, nil
}

// IsLoopbackHost reports whether host (a name or an IP address, without a
// port) is localhost or a loopback address.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}
