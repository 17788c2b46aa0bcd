# SPDX-License-Identifier: ISC
# t-ledger-copy - mailcert ledger copy moves a whole ledger from SQLite to
# PostgreSQL and back.  A SQLite ledger gets orders, an approval, a
# certificate installed by the installer, events of both stores; it is
# copied into an empty PostgreSQL database (a private cluster of this
# test's), each table checked by row count and digest.  With the
# configuration switched to it (and "ledger init" run, as the README
# says) the operator sees the same orders and history; new mail gets new
# ids; a second copy into it is refused (not empty).  Then it goes back
# into new SQLite files, which the milter's user owns, and shows the same.

. tests/lib.sh
make_tmpdir
PKI="$ROOT/tests/fixtures/pki"

if [ "$(id -u)" -ne 0 ]; then
	not_ok "runs as root" "the test's PostgreSQL runs as its own user, started by root"
	exit 1
fi
PG="$T/pg"
if PG_CLUSTER_OWNER_PID=$$ "$ROOT/tests/pg-cluster" start "$PG" >"$T/pg-start.log" 2>&1 \
	&& "$ROOT/tests/pg-cluster" newdb "$PG" copy; then
	ok "a private PostgreSQL started"
else
	not_ok "a private PostgreSQL started" "$(cat "$T/pg-start.log")"
	exit 1
fi
at_exit "'$ROOT/tests/pg-cluster' stop '$PG'"
URL="postgresql:///copy?host=$PG"

user=$(test_user)
mailcert_dirs "$user"
mkdir -p "$T/tls" "$T/back"
chown "$user" "$T/back"
# config LEDGER_LINES...: the test's configuration with that [ledger]
config() {
	cat <<CONF
[milter]
user = $user
spool_dir = $T/intake/spool
authserv_id = mx.example.net
watch_addresses = certificates@example.net
[ledger]
$(printf '%s\n' "$@")
[ca]
trust_store = $PKI/root.crt
[installer]
key_dir = $T/keys
state_dir = $T/state
wake_socket = $T/run/installer/wake.sock
[approve]
user = $user
[notify]
sendmail = /bin/true
[target web]
fullchain = $T/tls/fullchain.pem
key = $T/tls/key.pem
[target shop]
fullchain = $T/tls/shop.pem
key = $T/tls/shop.key
CONF
}
config "path = $T/intake/ledger.db" "orders = $T/orders.db" >"$T/sqlite.conf"
config "url = $URL" >"$T/pg.conf"
config "path = $T/back/ledger.db" "orders = $T/back/orders.db" >"$T/back.conf"
chmod 0644 "$T"/*.conf
mc() { _conf=$1; shift; "$MAILCERT" -c "$T/$_conf.conf" "$@"; }
deliver() { as_user "$user" "$MAILCERT" -c "$T/$1.conf" deliver "$2" >/dev/null 2>>"$T/deliver.log"; }

# A ledger with something in every store -------------------------------------------
mc sqlite order add --domain www.example.com --alt-name example.com --ca sectigo --ca-order 1234567890 \
	--key "$PKI/leaf-ec.key" --target web --contact ops@example.com >/dev/null
mc sqlite order add --domain shop.example.org --ca sectigo --key "$PKI/leaf-rsa.key" --target shop >/dev/null
mkdir -p "$T/mails"
python3 "$ROOT/tests/attacks/make-mails" "$T/mails"
deliver sqlite admin@example.com <"$T/mails/match-ours.eml"
printf 'From: ca@example.org\nTo: certificates@example.net\nSubject: certificate\nMessage-ID: <copy.1@example.org>\n\n%s\n' \
	"$(cat "$PKI/www-ec.crt" "$PKI/inter2.crt" "$PKI/inter1.crt")" | deliver sqlite certificates@example.net
mc sqlite install --pending >/dev/null 2>&1
check_eq "the SQLite ledger: order 1 installed" "$(mc sqlite show 1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')" "installed"
before_show=$(mc sqlite show 1 --json)
before_orders=$(mc sqlite orders --json)
before_ledger=$(mc sqlite ledger --json)

# SQLite -> PostgreSQL --------------------------------------------------------------
mc sqlite ledger copy --to "$URL" >"$T/copy1.out" 2>&1
check_eq "copy to PostgreSQL succeeds" "$?" "0"
check_eq "every table checked the same" "$(grep -c ': same$' "$T/copy1.out")" "$(grep -c '^\(book\|intake\)\.' "$T/copy1.out")"
check "and there are many tables" test "$(grep -c ': same$' "$T/copy1.out")" -ge 14
check_contains "rows were copied" "$(cat "$T/copy1.out")" "copied"
check_contains "the messages among them" "$(grep '^intake.messages' "$T/copy1.out")" "2 rows"
check "the operator's ledger init on the new ledger" mc pg ledger init
check_eq "PostgreSQL shows order 1 as SQLite did" "$(mc pg show 1 --json)" "$before_show"
check_eq "the same listing of orders" "$(mc pg orders --json)" "$before_orders"
check_eq "the same history" "$(mc pg ledger --json)" "$before_ledger"
printf 'From: ca@example.org\nTo: certificates@example.net\nSubject: certificate\nMessage-ID: <copy.2@example.org>\n\n%s\n' \
	"$(cat "$PKI/www-ec.crt" "$PKI/inter2.crt" "$PKI/inter1.crt")" | deliver pg certificates@example.net
check_eq "new mail gets a new id (the sequences moved past the copied ones)" \
	"$("$ROOT/tests/pg-cluster" psql "$PG" copy root -At -c "SELECT count(*) || ' ' || max(id) FROM intake.messages")" "3 3"
mc sqlite ledger copy --to "$URL" >"$T/copy2.out" 2>&1
check_eq "a second copy into it is refused" "$?" "1"
check_contains "because it is not empty" "$(cat "$T/copy2.out")" "not empty"

# PostgreSQL -> SQLite --------------------------------------------------------------
pg_show=$(mc pg show 1 --json)
mc pg ledger copy --to "sqlite://$T/back/ledger.db?orders=$T/back/orders.db" >"$T/copy3.out" 2>&1
check_eq "copy back to SQLite succeeds" "$?" "0"
check_eq "every table checked the same again" "$(grep -c ': same$' "$T/copy3.out")" "$(grep -c '^\(book\|intake\)\.' "$T/copy3.out")"
check_eq "SQLite again shows order 1 as PostgreSQL had it" "$(mc back show 1 --json)" "$pg_show"
check_eq "the intake's new file is the milter user's" "$(stat -c %U "$T/back/ledger.db")" "$user"
check_eq "with the mail that came meanwhile" \
	"$(sqlite3 "$T/back/ledger.db" "SELECT message_id FROM messages WHERE id = 3")" "copy.2@example.org"
mc pg ledger copy --to "sqlite://$T/back/ledger.db?orders=$T/back/orders.db" >"$T/copy4.out" 2>&1
check_eq "an existing SQLite destination is refused" "$?" "1"
