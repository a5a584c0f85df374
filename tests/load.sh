#!/usr/bin/env bash
# The load test of docs/performance.md: USERS concurrent people (200) for
# DURATION (60s) against one server on SQLite, then one server on
# PostgreSQL, then two servers on one PostgreSQL database. Loopback only;
# every folder and database it makes is thrown away at the end.
#
# PostgreSQL: POLIS_LOAD_POSTGRES may name an administrator DSN
# (postgres://postgres@127.0.0.1:54329/postgres?sslmode=disable); without it
# a throw-away cluster is started from Debian's postgresql package.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local
users=${USERS:-200}
duration=${DURATION:-60s}
work=$(mktemp -d)
pids=()
pgbin=""

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ -n "$pgbin" ]; then as_postgres "$pgbin/pg_ctl" -D "$work/pg/data" -m fast stop >/dev/null 2>&1 || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

as_postgres() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

echo "load: building polis and the site" >&2
go build -o "$work/polis" ./cmd/polis
"$work/polis" build --public "$work/public" >&2

# serve NAME PORT DATA [DSN]: start a server and wait until it is ready.
serve() {
	local name=$1 port=$2 data=$3 db=${4:-}
	"$work/polis" serve --addr "127.0.0.1:$port" --data "$data" --public "$work/public" ${db:+--db "$db"} \
		>"$work/$name.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 1 300); do
		if curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then return; fi
		sleep 0.2
	done
	echo "load: server $name did not become ready:" >&2
	tail -20 "$work/$name.log" >&2
	exit 1
}

stop_all() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	pids=()
}

# measure TITLE DATA TARGETS [DSN]
measure() {
	echo
	echo "### $1"
	echo
	"$work/polis" loadtest --data "$2" ${4:+--db "$4"} --target "$3" --users "$users" --duration "$duration"
}

# 1. One server on SQLite.
serve sqlite 18181 "$work/sqlite"
measure "One server, SQLite" "$work/sqlite" "http://127.0.0.1:18181/"
stop_all

# PostgreSQL: the given server, or a cluster of our own.
admin=${POLIS_LOAD_POSTGRES:-}
if [ -z "$admin" ]; then
	pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
	mkdir -p "$work/pg"
	if [ "$(id -u)" = 0 ]; then chown postgres "$work/pg"; chmod 755 "$work"; fi
	as_postgres "$pgbin/initdb" -D "$work/pg/data" -A trust -U postgres >/dev/null
	as_postgres "$pgbin/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w start \
		-o "-p 54339 -k $work/pg -c listen_addresses=127.0.0.1 -c max_connections=200" >/dev/null
	admin="postgres://postgres@127.0.0.1:54339/postgres?sslmode=disable"
fi
db=polis_load_$$
psql "$admin" -qc "CREATE DATABASE $db" >/dev/null
dsn="${admin%%/postgres\?*}/$db?sslmode=disable"

# 2. One server on PostgreSQL.
serve pg-a 18182 "$work/a" "$dsn"
measure "One server, PostgreSQL" "$work/a" "http://127.0.0.1:18182/" "$dsn"

# 3. Two servers on the same PostgreSQL database (B shares A's key).
mkdir -p "$work/b/secrets"
cp "$work/a/secrets/session.key" "$work/b/secrets/"
chmod 700 "$work/b" "$work/b/secrets"
serve pg-b 18183 "$work/b" "$dsn"
measure "Two servers, one PostgreSQL" "$work/a" "http://127.0.0.1:18182/,http://127.0.0.1:18183/" "$dsn"
stop_all
psql "$admin" -qc "DROP DATABASE $db WITH (FORCE)" >/dev/null
