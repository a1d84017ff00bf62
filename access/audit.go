package access

import (
	"context"
	"fmt"
	"time"

	"github.com/profilehooks/profilehooks/ent"
)

// Outcomes of an audited mutation besides error codes.
const (
	// OutcomeOK is a mutation that succeeded and was committed.
	OutcomeOK = "OK"
	// OutcomeRolledBack is a mutation field that succeeded, but another
	// field of the same operation failed, so its transaction was rolled
	// back.
	OutcomeRolledBack = "ROLLED_BACK"
)

// AuditRecord is one entry of the audit log.
type AuditRecord struct {
	// Principal is who ran the mutation.
	Principal Principal
	// Operation is the mutation's field name (createUser).
	Operation string
	// TargetID is the ID the mutation acted on; empty when unknown.
	TargetID string
	// Outcome is OutcomeOK, OutcomeRolledBack or an error code (FORBIDDEN,
	// NOT_FOUND, …).
	Outcome string
	// ClientAddress is the caller's IP address; empty when unknown.
	ClientAddress string
	// OccurredAt is when the mutation ran; zero means now.
	OccurredAt time.Time
}

// RecordAudit writes records to the audit log through client. Call it with
// a client outside the mutation's transaction, after that transaction
// ended, so that failed mutations are recorded although their changes were
// rolled back.
func RecordAudit(ctx context.Context, client *ent.Client, records ...AuditRecord) error {
	if len(records) == 0 {
		return nil
	}
	builders := make([]*ent.AuditEntryCreate, len(records))
	for i, r := range records {
		b := client.AuditEntry.Create().
			SetActor(r.Principal.Subject).
			SetActorName(r.Principal.Name).
			SetCredential(r.Principal.Credential).
			SetRole(r.Principal.Role).
			SetOperation(r.Operation).
			SetTargetID(r.TargetID).
			SetOutcome(r.Outcome).
			SetClientAddress(r.ClientAddress)
		if !r.OccurredAt.IsZero() {
			b.SetOccurredAt(r.OccurredAt)
		}
		builders[i] = b
	}
	if err := client.AuditEntry.CreateBulk(builders...).Exec(ctx); err != nil {
		return fmt.Errorf("access: record audit: %w", err)
	}
	return nil
}
