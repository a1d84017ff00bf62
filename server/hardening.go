package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/profilehooks/profilehooks/access"
	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/graph/generated"
)

// Defaults of the GraphQL limits.
const (
	// DefaultDepthLimit is the deepest nesting of fields one operation may
	// select (introspection fields excluded).
	DefaultDepthLimit = 15
	// DefaultQuerySizeLimit is the largest GraphQL document accepted, in
	// bytes.
	DefaultQuerySizeLimit = 64 << 10
	// maxVariablesBytes is what a request body may hold beyond the query:
	// variables, operation name and extensions.
	maxVariablesBytes = 1 << 20
)

// Error codes of the GraphQL limits, in extensions.code.
const (
	CodeQueryTooLarge      = "QUERY_TOO_LARGE"
	CodeDepthLimitExceeded = "DEPTH_LIMIT_EXCEEDED"
	CodeIntrospectionOff   = "INTROSPECTION_DISABLED"
)

func init() {
	errcode.RegisterErrorType(CodeQueryTooLarge, errcode.KindProtocol)
	errcode.RegisterErrorType(CodeDepthLimitExceeded, errcode.KindProtocol)
	errcode.RegisterErrorType(CodeIntrospectionOff, errcode.KindProtocol)
}

// queryLimits is a gqlgen extension that refuses documents larger than
// maxBytes before they are parsed (and so before the persisted-query cache
// keeps them) and operations nested deeper than maxDepth before they run.
type queryLimits struct {
	maxBytes int
	maxDepth int
	// noIntrospection refuses operations that select __schema or __type,
	// with a clear error rather than gqlgen's failing resolver.
	noIntrospection bool
}

var (
	_ graphql.HandlerExtension          = queryLimits{}
	_ graphql.OperationParameterMutator = queryLimits{}
	_ graphql.OperationContextMutator   = queryLimits{}
)

// ExtensionName names the extension.
func (queryLimits) ExtensionName() string { return "QueryLimits" }

// Validate accepts every schema.
func (queryLimits) Validate(graphql.ExecutableSchema) error { return nil }

func (l queryLimits) limitBytes() int { return orDefault(l.maxBytes, DefaultQuerySizeLimit) }
func (l queryLimits) limitDepth() int { return orDefault(l.maxDepth, DefaultDepthLimit) }

// orDefault returns v, or def when v is zero or less.
func orDefault(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

func limitError(code, format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	errcode.Set(err, code)
	return err
}

// MutateOperationParameters refuses a document larger than the limit.
func (l queryLimits) MutateOperationParameters(_ context.Context, params *graphql.RawParams) *gqlerror.Error {
	if n := len(params.Query); n > l.limitBytes() {
		return limitError(CodeQueryTooLarge, "graphql: the query is %d bytes, more than the limit of %d bytes", n, l.limitBytes())
	}
	return nil
}

// MutateOperationContext refuses an operation nested deeper than the
// limit, and introspection when it is off.
func (l queryLimits) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if l.noIntrospection && introspects(oc.Doc, oc.Operation.SelectionSet, 0) {
		return limitError(CodeIntrospectionOff, "graphql: introspection is disabled on this service")
	}
	if d := selectionDepth(oc.Doc, oc.Operation.SelectionSet, l.limitDepth()+1); d > l.limitDepth() {
		return limitError(CodeDepthLimitExceeded, "graphql: the operation is nested more than %d levels deep", l.limitDepth())
	}
	return nil
}

// selectionDepth returns the depth of the deepest field under set, counting
// fragments as the fields they hold and skipping introspection
// (__schema, __type), whose depth the schema bounds. It stops counting at
// stop, so fragment cycles (refused by validation anyway) cannot loop.
func selectionDepth(doc *ast.QueryDocument, set ast.SelectionSet, stop int) int {
	if stop <= 0 {
		return 0
	}
	deepest := 0
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue
			}
			d = 1 + selectionDepth(doc, s.SelectionSet, stop-1)
		case *ast.InlineFragment:
			d = selectionDepth(doc, s.SelectionSet, stop)
		case *ast.FragmentSpread:
			if f := doc.Fragments.ForName(s.Name); f != nil {
				d = selectionDepth(doc, f.SelectionSet, stop)
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
}

// introspects reports whether set selects __schema or __type, directly or
// through fragments.
func introspects(doc *ast.QueryDocument, set ast.SelectionSet, depth int) bool {
	if depth > 10 {
		return false // a fragment cycle; validation refuses it
	}
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" {
				return true
			}
		case *ast.InlineFragment:
			if introspects(doc, s.SelectionSet, depth+1) {
				return true
			}
		case *ast.FragmentSpread:
			if f := doc.Fragments.ForName(s.Name); f != nil && introspects(doc, f.SelectionSet, depth+1) {
				return true
			}
		}
	}
	return false
}

// mutationGuard is a gqlgen extension that refuses a mutation by a caller
// who may not mutate before the document is validated, so a viewer gets
// FORBIDDEN whatever arguments it sends, and records the refusal in the
// audit log. Queries of such callers are parsed an extra time only when
// they contain the word "mutation".
type mutationGuard struct {
	audit *auditor
}

var _ graphql.OperationParameterMutator = mutationGuard{}

// ExtensionName names the extension.
func (mutationGuard) ExtensionName() string { return "MutationGuard" }

// Validate accepts every schema.
func (mutationGuard) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters refuses a mutation of a caller without the
// admin role.
func (g mutationGuard) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	p, ok := PrincipalFrom(ctx)
	if (ok && p.CanMutate()) || !strings.Contains(params.Query, "mutation") {
		return nil
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: params.Query})
	if err != nil {
		return nil // gqlgen reports the syntax error
	}
	op := doc.Operations.ForName(params.OperationName)
	if op == nil || op.Operation != ast.Mutation {
		return nil
	}
	if ok {
		g.audit.refused(ctx, p, doc, op, params.Variables)
	}
	gerr := gqlerror.Errorf("%s", ErrForbidden)
	gerr.Extensions = map[string]any{"code": CodeForbidden}
	return gerr
}

// browserPolicy applies the console's CORS origins (Settings.CORSOrigins)
// to the requests of next:
//
//   - A request without an Origin header (scripts), or from the service's
//     own origin, passes unchanged.
//   - A request from an allowed origin gets CORS headers; its preflight is
//     answered here.
//   - A request from any other origin, websocket upgrades included, is
//     refused with 403: browsers on other sites have no business here,
//     even in dev mode.
//
// The origins are read per request (one row by primary key), so a change
// applies at once; the websocket transport checks them again when it
// accepts the connection.
func browserPolicy(client *ent.Client, publicURL string, logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" || sameOrigin(origin, r.Host, publicURL) {
			next.ServeHTTP(w, r)
			return
		}
		settings, err := access.LoadSettings(r.Context(), client)
		if err != nil {
			logger.ErrorContext(r.Context(), "http: cannot load security settings", "err", err)
			writeError(w, http.StatusInternalServerError, "internal error", CodeInternal)
			return
		}
		if !settings.AllowsOrigin(origin) {
			writeError(w, http.StatusForbidden, fmt.Sprintf("server: origin %s is not allowed (see securitySettings.corsOrigins)", origin), CodeForbidden)
			return
		}
		h := w.Header()
		h.Add("Vary", "Origin")
		h.Set("Access-Control-Allow-Origin", origin)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), allowedOriginKey{}, origin)))
	})
}

type allowedOriginKey struct{}

// sameOrigin reports whether origin is the service's own: its host is the
// request's Host, or it is the origin of the public URL.
func sameOrigin(origin, host, publicURL string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, host) {
		return true
	}
	p, err := url.Parse(publicURL)
	return err == nil && strings.EqualFold(u.Scheme, p.Scheme) && strings.EqualFold(u.Host, p.Host)
}

// originCheckedWebsocket accepts websockets with coder/websocket, allowing
// the request's own host and the origin browserPolicy allowed for this
// request (the allowed origins change at run time, so they cannot be fixed
// in the transport's options).
type originCheckedWebsocket struct{}

var _ transport.WebsocketImplementation = originCheckedWebsocket{}

// Accept checks the Origin header and upgrades the connection.
func (originCheckedWebsocket) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	var patterns []string
	if origin, ok := r.Context().Value(allowedOriginKey{}).(string); ok {
		if u, err := url.Parse(origin); err == nil {
			// Patterns are path.Match patterns: escape what it would read
			// as one ("[::1]").
			patterns = []string{matchEscaper.Replace(u.Scheme + "://" + u.Host)}
		}
	}
	impl := transport.CoderWebsocketImplementation{AcceptOptions: websocket.AcceptOptions{OriginPatterns: patterns}}
	return impl.Accept(w, r, opts)
}

var matchEscaper = strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`)

// limitBody bounds the body of a GraphQL request: the query limit plus room
// for variables.
func limitBody(maxQueryBytes int, next http.Handler) http.Handler {
	limit := int64(orDefault(maxQueryBytes, DefaultQuerySizeLimit) + maxVariablesBytes)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && !isWebsocketUpgrade(r) {
			if r.ContentLength > limit {
				writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("server: the request body is larger than %d bytes", limit), CodeQueryTooLarge)
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}

// hardening is what newGraphQLHandler needs besides the resolvers: the
// limits, whether introspection is on, and the audit log.
type hardening struct {
	limits        queryLimits
	introspection bool
	audit         *auditor
}

// newHardening returns the hardening of cfg, recording audit entries
// through client.
func newHardening(cfg Config, client *ent.Client, logger *slog.Logger, now func() time.Time) hardening {
	if now == nil {
		now = time.Now
	}
	return hardening{
		limits:        queryLimits{maxBytes: cfg.QuerySizeLimit, maxDepth: cfg.DepthLimit, noIntrospection: cfg.NoIntrospection},
		introspection: !cfg.NoIntrospection,
		audit:         &auditor{client: client, log: logger, now: now},
	}
}

// codedError is a response with one error carrying extensions.code.
func codedError(err error, code string) *graphql.Response {
	return &graphql.Response{Errors: gqlerror.List{{
		Message:    err.Error(),
		Extensions: map[string]any{"code": code},
	}}}
}

// securityComplexity makes the security connections cost their page size
// times the cost of a node, like the others (see complexity).
func securityComplexity(c generated.ComplexityRoot) generated.ComplexityRoot {
	c.Query.APITokens = func(child int, _ cursor, first *int, _ cursor, last *int, _ *ent.ApiTokenOrder, _ *ent.ApiTokenWhereInput) int {
		return pageCost(child, first, last)
	}
	c.Query.AuditLog = func(child int, _ cursor, first *int, _ cursor, last *int, _ *ent.AuditEntryOrder, _ *ent.AuditEntryWhereInput) int {
		return pageCost(child, first, last)
	}
	return c
}
