package store

import (
	"context"
	"fmt"
	"time"
)

// jobLockClass is the first key of the portal's job locks (two-key advisory
// locks: class, hashtext(name)), apart from goose's one-key migration lock.
const jobLockClass = 0x706f7274 // "port"

// TryLock takes the job lock called name without waiting: on PostgreSQL a
// session-level advisory lock held on a connection of its own, so that of
// several replicas running the same job on a timer only one runs it at a
// time; if that connection dies the lock goes with it. ok is false when
// another session holds the lock. On SQLite the database is one process's
// file and the lock is always granted. release gives the lock back.
func (db *DB) TryLock(ctx context.Context, name string) (release func(), ok bool, err error) {
	if db.Dialect() != "postgres" {
		return func() {}, true, nil
	}
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("job lock %s: %w", name, translate(err))
	}
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1, hashtext($2))", jobLockClass, name).Scan(&ok); err != nil {
		_ = conn.Close()
		return nil, false, fmt.Errorf("job lock %s: %w", name, translate(err))
	}
	if !ok {
		_ = conn.Close()
		return nil, false, nil
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, _ = conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1, hashtext($2))", jobLockClass, name)
		_ = conn.Close()
	}, true, nil
}
