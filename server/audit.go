package server

import (
	"context"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/profilehooks/profilehooks/access"
	"github.com/profilehooks/profilehooks/ent"
)

// auditor is a gqlgen extension that records every mutation in the audit
// log: one entry per root field, with the caller, the field name, the
// target ID (the id argument, else the ID of what the field returned, else
// another …Id argument) and the outcome. It wraps the operation, outside
// the transaction the mutation runs in, and writes after that transaction
// was committed or rolled back, so failed mutations are recorded too.
// Mutations refused before they run are recorded by refused.
type auditor struct {
	client *ent.Client
	log    *slog.Logger
	now    func() time.Time
}

var (
	_ graphql.HandlerExtension        = (*auditor)(nil)
	_ graphql.OperationContextMutator = (*auditor)(nil)
	_ graphql.OperationInterceptor    = (*auditor)(nil)
)

// ExtensionName names the extension.
func (*auditor) ExtensionName() string { return "AuditLog" }

// Validate accepts every schema.
func (*auditor) Validate(graphql.ExecutableSchema) error { return nil }

type auditResultsKey struct{}

// rootResults holds what the root fields of one mutation returned, by
// response key.
type rootResults struct {
	mu    sync.Mutex
	byKey map[string]any
}

func (r *rootResults) set(key string, v any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byKey == nil {
		r.byKey = map[string]any{}
	}
	r.byKey[key] = v
}

func (r *rootResults) get(key string) any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byKey[key]
}

// MutateOperationContext makes the root fields of a mutation note what
// they returned; queries and subscriptions are left alone.
func (a *auditor) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Operation.Operation != ast.Mutation {
		return nil
	}
	previous := oc.ResolverMiddleware
	oc.ResolverMiddleware = func(ctx context.Context, next graphql.Resolver) (any, error) {
		res, err := previous(ctx, next)
		if fc := graphql.GetFieldContext(ctx); err == nil && fc != nil && fc.Object == "Mutation" {
			if r, ok := ctx.Value(auditResultsKey{}).(*rootResults); ok {
				r.set(fc.Field.Alias, res)
			}
		}
		return res, err
	}
	return nil
}

// InterceptOperation records a mutation once its response is complete.
func (a *auditor) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation != ast.Mutation {
		return next(ctx)
	}
	at := a.now()
	results := &rootResults{}
	handler := next(context.WithValue(ctx, auditResultsKey{}, results))
	var once sync.Once
	return func(ctx context.Context) *graphql.Response {
		resp := handler(ctx)
		if resp != nil {
			once.Do(func() { a.recordResponse(ctx, oc, at, results, resp) })
		}
		return resp
	}
}

func (a *auditor) recordResponse(ctx context.Context, oc *graphql.OperationContext, at time.Time, results *rootResults, resp *graphql.Response) {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return // refused before it ran, without a caller to name
	}
	rolledBack := len(resp.Errors) > 0 && !sendsRequests(oc.Operation)
	fields := graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Mutation"})
	records := make([]access.AuditRecord, 0, len(fields))
	for _, f := range fields {
		outcome := access.OutcomeOK
		if code, failed := fieldErrorCode(resp.Errors, f.Alias); failed {
			outcome = code
		} else if rolledBack {
			outcome = access.OutcomeRolledBack
		}
		var result any
		if outcome == access.OutcomeOK {
			result = results.get(f.Alias) // what a rolled-back field returned is gone
		}
		records = append(records, access.AuditRecord{
			Principal:     p,
			Operation:     f.Name,
			TargetID:      targetID(f.ArgumentMap(oc.Variables), result),
			Outcome:       outcome,
			ClientAddress: remoteHost(ctx),
			OccurredAt:    at,
		})
	}
	a.write(ctx, records)
}

// refused records the root fields of a mutation that p may not run.
func (a *auditor) refused(ctx context.Context, p Principal, doc *ast.QueryDocument, op *ast.OperationDefinition, vars map[string]any) {
	var records []access.AuditRecord
	var walk func(set ast.SelectionSet, depth int)
	walk = func(set ast.SelectionSet, depth int) {
		if depth > 10 {
			return // a fragment cycle; validation would refuse it
		}
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				args := map[string]any{}
				for _, arg := range s.Arguments {
					if v, err := arg.Value.Value(vars); err == nil {
						args[arg.Name] = v
					}
				}
				records = append(records, access.AuditRecord{
					Principal:     p,
					Operation:     s.Name,
					TargetID:      targetID(args, nil),
					Outcome:       CodeForbidden,
					ClientAddress: remoteHost(ctx),
					OccurredAt:    a.now(),
				})
			case *ast.InlineFragment:
				walk(s.SelectionSet, depth+1)
			case *ast.FragmentSpread:
				if f := doc.Fragments.ForName(s.Name); f != nil {
					walk(f.SelectionSet, depth+1)
				}
			}
		}
	}
	walk(op.SelectionSet, 0)
	a.write(ctx, records)
}

// write stores records with the client outside any transaction; the
// caller's cancellation must not lose them. A failure is logged: the
// mutation's own outcome stands.
func (a *auditor) write(ctx context.Context, records []access.AuditRecord) {
	if err := access.RecordAudit(context.WithoutCancel(ctx), a.client, records...); err != nil {
		a.log.ErrorContext(ctx, "audit: cannot record mutation", "err", err)
	}
}

// fieldErrorCode returns the code of the first error of the root field
// with the given response key, or of an error that concerns no field.
func fieldErrorCode(errs gqlerror.List, key string) (string, bool) {
	for _, e := range errs {
		if len(e.Path) > 0 && e.Path[0] != ast.PathName(key) {
			continue
		}
		if code, ok := e.Extensions["code"].(string); ok && code != "" {
			return code, true
		}
		return CodeInternal, true
	}
	return "", false
}

// targetID picks the ID a mutation acted on: its id argument, else the ID
// of the object it returned (or of the object its payload holds), else the
// first other argument named …Id.
func targetID(args map[string]any, result any) string {
	if id, ok := args["id"].(string); ok && id != "" {
		return id
	}
	if id := resultID(result); id != "" {
		return id
	}
	names := make([]string, 0, len(args))
	for name := range args {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if id, ok := args[name].(string); ok && id != "" && (strings.HasSuffix(name, "Id") || strings.HasSuffix(name, "ID")) {
			return id
		}
	}
	return ""
}

// resultID returns the ID field of v (an ent entity), or of the first
// struct pointer v holds (a payload such as CreateApiTokenPayload); empty
// when there is none.
func resultID(v any) string {
	rv := reflect.ValueOf(v)
	for range 2 {
		for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
			if rv.IsNil() {
				return ""
			}
			rv = rv.Elem()
		}
		if rv.Kind() != reflect.Struct {
			return ""
		}
		if f := rv.FieldByName("ID"); f.IsValid() && f.Kind() == reflect.String {
			return f.String()
		}
		inner := reflect.Value{}
		for i := range rv.NumField() {
			f := rv.Field(i)
			if rv.Type().Field(i).IsExported() && f.Kind() == reflect.Pointer && !f.IsNil() && f.Elem().Kind() == reflect.Struct {
				inner = f
				break
			}
		}
		if !inner.IsValid() {
			return ""
		}
		rv = inner
	}
	return ""
}

// remoteHost is the caller's IP address kept by withRemoteAddr.
func remoteHost(ctx context.Context) string {
	remote, _ := ctx.Value(remoteAddrKey{}).(string)
	if remote == "" {
		return ""
	}
	return clientHost(remote)
}
