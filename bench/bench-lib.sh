# SPDX-License-Identifier: ISC
# NAME
#	bench-lib.sh - what bench/run-bench and bench/profile-milter share
# SYNOPSIS
#	BENCH_NAME=run-bench; . bench/bench-lib.sh	(from the repository root,
#						 with T set to a private directory)
# DESCRIPTION
#	Paths of the programs and fixtures, and shell functions only:
#
#	say TEXT		a line on stderr, prefixed with $BENCH_NAME
#	stop_pid PID		SIGTERM, at most 5 s, then SIGKILL
#	wait_socket PATH	until a unix socket exists (at most 10 s)
#	calc EXPR [DIGITS]	awk arithmetic, printed with DIGITS decimals
#	field LINE KEY		the value of KEY=... in a RESULT line of miltergen
#	write_config		$T/mailcert.conf: socket, intake ledger, spool and
#				wake sockets in $T/milter, the order book
#				$T/orders.db (BENCH_LEDGER=postgresql: a
#				private PostgreSQL in $T/pg, with fsync, its
#				schemas made by "ledger init"), trust_store
#				$T/trust.pem (the
#				system CA bundle with the test root appended),
#				watch_addresses = certs@example.net,
#				require_dkim = yes, authserv_id mx.example.net
#	place_order		one open order for example.com and
#				www.example.com with tests/fixtures/pki/leaf-ec.key,
#				CA $BENCH_CA (default sectigo, else the first
#				profile); sets ORDER_CA
#	scenario NAME		unwatched, notca, approval or cert: sets
#				SC_LABEL, SC_FILE, SC_RCPT, SC_SENDER, SC_TARGET;
#				returns 1 when the fixture is missing
# LICENSE
#	See the README of mailcert.

OUT=$ROOT/build/bench
GEN=$OUT/miltergen
NULLMILTER=$OUT/nullmilter
MILTER=$ROOT/build/mailcert-milter
MAILCERT=$ROOT/build/mailcert
PKI=$ROOT/tests/fixtures/pki
SYSTEM_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
FIXTURES=$ROOT/tests/fixtures

say() { echo "${BENCH_NAME:-bench}: $*" >&2; }

stop_pid() {
	kill -TERM "$1" 2>/dev/null || return 0
	_i=0
	while kill -0 "$1" 2>/dev/null && [ "$_i" -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

wait_socket() {
	_i=0
	while [ ! -S "$1" ] && [ "$_i" -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ -S "$1" ]
}

# Arithmetic and the RESULT lines of miltergen ------------------------------

calc() { awk "BEGIN { printf \"%.${2:-1}f\", ($1) }"; }

# field LINE KEY: the value of KEY=... in a RESULT line
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# The private configuration of mailcert-milter ------------------------------------

MILTER_USER=$(id -un)
[ "$(id -u)" -eq 0 ] && MILTER_USER=postfix

# write_trust_store: what a site has by default, the system CA bundle, with
# the root of the test PKI added so that the test certificate verifies
write_trust_store() {
	: >"$T/trust.pem"
	[ -f "$SYSTEM_CA_BUNDLE" ] && cat "$SYSTEM_CA_BUNDLE" >>"$T/trust.pem"
	cat "$PKI/root.crt" >>"$T/trust.pem"
	TRUST_CERTS=$(grep -c 'BEGIN CERTIFICATE' "$T/trust.pem")
}

# ledger_lines: the [ledger] of the benchmark's backend
ledger_lines() {
	if [ "${BENCH_LEDGER:-sqlite}" = postgresql ]; then
		echo "url = postgresql:///bench?host=$T/pg"
	else
		printf 'path = %s\norders = %s\n' "$T/milter/ledger.db" "$T/orders.db"
	fi
}

# start_postgresql: the private, durable cluster of BENCH_LEDGER=postgresql
start_postgresql() {
	[ "${BENCH_LEDGER:-sqlite}" = postgresql ] || return 0
	if ! PG_CLUSTER_DURABLE=1 PG_CLUSTER_OWNER_PID=$$ PG_CLUSTER_ROLES="$MILTER_USER" \
		"$ROOT/tests/pg-cluster" start "$T/pg" >"$T/pg.log" 2>&1 \
		|| ! "$ROOT/tests/pg-cluster" newdb "$T/pg" bench >>"$T/pg.log" 2>&1; then
		say "PostgreSQL did not start: $(tail -5 "$T/pg.log")"
		return 1
	fi
	return 0
}

# ledger_ready: the schemas made and the roles granted (PostgreSQL)
ledger_ready() {
	[ "${BENCH_LEDGER:-sqlite}" = postgresql ] || return 0
	"$MAILCERT" -c "$T/mailcert.conf" ledger init >>"$T/pg.log" 2>&1 \
		|| { say "ledger init failed: $(tail -3 "$T/pg.log")"; return 1; }
}

stop_postgresql() {
	[ -d "$T/pg" ] && "$ROOT/tests/pg-cluster" stop "$T/pg"
	return 0
}

write_config() {
	mkdir -p "$T/milter" "$T/out" "$T/keys" "$T/state"
	chmod 777 "$T/milter"
	chmod 700 "$T/keys" "$T/state"
	write_trust_store
	start_postgresql || return 1
	cat >"$T/mailcert.conf" <<CONF
# a private configuration for the benchmark (bench/bench-lib.sh)
[milter]
socket = unix:$T/milter/mailcert.sock
user = $MILTER_USER
authserv_id = mx.example.net
require_dkim = yes
watch_addresses = certs@example.net
spool_dir = $T/milter/spool
[ledger]
$(ledger_lines)
[ca]
trust_store = $T/trust.pem
[installer]
wake_socket = $T/milter/wake.sock
key_dir = $T/keys
state_dir = $T/state
[approve]
user = $MILTER_USER
wake_socket = $T/milter/approver.sock
[target web]
fullchain = $T/out/fullchain.pem
key = $T/out/key.pem
CONF
	ledger_ready
}

# first_ca_profile - the CA name of a profile the parser knows
first_ca_profile() {
	"$MAILCERT" -c "$T/mailcert.conf" order add --domain example.invalid --ca none-such \
		--key "$PKI/leaf-ec.key" --target web 2>&1 | sed -n 's/.*(known: \([^,)]*\).*/\1/p'
}

add_order() {
	"$MAILCERT" -c "$T/mailcert.conf" order add --domain example.com \
		--alt-name www.example.com --ca "$1" --key "$PKI/leaf-ec.key" --target web \
		--contact ops@example.net >"$T/order.out" 2>&1
}

place_order() {
	ORDER_CA=${BENCH_CA:-sectigo}
	if ! add_order "$ORDER_CA"; then
		[ -z "${BENCH_CA:-}" ] && ORDER_CA=$(first_ca_profile)
		if [ -z "$ORDER_CA" ] || ! add_order "$ORDER_CA"; then
			say "cannot place the order: $(cat "$T/order.out")"
			return 1
		fi
	fi
	chmod 666 "$T/milter/ledger.db"* 2>/dev/null
	return 0
}

# Scenarios --------------------------------------------------------------------

# first_fixture PATTERN...: the first fixture file matching one of them
first_fixture() {
	for _pat in "$@"; do
		for _f in $FIXTURES/$_pat; do
			[ -f "$_f" ] && { echo "$_f"; return 0; }
		done
	done
	return 1
}

# The fixtures of the order's CA first
approval_fixture() { first_fixture "approval-$ORDER_CA*.eml" 'approval-*.eml'; }
cert_fixture() { first_fixture "cert-zip-$ORDER_CA*.eml" 'cert-zip-*.eml' 'cert-*.eml'; }

# envelope_sender FILE: Return-Path, else the From address
envelope_sender() {
	_s=$(sed -n '/^$/q; s/^Return-Path:[[:space:]]*<\([^>]*\)>.*/\1/Ip' "$1" | head -1)
	[ -n "$_s" ] || _s=$(sed -n '/^$/q; /^From:/Ip' "$1" | head -1 |
		sed -n 's/.*<\([^>]*\)>.*/\1/p; t; s/^From:[[:space:]]*//Ip')
	echo "${_s:-bench@example.org}"
}

# scenario NAME: sets SC_LABEL, SC_FILE, SC_RCPT, SC_TARGET; 1 when the
# fixture is missing
scenario() {
	case $1 in
	unwatched)
		SC_LABEL="unwatched mail"
		SC_FILE=$ROOT/bench/mail/plain.eml
		SC_RCPT=alex@example.net
		SC_TARGET="≥ 2.0×" ;;
	notca)
		SC_LABEL="watched mailbox, not from a CA"
		SC_FILE=$ROOT/bench/mail/not-ca.eml
		SC_RCPT=admin@example.com
		SC_TARGET="–" ;;
	approval)
		SC_LABEL="CA approval mail"
		SC_FILE=$(approval_fixture) || return 1
		SC_RCPT=admin@example.com
		SC_TARGET="≥ 0.25×, p99 < 20 ms" ;;
	cert)
		SC_LABEL="certificate delivery (ZIP)"
		SC_FILE=$(cert_fixture) || return 1
		SC_RCPT=certs@example.net
		SC_TARGET="≥ 0.25×, p99 < 20 ms" ;;
	*)
		return 1 ;;
	esac
	SC_SENDER=$(envelope_sender "$SC_FILE")
	return 0
}
