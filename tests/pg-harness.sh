#!/bin/bash
# A private PostgreSQL for one test, on loopback, in a directory of its own.
#
#   tests/pg-harness.sh start DIR   initdb + start a server in DIR (created; must not
#                                   exist or be empty), create database "excise_test",
#                                   print its URL (postgresql://postgres@127.0.0.1:PORT/excise_test)
#   tests/pg-harness.sh stop DIR    stop that server (immediate mode) and remove DIR
#   tests/pg-harness.sh run CMD...  start one in a fresh temporary directory, run CMD with
#                                   EXCISE_TEST_PG_URL set to its URL, then always stop it
#                                   and remove the directory (trap), exiting with CMD's status
#
# PostgreSQL refuses to run as root: as root, initdb, pg_ctl and createdb run as the
# `postgres` user the Debian package creates (runuser -u postgres), and DIR is given to
# it. The server listens on 127.0.0.1 only, on a free port found by binding port 0, and
# on a Unix socket in DIR; authentication is `trust` for loopback (nothing else can
# reach it). The binaries are the newest under /usr/lib/postgresql (or PG_BINDIR); when
# there are none, `run` exits 77 (skipped), which tools/install-deps prevents.
set -eu

pg_bindir() {
	if [ -n "${PG_BINDIR:-}" ]; then echo "$PG_BINDIR"; return; fi
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
	local dir=$1 bin port
	bin=$(pg_bindir) || { echo "pg-harness: no PostgreSQL binaries under /usr/lib/postgresql" >&2; return 77; }
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown postgres: "$dir"
	as_pg "$bin/initdb" -N -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; return 1; }
	local tries=0
	while :; do
		port=$(free_port)
		if as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
			-o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=on -c synchronous_commit=on -c max_connections=200" \
			start >"$dir/pg_ctl.log" 2>&1; then
			break
		fi
		tries=$((tries + 1))
		# another process took the port between the probe and the start: try another
		if [ $tries -ge 5 ]; then cat "$dir/pg_ctl.log" "$dir/server.log" >&2; return 1; fi
	done
	echo "$port" >"$dir/port"
	as_pg "$bin/createdb" -h "$dir" -p "$port" -U postgres excise_test
	echo "postgresql://postgres@127.0.0.1:$port/excise_test"
}

stop() {
	local dir=$1 bin
	[ -d "$dir" ] || return 0
	bin=$(pg_bindir) || true
	if [ -n "$bin" ] && [ -f "$dir/data/postmaster.pid" ]; then
		as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 60 stop >/dev/null 2>&1 || true
	fi
	rm -rf "$dir"
}

case "${1:-}" in
start) start "$2" ;;
stop) stop "$2" ;;
run)
	shift
	pg_bindir >/dev/null || { echo "1..0 # SKIP no PostgreSQL binaries"; exit 77; }
	dir=$(mktemp -d "${TMPDIR:-/tmp}/excise-pg.XXXXXX")
	chmod 755 "$dir"
	trap 'stop "$dir"' EXIT
	trap 'exit 1' INT TERM
	url=$(start "$dir/pg")
	rc=0
	EXCISE_TEST_PG_URL=$url "$@" || rc=$?
	exit $rc
	;;
*)
	echo "usage: $0 start DIR | stop DIR | run CMD..." >&2
	exit 2
	;;
esac
