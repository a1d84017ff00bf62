package server

import (
	"entgo.io/contrib/entgql"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/graph/generated"
)

// defaultPageCost is the cost factor of a connection asked for without
// first or last.
const defaultPageCost = 100

type cursor = *entgql.Cursor[string]

// complexity makes a connection cost its page size times the cost of one
// node, so nested connections multiply and the complexity limit bounds the
// rows an operation can load.
func complexity() generated.ComplexityRoot {
	var c generated.ComplexityRoot
	c.Query.Users = func(child int, _ cursor, first *int, _ cursor, last *int, _ *ent.UserOrder, _ *ent.UserWhereInput) int {
		return pageCost(child, first, last)
	}
	c.Query.ProfileEvents = func(child int, _ cursor, first *int, _ cursor, last *int, _ *ent.ProfileEventOrder, _ *ent.ProfileEventWhereInput) int {
		return pageCost(child, first, last)
	}
	c.Query.ProfileWebhooks = func(child int, _ cursor, first *int, _ cursor, last *int, _ *ent.ProfileWebhookOrder, _ *ent.ProfileWebhookWhereInput) int {
		return pageCost(child, first, last)
	}
	c.Query.InboundEndpoints = func(child int, _ cursor, first *int, _ cursor, last *int, _ *ent.InboundEndpointOrder, _ *ent.InboundEndpointWhereInput) int {
		return pageCost(child, first, last)
	}
	c.Query.CustomProfileFields = func(child int, _ cursor, first *int, _ cursor, last *int, _ *ent.CustomProfileFieldOrder, _ *ent.CustomProfileFieldWhereInput) int {
		return pageCost(child, first, last)
	}
	c.Query.Deliveries = func(child int, _ cursor, first *int, _ cursor, last *int, _ *ent.DeliveryOrder, _ *ent.DeliveryWhereInput) int {
		return pageCost(child, first, last)
	}
	c.ProfileWebhook.Deliveries = func(child int, _ cursor, first *int, _ cursor, last *int, _ *ent.DeliveryOrder, _ *ent.DeliveryWhereInput) int {
		return pageCost(child, first, last)
	}
	c.Query.WebhookCredentials = func(child int, _ cursor, first *int, _ cursor, last *int, _ *ent.WebhookCredentialOrder, _ *ent.WebhookCredentialWhereInput) int {
		return pageCost(child, first, last)
	}
	c.WebhookCredential.Webhooks = func(child int, _ cursor, first *int, _ cursor, last *int, _ *ent.ProfileWebhookOrder, _ *ent.ProfileWebhookWhereInput) int {
		return pageCost(child, first, last)
	}
	c.Query.Nodes = func(child int, ids []string) int { return 1 + child*len(ids) }
	c.User.Events = func(child int, _ cursor, first *int, _ cursor, last *int, _ *ent.ProfileEventOrder) int {
		return pageCost(child, first, last)
	}
	return c
}

func pageCost(child int, first, last *int) int {
	n := defaultPageCost
	switch {
	case first != nil:
		n = *first
	case last != nil:
		n = *last
	}
	if n < 1 {
		n = 1
	}
	return 1 + child*n
}
