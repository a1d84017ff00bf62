// Package ent is the generated ent client of profilehooks; its sources are
// the schemas in ent/schema and ent/entc.go. Run `make generate` after
// changing them.
package ent
