# SPDX-License-Identifier: ISC
# t-milter-miltertest - mailcert-milter at the protocol level, driven by
# Debian's miltertest with the Lua scripts in tests/milter/: watched and
# unwatched recipients, the early accept at DATA, the X-Mailcert header,
# a message over max_message_size, an abort mid-message, many connections
# at once; then SIGHUP (reload) and SIGTERM (clean stop), and what the
# ledger holds afterwards.

. tests/lib.sh
make_tmpdir

if ! command -v miltertest >/dev/null 2>&1; then
	not_ok "miltertest is installed" "run tools/install-deps"
	exit 1
fi

port=$(free_port)
user=$(test_user)
mailcert_dirs "$user"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/key.pem" 2>/dev/null
{
	base_config "$user"
	cat <<CONF
[milter]
socket = inet:$port@127.0.0.1
authserv_id = mx.example.net
max_message_size = 4k
memory_size = 1k
watch_addresses = certs@example.org
[target web]
fullchain = $T/out/fullchain.pem
key = $T/out/key.pem
[target shop]
fullchain = $T/out/shop.pem
CONF
} >"$T/mailcert.conf"
chmod 0644 "$T/mailcert.conf"
mc() { "$MAILCERT" -c "$T/mailcert.conf" "$@"; }
db() { intake_sql "$1"; }
book() { book_sql "$1"; }

mc order add --domain example.com --alt-name www.example.com --ca sectigo \
	--approver dns-team@example.net --key "$T/key.pem" --target web >/dev/null \
	&& mc order add --domain www.shop.example.net --ca sectigo --key "$T/key.pem" --target shop >/dev/null
check_eq "two orders placed" "$(book 'SELECT count(*) FROM orders')" "2"

"$MILTER" -c "$T/mailcert.conf" -f -v >"$T/milter.log" 2>&1 &
milter_pid=$!
at_exit "kill $milter_pid 2>/dev/null"
if wait_for 10 grep -q "listening on" "$T/milter.log"; then
	ok "milter started"
else
	not_ok "milter started" "$(cat "$T/milter.log")"
	exit 1
fi
check_contains "milter dropped privileges" "$(cat "$T/milter.log")" "as $user"

run_script() {
	miltertest -D socket="inet:$port@127.0.0.1" -s "tests/milter/$1.lua" 2>"$T/$1.err"
	rc=$?
	[ "$rc" -eq 0 ] || not_ok "miltertest $1.lua" "exit $rc: $(cat "$T/$1.err")"
}

for script in unwatched watched oversize abort many; do
	run_script "$script"
done

# The ledger ---------------------------------------------------------------
check_eq "the over-size message is recorded with its reason" \
	"$(db "SELECT reason FROM messages WHERE message_id = 'big.1@example.org'")" "over max_message_size"
check_eq "plain (not CA) mail is not recorded" \
	"$(db "SELECT count(*) FROM messages WHERE message_id LIKE 'plain.%'")" "0"
check_eq "orders unchanged" "$(mc orders --json | python3 -c 'import json,sys; print(",".join(o["state"] for o in json.load(sys.stdin)))')" \
	"awaiting_approval,awaiting_approval"
check_eq "no spool file is left after the messages" "$(ls "$T/intake/spool" | wc -l)" "0"

log=$(cat "$T/milter.log")
check_contains "log lines carry the queue id" "$log" "BIG1: message over max_message_size"
check_contains "early accepts logged with the queue id (-v)" "$log" "UNW1: no watched recipient, accepted"

# Reload and stop --------------------------------------------------------------
kill -HUP "$milter_pid"
if wait_for 5 grep -q "reloaded from" "$T/milter.log"; then
	ok "SIGHUP reloads the configuration"
else
	not_ok "SIGHUP reloads the configuration" "$(tail -5 "$T/milter.log")"
fi
check "milter still running after SIGHUP" kill -0 "$milter_pid"
printf "[bogus]\nkey = 1\n" >>"$T/mailcert.conf"
kill -HUP "$milter_pid"
if wait_for 5 grep -q "reload failed, keeping the running configuration" "$T/milter.log"; then
	ok "a broken configuration is refused on reload"
else
	not_ok "a broken configuration is refused on reload" "$(tail -5 "$T/milter.log")"
fi
run_script unwatched
check "milter serves after a refused reload" kill -0 "$milter_pid"

kill -TERM "$milter_pid"
if wait_for 15 sh -c "! kill -0 $milter_pid"; then
	ok "SIGTERM stops the milter"
else
	not_ok "SIGTERM stops the milter" "still running"
fi
wait "$milter_pid" 2>/dev/null
check_eq "clean exit status" "$?" "0"
check_contains "stop logged" "$(cat "$T/milter.log")" "stopped"

# -n checks the configuration ------------------------------------------------------
out=$("$MILTER" -n -c "$T/mailcert.conf" 2>&1); rc=$?
check_eq "-n refuses a broken configuration" "$rc" "1"
check_contains "-n says where" "$out" "mailcert.conf:"
exit 0
