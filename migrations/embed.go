// Package migrations embeds the versioned SQL migrations, one folder per
// database engine. Files are named NNNN_description.sql and applied in order
// at start-up; applied versions are recorded in schema_migrations. Every
// MySQL statement must be idempotent (IF NOT EXISTS), since MySQL commits
// DDL at once and a migration cut short runs again whole: see README.md.
package migrations

import "embed"

// FS holds sqlite/*.sql and mysql/*.sql.
//
//go:embed sqlite/*.sql mysql/*.sql
var FS embed.FS
