//go:build ignore

// entc.go generates the ent client and, through entgql, the GraphQL schema
// of the ent types (graph/schema/ent.graphql). Run it with `make generate`.
package main

import (
	"log"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
)

func main() {
	ex, err := entgql.NewExtension(
		entgql.WithSchemaGenerator(),
		entgql.WithWhereInputs(true),
		entgql.WithSchemaPath("graph/schema/ent.graphql"),
		entgql.WithConfigPath("gqlgen.yml"),
		entgql.WithNodeDescriptor(false),
	)
	if err != nil {
		log.Fatalf("entc: creating entgql extension: %v", err)
	}
	err = entc.Generate("./ent/schema", &gen.Config{
		Features: []gen.Feature{
			gen.FeatureIntercept,
			gen.FeatureUpsert,
			gen.FeatureExecQuery,
			gen.FeatureLock,
			gen.FeatureVersionedMigration,
		},
	}, entc.Extensions(ex))
	if err != nil {
		log.Fatalf("entc: running ent codegen: %v", err)
	}
}
