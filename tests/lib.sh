# SPDX-License-Identifier: ISC
# lib.sh - what the shell tests of mailcert share.  Source it first:
#
#	. tests/lib.sh
#	ok "name"                      a check that passed
#	not_ok "name" "why"            a check that failed
#	check "name" test-command...   ok when the command succeeds
#	check_eq "name" "$got" "$want" ok when equal, else "got X, want Y"
#	check_contains "name" "$text" "$part"
#	make_tmpdir                    sets T to a private directory removed at exit
#	                               (kept when KEEP_TMPDIR is set, to look into)
#	at_exit "command..."           run (with eval) at exit, last first
#	as_user USER command...        run it as USER when the test is root
#	intake_sql SQL / book_sql SQL  a statement on the test's ledger, on its
#	                               backend; rows as "a|b" lines
#	ledger_backend                 sqlite or postgresql
#
# The ledger's backend: SQLite files in $T, or, when tests/run-tests sets
# MAILCERT_TEST_PGHOST (the "@postgresql" runs), a database of its private
# PostgreSQL made for this test by base_config, its schemas made and the
# test's role user granted its parts by "mailcert ledger init" as the
# README says to do it.
#
# Every test prints "ok - NAME" / "not ok - NAME: why" lines, which
# tests/run-tests counts.  Tests run from the repository root; programs
# are in build/.  Servers listen on 127.0.0.1 only and every wait loop is
# bounded.

ROOT=$(pwd)
MAILCERT="$ROOT/build/mailcert"
MILTER="$ROOT/build/mailcert-milter"
_at_exit_cmds=""

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1: $2"; }

check() {
	_name=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$_name"; else not_ok "$_name" "command failed: $*"; fi
}

check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got \"$2\", want \"$3\""; fi
}

check_contains() {
	case "$2" in
	*"$3"*) ok "$1" ;;
	*) not_ok "$1" "got \"$(printf '%s' "$2" | head -c 400)\", want it to contain \"$3\"" ;;
	esac
}

at_exit() {
	_at_exit_cmds="$1; $_at_exit_cmds"
	trap 'eval "$_at_exit_cmds"' EXIT
}

make_tmpdir() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/mailcert-test.XXXXXX")
	chmod 755 "$T"
	[ -n "${KEEP_TMPDIR:-}" ] || at_exit "rm -rf '$T'"
}

# wait_for SECONDS command... : retry every 0.1 s until it succeeds.
wait_for() {
	_limit=$(( $1 * 10 ))
	shift
	_i=0
	while [ "$_i" -lt "$_limit" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# free_port: a TCP port on 127.0.0.1 nobody listens on now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# mailcert_dirs USER - the directories of a test instance, made as the
# shipped systemd units make them (contrib/postfix/*.service): each
# RuntimeDirectory=mailcert/X is $T/run/X and StateDirectory=mailcert/X is
# $T/X, with the unit's mode, owned by USER when the unit has a User= (the
# test's one role user stands for mailcert and mailcert-approver), else by
# root.  So a test that passes shows the units' directories work.  $T
# itself, $T/keys and $T/state are root's.
mailcert_dirs() {
	mkdir -p "$T/run" "$T/keys" "$T/state"
	chmod 0700 "$T/keys" "$T/state"
	for _unit in "$ROOT"/contrib/postfix/*.service; do
		_owner=root
		grep -q '^User=' "$_unit" && _owner=$1
		for _kind in Runtime State; do
			_dir=$(sed -n "s|^${_kind}Directory=mailcert/||p" "$_unit")
			[ -n "$_dir" ] || continue
			_mode=$(sed -n "s|^${_kind}DirectoryMode=||p" "$_unit")
			[ "$_kind" = Runtime ] && _dir="run/$_dir"
			[ "$_dir" = installer ] && continue	# $T/state stands for it
			mkdir -p "$T/$_dir"
			chmod "${_mode:-0755}" "$T/$_dir"
			chown "$_owner" "$T/$_dir" 2>/dev/null || true
		done
	done
}

ledger_backend() {
	if [ -n "${MAILCERT_TEST_PGHOST:-}" ]; then echo postgresql; else echo sqlite; fi
}

# pg_database - the name of this test's database (one per test run)
pg_database() {
	echo "mc_$(basename "$0" .sh | tr -c 'a-z0-9\n' '_')_$$"
}

# make_pg_ledger USER - this test's database, its schemas made and USER
# (milter and approver) and mailcert-web (the web view) granted their parts
make_pg_ledger() {
	_db=$(pg_database)
	_url="postgresql:///$_db?host=$MAILCERT_TEST_PGHOST"
	[ -f "$T/.pg-made" ] && return 0
	"$ROOT/tests/pg-cluster" newdb "$MAILCERT_TEST_PGHOST" "$_db" || return 1
	printf '[milter]\nuser = %s\nauthserv_id = test.invalid\n[approve]\nuser = %s\n[web]\nuser = mailcert-web\n[ledger]\nurl = %s\n' \
		"$1" "$1" "$_url" >"$T/.pg-init.conf"
	"$MAILCERT" -c "$T/.pg-init.conf" ledger init >"$T/.pg-made" 2>&1 || { cat "$T/.pg-made" >&2; rm -f "$T/.pg-made"; return 1; }
}

# ledger_lines USER - the [ledger] keys of the test's backend
ledger_lines() {
	if [ -n "${MAILCERT_TEST_PGHOST:-}" ]; then
		make_pg_ledger "$1" >&2 || echo "# could not make the PostgreSQL ledger" >&2
		echo "url = postgresql:///$(pg_database)?host=$MAILCERT_TEST_PGHOST"
	else
		echo "path = $T/intake/ledger.db"
		echo "orders = $T/orders.db"
	fi
}

# intake_sql SQL, book_sql SQL - run SQL on the intake's tables or the
# order book's, as the owner (root) would: what an attacker with the
# database's or the files' rights could do, or a check of what is there
intake_sql() {
	if [ -n "${MAILCERT_TEST_PGHOST:-}" ]; then
		"$ROOT/tests/pg-cluster" psql "$MAILCERT_TEST_PGHOST" "$(pg_database)" root -At -F'|' \
			-c "SET search_path = intake; $1"
	else
		sqlite3 "$T/intake/ledger.db" "$1"
	fi
}

book_sql() {
	if [ -n "${MAILCERT_TEST_PGHOST:-}" ]; then
		"$ROOT/tests/pg-cluster" psql "$MAILCERT_TEST_PGHOST" "$(pg_database)" root -At -F'|' \
			-c "SET search_path = book; $1"
	else
		sqlite3 "$T/orders.db" "$1"
	fi
}

# base_config USER - the lines every test configuration has (append the
# test's own [milter] keys, targets and so on after it)
base_config() {
	cat <<CONF
[milter]
user = $1
spool_dir = $T/intake/spool
[ledger]
$(ledger_lines "$1")
[installer]
key_dir = $T/keys
state_dir = $T/state
wake_socket = $T/run/installer/wake.sock
[approve]
user = $1
wake_socket = $T/run/approver/wake.sock
CONF
}

# test_user - the unprivileged user the test's roles run as
test_user() {
	if [ "$(id -u)" -eq 0 ]; then echo nobody; else id -un; fi
}

# make_sendmail - $T/sendmail, a [notify] sendmail that appends each
# message to $T/mailbox (a wrapper: programs mailcert runs get a clean
# environment, so the mailbox cannot come from one)
make_sendmail() {
	printf '#!/bin/sh\nMAILCERT_TEST_MAILBOX=%s exec %s "$@"\n' "$T/mailbox" "$ROOT/tests/fake-sendmail" \
		>"$T/sendmail"
	chmod 0755 "$T/sendmail"
}

# next_second - wait (bounded) until the clock has moved to a new second,
# so that a certificate made now is issued later than one made before
next_second() {
	_then=$(date +%s)
	wait_for 2 test "$(date +%s)" != "$_then"
}

# as_user USER command... - run a command as USER (the test's role user)
# when the test runs as root, as itself otherwise: what the milter, the
# approver or a test tool standing in for them would run as
as_user() {
	_who=$1
	shift
	if [ "$(id -u)" -eq 0 ] && [ "$_who" != root ]; then
		setpriv --reuid="$_who" --regid="$(id -g "$_who")" --clear-groups -- "$@"
	else
		"$@"
	fi
}
