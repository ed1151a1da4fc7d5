package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// maxTxAttempts bounds retries of a transaction that lost a lock race.
const maxTxAttempts = 5

// transient reports whether err is a lock conflict that the database
// resolved by aborting us (MySQL deadlock 1213, lock wait timeout 1205,
// SQLite busy): running the same work again is the documented remedy.
func transient(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1213 || me.Number == 1205
	}
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "database is locked") || strings.Contains(msg, "SQLITE_BUSY")
}

// retry runs fn again while it fails with a transient lock conflict, with
// a short growing pause between attempts.
func retry(ctx context.Context, fn func() error) error {
	var err error
	for attempt := 1; attempt <= maxTxAttempts; attempt++ {
		if err = fn(); !transient(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
		}
	}
	return err
}
