package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/fault"
	"github.com/profilehooks/profilehooks/graph"
	"github.com/profilehooks/profilehooks/graph/generated"
)

// Error codes in extensions.code of GraphQL errors.
const (
	CodeBadUserInput    = "BAD_USER_INPUT"
	CodeNotFound        = "NOT_FOUND"
	CodeConflict        = "CONFLICT"
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeForbidden       = "FORBIDDEN"
	CodeInternal        = "INTERNAL"
)

type remoteAddrKey struct{}

// newGraphQLHandler builds the gqlgen server: POST, GET and websocket
// (graphql-transport-ws) transports, query and APQ caches, a complexity
// limit, one transaction per mutation, role checks, error presenter and
// panic recovery.
func newGraphQLHandler(res *graph.Resolver, auth *Authenticator, logger *slog.Logger, complexityLimit int, m *metrics, h hardening) *handler.Server {
	srv := handler.New(generated.NewExecutableSchema(generated.Config{Resolvers: res, Complexity: securityComplexity(complexity())}))
	srv.AddTransport(transport.Websocket{
		Implementation:        originCheckedWebsocket{},
		KeepAlivePingInterval: 15 * time.Second,
		InitTimeout:           10 * time.Second,
		InitFunc:              auth.websocketInit,
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	if h.introspection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(h.limits) // before the persisted-query cache keeps a document
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	srv.Use(mutationGuard{audit: h.audit})
	srv.Use(extension.FixedComplexityLimit(complexityLimit))
	srv.Use(entgql.Transactioner{TxOpener: res.Client, SkipTxFunc: sendsRequests})
	srv.Use(h.audit) // around authorize and the transaction
	srv.AroundOperations(authorize)
	srv.AroundResponses(m.observeOperation)
	srv.SetErrorPresenter(presentError(logger))
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		logger.ErrorContext(ctx, "graphql: panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		return errors.New("internal error")
	})
	return srv
}

// authorize lets an operation run only for an authenticated caller, and a
// mutation only for an admin.
func authorize(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return graphql.OneShot(codedError(ErrUnauthenticated, CodeUnauthenticated))
	}
	op := graphql.GetOperationContext(ctx).Operation
	if op != nil && op.Operation == ast.Mutation && p.Role != RoleAdmin {
		return graphql.OneShot(codedError(ErrForbidden, CodeForbidden))
	}
	return next(ctx)
}

// presentError gives every error an extensions.code: domain errors map to
// BAD_USER_INPUT (with extensions.field), NOT_FOUND and CONFLICT; errors
// gqlgen made itself keep their message; anything else is logged and shown
// as INTERNAL without its details.
func presentError(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		if gerr.Extensions == nil {
			gerr.Extensions = map[string]any{}
		}
		var (
			invalid  *fault.InvalidError
			conflict *fault.ConflictError
			entValid *ent.ValidationError
		)
		switch {
		case errors.As(err, &invalid):
			gerr.Message = invalid.Error()
			gerr.Extensions["code"] = CodeBadUserInput
			gerr.Extensions["field"] = invalid.Field
		case errors.As(err, &conflict):
			gerr.Message = conflict.Error()
			gerr.Extensions["code"] = CodeConflict
			if conflict.Field != "" {
				gerr.Extensions["field"] = conflict.Field
			}
		case errors.Is(err, fault.ErrNotFound), ent.IsNotFound(err):
			gerr.Message = err.Error()
			gerr.Extensions["code"] = CodeNotFound
		case errors.As(err, &entValid):
			gerr.Message = entValid.Error()
			gerr.Extensions["code"] = CodeBadUserInput
			gerr.Extensions["field"] = entValid.Name
		case errors.Is(err, ErrUnauthenticated) || gerr.Message == ErrUnauthenticated.Error():
			gerr.Message = ErrUnauthenticated.Error()
			gerr.Extensions["code"] = CodeUnauthenticated
		case errors.Is(err, ErrForbidden) || gerr.Message == ErrForbidden.Error():
			gerr.Message = ErrForbidden.Error()
			gerr.Extensions["code"] = CodeForbidden
		case gerr.Extensions["code"] != nil:
			// gqlgen's own parse and validation errors carry a code already.
		case madeByGQLGen(err):
			gerr.Extensions["code"] = CodeBadUserInput
		default:
			logger.ErrorContext(ctx, "graphql: internal error", "err", err, "path", gerr.Path.String())
			gerr.Message = "internal error"
			gerr.Extensions["code"] = CodeInternal
		}
		return gerr
	}
}

// madeByGQLGen reports whether err is a *gqlerror.Error that wraps nothing,
// which is how gqlgen reports input it cannot coerce.
func madeByGQLGen(err error) bool {
	var gerr *gqlerror.Error
	return errors.As(err, &gerr) && gerr.Err == nil
}

// withRemoteAddr keeps the request's remote address in its context, so the
// websocket init function can apply the dev-mode loopback rule.
func withRemoteAddr(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), remoteAddrKey{}, r.RemoteAddr)))
	})
}

// sendsRequests reports whether a mutation calls a webhook or a token
// endpoint while it runs (testProfileWebhook, testWebhookCredential). Such
// a mutation must not hold a transaction, and so the database, for the
// length of a network call; it runs its own short transactions around the
// call instead.
func sendsRequests(op *ast.OperationDefinition) bool {
	for _, sel := range op.SelectionSet {
		if f, ok := sel.(*ast.Field); ok && (f.Name == "testProfileWebhook" || f.Name == "testWebhookCredential") {
			return true
		}
	}
	return false
}
