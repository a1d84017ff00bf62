package ent

import (
	"context"
	"fmt"
	"strings"

	"github.com/profilehooks/profilehooks/ent/customprofilefield"
	"github.com/profilehooks/profilehooks/ent/inboundendpoint"
	"github.com/profilehooks/profilehooks/ent/profileevent"
	"github.com/profilehooks/profilehooks/ent/profilewebhook"
	"github.com/profilehooks/profilehooks/ent/user"
)

// nodeTypes maps the ID prefixes of ent/schema (IDMixin) to node tables.
var nodeTypes = map[string]string{
	"usr": user.Table,
	"cpf": customprofilefield.Table,
	"whk": profilewebhook.Table,
	"inb": inboundendpoint.Table,
	"evt": profileevent.Table,
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
