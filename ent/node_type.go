package ent

import (
	"context"
	"fmt"
	"strings"

	"github.com/profilehooks/profilehooks/ent/apitoken"
	"github.com/profilehooks/profilehooks/ent/auditentry"
	"github.com/profilehooks/profilehooks/ent/customprofilefield"
	"github.com/profilehooks/profilehooks/ent/delivery"
	"github.com/profilehooks/profilehooks/ent/deliveryattempt"
	"github.com/profilehooks/profilehooks/ent/idempotencykey"
	"github.com/profilehooks/profilehooks/ent/inboundendpoint"
	"github.com/profilehooks/profilehooks/ent/inboundrequest"
	"github.com/profilehooks/profilehooks/ent/oauthclient"
	"github.com/profilehooks/profilehooks/ent/oauthsigningkey"
	"github.com/profilehooks/profilehooks/ent/profileevent"
	"github.com/profilehooks/profilehooks/ent/profilewebhook"
	"github.com/profilehooks/profilehooks/ent/replaynonce"
	"github.com/profilehooks/profilehooks/ent/user"
	"github.com/profilehooks/profilehooks/ent/webhookcredential"
)

// nodeTypes maps the ID prefixes of ent/schema (IDMixin) to tables.
// TestNodeTypesCoverEveryPrefix fails when a schema's prefix is missing.
var nodeTypes = map[string]string{
	"usr": user.Table,
	"cpf": customprofilefield.Table,
	"whk": profilewebhook.Table,
	"inb": inboundendpoint.Table,
	"evt": profileevent.Table,
	"dlv": delivery.Table,
	"att": deliveryattempt.Table,
	"wcr": webhookcredential.Table,
	"tok": apitoken.Table,
	"aud": auditentry.Table,
	"oac": oauthclient.Table,
	"inr": inboundrequest.Table,
	"idk": idempotencykey.Table,
	"osk": oauthsigningkey.Table,
	"rpn": replaynonce.Table,
}

// NodeTypeFromID returns the table of the node with the given ID from the
// ID's prefix, without a query. Use it with WithNodeType.
func NodeTypeFromID(_ context.Context, id string) (string, error) {
	prefix, _, ok := strings.Cut(id, "_")
	if t, known := nodeTypes[prefix]; ok && known {
		return t, nil
	}
	return "", &NotFoundError{label: fmt.Sprintf("node %q", id)}
}
