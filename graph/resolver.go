// Package graph holds the GraphQL resolvers of profilehooks. Resolvers are
// adapters: they decode arguments, call one ent query chain or one domain
// function, and return its result.
package graph

import (
	"github.com/profilehooks/profilehooks/access"
	"github.com/profilehooks/profilehooks/dispatcher"
	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/inbound"
	"github.com/profilehooks/profilehooks/oauthserver"
	"github.com/profilehooks/profilehooks/profile"
	"github.com/profilehooks/profilehooks/webhook"
)

// Resolver is the root resolver. Its fields are set once at start-up.
type Resolver struct {
	Client     *ent.Client
	Profiles   *profile.Service
	Webhooks   *webhook.Service
	Dispatcher *dispatcher.Dispatcher
	// Access holds API tokens and the security settings.
	Access *access.Service
	// OAuth registers the OAuth2 clients of the token endpoint.
	OAuth *oauthserver.Server
	// Inbound tests incoming endpoints and streams the inbound log.
	Inbound *inbound.Handler
}
