package store

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
)

// Unavailable reports whether err means the database cannot serve the
// request right now — it is down, unreachable, shutting down, out of
// connections or disk, or its files cannot be written — rather than that
// the request or the code is wrong. The server answers such errors with a
// 503 and a Retry-After instead of the generic error page: nothing is
// wrong with what the reader asked, and trying again later will work.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EROFS) {
		return true
	}
	var connect *pgconn.ConnectError
	if errors.As(err, &connect) {
		return true
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch {
		case strings.HasPrefix(pg.Code, "08"): // connection exception
			return true
		case strings.HasPrefix(pg.Code, "53"): // insufficient resources: disk full, too many connections
			return true
		case pg.Code == "57P01", pg.Code == "57P02", pg.Code == "57P03": // shutting down, crashed, starting up
			return true
		case pg.Code == "25006": // read-only transaction: a replica answered, or the primary was demoted
			return true
		}
		return false
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		switch lite.Code() & 0xff { // the primary result code
		case 5, // SQLITE_BUSY: another process held the write lock past the busy timeout
			8,  // SQLITE_READONLY
			10, // SQLITE_IOERR
			13, // SQLITE_FULL
			14: // SQLITE_CANTOPEN
			return true
		}
		return false
	}
	// A connection that died mid-query surfaces from pgx as a wrapped
	// net error, a timeout or a closed connection.
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, pgconn.ErrConnClosed) || pgconn.Timeout(err) || pgconn.SafeToRetry(err)
}
