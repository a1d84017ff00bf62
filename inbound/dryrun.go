package inbound

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/fault"
	"github.com/profilehooks/profilehooks/store"
)

// savepoint brackets the changes of Test inside the caller's transaction.
const savepoint = "inbound_test"

// TestResult is what an object sent to an endpoint would do, or did:
// InboundTestResult.
type TestResult struct {
	// DryRun is true when nothing was kept.
	DryRun bool
	// Status is created, updated or unchanged; nil when Error is set.
	Status *string
	// User is the matched user: on a dry run as stored before the change
	// (nil when it would be created), otherwise after the change. Nil when
	// Error is set before a user was found.
	User *ent.User
	// MappedValues are the values the input parameters read, one per row.
	MappedValues []MappedValue
	// Changes are the profile fields that change, from and to.
	Changes []FieldChange
	// ChangedFields are the keys of Changes.
	ChangedFields []string
	// IgnoredFields are the parts of the object no row reads.
	IgnoredFields []string
	// Error is the error a real request would answer; nil on success.
	Error *Error
}

// Test runs the logic of a request with payload (one JSON object) to the
// endpoint with the given id in the transaction of ctx's ent client (the
// GraphQL mutation's), inside a savepoint that is rolled back on a dry run
// or an error, so those write nothing. A real run changes the user with
// the endpoint as the source, as a request would; it is not rate limited,
// authenticated or logged.
func (h *Handler) Test(ctx context.Context, id string, payload any, dryRun bool) (*TestResult, error) {
	client := ent.FromContext(ctx)
	if client == nil {
		return nil, store.ErrNoClient
	}
	ep, err := client.InboundEndpoint.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, fault.NotFound("inbound endpoint", id)
	}
	if err != nil {
		return nil, fmt.Errorf("inbound: load endpoint: %w", err)
	}
	obj, err := decodePayload(payload)
	if err != nil {
		return nil, err
	}
	p, err := newPlan(ctx, client, ep)
	if err != nil {
		return nil, err
	}
	if _, err := client.ExecContext(ctx, "SAVEPOINT "+savepoint); err != nil {
		return nil, fmt.Errorf("inbound: savepoint: %w", err)
	}
	o, applyErr := h.apply(ctx, p, obj)
	if err := endSavepoint(ctx, client, applyErr == nil && !dryRun); err != nil {
		return nil, err
	}
	return testResult(o, applyErr, dryRun)
}

// endSavepoint keeps or rolls back the changes since the savepoint.
func endSavepoint(ctx context.Context, client *ent.Client, keep bool) error {
	if !keep {
		if _, err := client.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+savepoint); err != nil {
			return fmt.Errorf("inbound: roll back to savepoint: %w", err)
		}
	}
	if _, err := client.ExecContext(ctx, "RELEASE SAVEPOINT "+savepoint); err != nil {
		return fmt.Errorf("inbound: release savepoint: %w", err)
	}
	return nil
}

func testResult(o *outcome, err error, dryRun bool) (*TestResult, error) {
	res := &TestResult{DryRun: dryRun, MappedValues: o.mapped, IgnoredFields: nonNil(o.ignored), ChangedFields: []string{}}
	if err != nil {
		e := asError(err)
		if e == nil {
			return nil, err
		}
		res.Error = e
		return res, nil
	}
	res.Status = &o.status
	res.Changes = o.changes
	res.ChangedFields = o.changedFields()
	res.User = o.after
	if dryRun {
		res.User = o.before
	}
	return res, nil
}

// decodePayload turns the JSON scalar of the mutation into the form a
// request body decodes to (json.Number for numbers), and requires an
// object.
func decodePayload(payload any) (any, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return nil, fault.Invalid("payload", "is not JSON: %s", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fault.Invalid("payload", "is not JSON: %s", err)
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, fault.Invalid("payload", "must be a JSON object, not %s", jsonKind(v))
	}
	return v, nil
}
