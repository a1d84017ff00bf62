package credential

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/profilehooks/profilehooks/ent/webhookcredential"
	"github.com/profilehooks/profilehooks/fault"
	"github.com/profilehooks/profilehooks/profile"
)

// Limits of the fields of a credential, in bytes.
const (
	MaxURLLength    = 2048
	MaxNameLength   = 1024 // client ID, username, audience
	MaxSecretLength = 4096 // client secret, password
	MaxTokenLength  = 8192 // static token or API key: it travels in a header
	MaxScopes       = 50
)

// HintMinLength is the shortest secret whose hint shows characters: a hint
// shows the last four characters of a secret of at least this many
// characters and none of a shorter one.
const HintMinLength = 12

// use says whether a type of credential needs a field.
type use int

const (
	unused use = iota
	optional
	required
)

// fieldUse lists, by GraphQL input field, which types need it; a type not
// listed leaves the field unused.
var fieldUse = map[string]map[webhookcredential.Type]use{
	"tokenUrl":     {webhookcredential.TypeOAuth2ClientCredentials: required, webhookcredential.TypeOAuth2Password: required},
	"clientId":     {webhookcredential.TypeOAuth2ClientCredentials: required, webhookcredential.TypeOAuth2Password: required},
	"clientSecret": {webhookcredential.TypeOAuth2ClientCredentials: required, webhookcredential.TypeOAuth2Password: optional},
	"username":     {webhookcredential.TypeOAuth2Password: required, webhookcredential.TypeBasic: required},
	"password":     {webhookcredential.TypeOAuth2Password: required, webhookcredential.TypeBasic: required},
	"scopes":       {webhookcredential.TypeOAuth2ClientCredentials: optional, webhookcredential.TypeOAuth2Password: optional},
	// golang.org/x/oauth2's password grant sends no extra parameters.
	"audience":   {webhookcredential.TypeOAuth2ClientCredentials: optional},
	"token":      {webhookcredential.TypeBearer: required, webhookcredential.TypeAPIKeyHeader: required},
	"headerName": {webhookcredential.TypeAPIKeyHeader: required},
}

// inputFields are the keys of fieldUse in the order of the GraphQL input.
var inputFields = []string{"tokenUrl", "clientId", "clientSecret", "username", "password", "scopes", "audience", "token", "headerName"}

// secretField is a secret as it will be stored: the sealed value on file,
// or a new plain value that replaces it.
type secretField struct {
	sealed string  // the stored sealed value; "" when none
	plain  *string // a new value; nil keeps sealed
}

func (f secretField) set() bool {
	if f.plain != nil {
		return *f.plain != ""
	}
	return f.sealed != ""
}

// config is a credential's configuration as it will be stored.
type config struct {
	name                                         string
	typ                                          webhookcredential.Type
	tokenURL, clientID, username, audience, head string
	scopes                                       []string
	clientSecret, password, token                secretField
}

// validate checks c as a whole: the name, which fields c's type requires
// and allows, and each field's value. Field names in errors are the
// GraphQL input's.
func (c *config) validate() error {
	name, err := profile.CheckName(c.name)
	if err != nil {
		return fault.Invalid("name", "%s", err)
	}
	c.name = name
	if err := webhookcredential.TypeValidator(c.typ); err != nil {
		return fault.Invalid("type", "%q is not a credential type", c.typ)
	}
	c.tokenURL = strings.TrimSpace(c.tokenURL)
	present := map[string]bool{
		"tokenUrl": c.tokenURL != "", "clientId": c.clientID != "", "clientSecret": c.clientSecret.set(),
		"username": c.username != "", "password": c.password.set(), "scopes": len(c.scopes) > 0,
		"audience": c.audience != "", "token": c.token.set(), "headerName": c.head != "",
	}
	for _, f := range inputFields {
		switch u := fieldUse[f][c.typ]; {
		case u == required && !present[f]:
			return fault.Invalid(f, "required for %s credentials", c.typ)
		case u == unused && present[f]:
			return fault.Invalid(f, "not used by %s credentials; leave it out", c.typ)
		}
	}
	return c.checkValues()
}

// checkValues checks the values of the fields that are set.
func (c *config) checkValues() error {
	if c.tokenURL != "" {
		if len(c.tokenURL) > MaxURLLength {
			return fault.Invalid("tokenUrl", "longer than %d bytes", MaxURLLength)
		}
		if err := profile.CheckURL(c.tokenURL); err != nil {
			return fault.Invalid("tokenUrl", "%s", err)
		}
	}
	for _, f := range []struct {
		field, value string
	}{{"clientId", c.clientID}, {"username", c.username}, {"audience", c.audience}} {
		if err := checkText(f.value, MaxNameLength); err != nil {
			return fault.Invalid(f.field, "%s", err)
		}
	}
	if c.typ == webhookcredential.TypeBasic && strings.Contains(c.username, ":") {
		return fault.Invalid("username", "basic auth user names cannot contain a colon")
	}
	if err := checkScopes(c.scopes); err != nil {
		return err
	}
	if c.head != "" {
		if err := checkHeaderName(c.head); err != nil {
			return fault.Invalid("headerName", "%s", err)
		}
	}
	for _, f := range []struct {
		field string
		value *string
		max   int
	}{{"clientSecret", c.clientSecret.plain, MaxSecretLength}, {"password", c.password.plain, MaxSecretLength}, {"token", c.token.plain, MaxTokenLength}} {
		if f.value == nil {
			continue
		}
		if err := checkText(*f.value, f.max); err != nil {
			return fault.Invalid(f.field, "%s", err)
		}
	}
	if c.token.plain != nil && strings.TrimSpace(*c.token.plain) != *c.token.plain {
		return fault.Invalid("token", "must not start or end with white space")
	}
	return nil
}

// checkText refuses text longer than max bytes, invalid UTF-8 and control
// characters (they cannot travel in a header or a form).
func checkText(s string, max int) error {
	switch {
	case len(s) > max:
		return fmt.Errorf("longer than %d bytes", max)
	case !utf8.ValidString(s):
		return fmt.Errorf("not valid UTF-8")
	case strings.ContainsFunc(s, unicode.IsControl):
		return fmt.Errorf("must not contain control characters or line breaks")
	}
	return nil
}

// scopeToken is an RFC 6749 scope-token.
var scopeToken = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]+$`)

func checkScopes(scopes []string) error {
	if len(scopes) > MaxScopes {
		return fault.Invalid("scopes", "more than %d scopes", MaxScopes)
	}
	for i, s := range scopes {
		field := fmt.Sprintf("scopes[%d]", i)
		switch {
		case !scopeToken.MatchString(s):
			return fault.Invalid(field, "%q is not a scope: printable ASCII without spaces, quotes or backslashes", s)
		case slices.Index(scopes, s) < i:
			return fault.Invalid(field, "%s is listed twice", s)
		}
	}
	return nil
}

// headerName is an HTTP field name (RFC 9110 token).
var headerName = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// serviceHeaders are set by the dispatcher or by Go's HTTP client; an API
// key cannot travel in them.
var serviceHeaders = []string{
	"connection", "content-length", "content-type", "host", "te", "trailer",
	"transfer-encoding", "upgrade", "user-agent", "webhook-id", "webhook-signature", "webhook-timestamp",
}

func checkHeaderName(name string) error {
	lower := strings.ToLower(name)
	switch {
	case !headerName.MatchString(name):
		return fmt.Errorf("%q is not a valid header name", name)
	case slices.Contains(serviceHeaders, lower) || strings.HasPrefix(lower, "profilehooks-"):
		return fmt.Errorf("%s is set by the service and cannot carry an API key", name)
	}
	return nil
}

// Hint returns what the API shows of a secret: "" for none, "…" and its
// last four characters when it has at least HintMinLength characters, and
// "…" alone for a shorter one.
func Hint(secret string) string {
	if secret == "" {
		return ""
	}
	r := []rune(secret)
	if len(r) < HintMinLength {
		return "…"
	}
	return "…" + string(r[len(r)-4:])
}
