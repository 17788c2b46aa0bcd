# lib.sh - what the shell tests of mailcert share.  Source it first:
#
#	. tests/lib.sh
#	ok "name"                      a check that passed
#	not_ok "name" "why"            a check that failed
#	check "name" test-command...   ok when the command succeeds
#	check_eq "name" "$got" "$want" ok when equal, else "got X, want Y"
#	check_contains "name" "$text" "$part"
#	make_tmpdir                    sets T to a private directory removed at exit
#	at_exit "command..."           run (with eval) at exit, last first
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
	at_exit "rm -rf '$T'"
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
