package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	retrypkg "github.com/backlogai/backlogai/server/retry" // store has its own func retry
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
		if retrypkg.Sleep(ctx, time.Duration(attempt*attempt)*5*time.Millisecond) != nil {
			return err
		}
	}
	return err
}

// Unavailable reports whether err means the database cannot be reached
// (down, refusing connections, connection lost, disk full): callers answer
// 503 and retry later instead of reporting an internal error.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var ne *net.OpError
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.As(err, &ne) {
		return true
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		// 1040 too many connections, 1053 shutdown in progress, 2002/2003
		// cannot connect, 2006/2013 server gone, 1021 disk full.
		switch me.Number {
		case 1040, 1053, 2002, 2003, 2006, 2013, 1021:
			return true
		}
	}
	msg := err.Error()
	return strings.Contains(msg, "database is closed") || strings.Contains(msg, "database or disk is full") ||
		strings.Contains(msg, "SQLITE_FULL") || strings.Contains(msg, "disk I/O error")
}

// TryNamedLock takes a lock named name across every process sharing the
// database, without waiting: ok is false when another holder has it. On
// SQLite (one process) it always succeeds; callers serialise within the
// process themselves. unlock must be called when ok.
func (s *Store) TryNamedLock(ctx context.Context, name string) (unlock func(), ok bool, err error) {
	if s.driver != "mysql" {
		return func() {}, true, nil
	}
	conn, err := s.rawConn(ctx)
	if err != nil {
		return nil, false, err
	}
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 0)", name).Scan(&got); err != nil {
		conn.Close()
		return nil, false, err
	}
	if got.Int64 != 1 {
		conn.Close()
		return nil, false, nil
	}
	return func() {
		// Closing the connection releases the lock too, should this fail.
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK(?)", name)
		conn.Close()
	}, true, nil
}
