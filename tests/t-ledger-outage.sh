# SPDX-License-Identifier: ISC
# t-ledger-outage - the PostgreSQL ledger goes away and comes back while
# mail arrives.  A private cluster of this test's own (it is stopped and
# started here) holds the ledger; mailcert-milter (driven by miltertest,
# tests/milter/reply.lua), the installer and the approver daemons run
# against it.  With [milter] on_error = accept the mail is delivered while
# the database is away, marked "not recorded", and the outage is logged
# once, not once per message; with on_error = tempfail (a reload) the MTA
# is told to try again, and mailcert deliver exits 75.  When the database
# is back every daemon reconnects by itself (the same processes): the
# retried approval is recorded, an order placed meanwhile is watched, a
# certificate is installed by the installer that waited through it all.

. tests/lib.sh
make_tmpdir
PKI="$ROOT/tests/fixtures/pki"

for tool in miltertest openssl python3; do
	command -v "$tool" >/dev/null 2>&1 || { not_ok "$tool is installed" "run tools/install-deps"; exit 1; }
done
if [ "$(id -u)" -ne 0 ]; then
	not_ok "runs as root" "the test's PostgreSQL runs as its own user, started by root"
	exit 1
fi

PG="$T/pg"
if PG_CLUSTER_OWNER_PID=$$ "$ROOT/tests/pg-cluster" start "$PG" >"$T/pg-start.log" 2>&1 \
	&& "$ROOT/tests/pg-cluster" newdb "$PG" outage; then
	ok "a private PostgreSQL started"
else
	not_ok "a private PostgreSQL started" "$(cat "$T/pg-start.log")"
	exit 1
fi
at_exit "'$ROOT/tests/pg-cluster' stop '$PG'"

port=$(free_port)
user=$(test_user)
mailcert_dirs "$user"
mkdir -p "$T/tls" "$T/mails"
write_config() {
	cat >"$T/mailcert.conf" <<CONF
[milter]
user = $user
socket = inet:$port@127.0.0.1
spool_dir = $T/intake/spool
authserv_id = mx.example.net
watch_addresses = certificates@example.net
on_error = $1
[ledger]
url = postgresql:///outage?host=$PG
busy_timeout = 1000
[ca]
trust_store = $PKI/root.crt
[installer]
key_dir = $T/keys
state_dir = $T/state
wake_socket = $T/run/installer/wake.sock
poll_interval = 2
[approve]
user = $user
mode = manual
wake_socket = $T/run/approver/wake.sock
poll_interval = 2
[notify]
sendmail = /bin/true
[target web]
fullchain = $T/tls/fullchain.pem
key = $T/tls/key.pem
[target web2]
fullchain = $T/tls/fullchain2.pem
key = $T/tls/key2.pem
CONF
	chmod 0644 "$T/mailcert.conf"
}
write_config accept
mc() { "$MAILCERT" -c "$T/mailcert.conf" "$@"; }
check "ledger init makes the schemas and grants the roles" mc ledger init
o1=$(mc order add --domain www.example.com --alt-name example.com --ca sectigo --ca-order 1234567890 \
	--key "$PKI/leaf-ec.key" --target web)
check_eq "an order placed" "$o1" "1"
python3 "$ROOT/tests/attacks/make-mails" "$T/mails"

"$MILTER" -c "$T/mailcert.conf" -f >"$T/milter.log" 2>&1 &
milter_pid=$!
# (setpriv, not as_user: a function in the background would be a subshell,
# and its pid not the approver's)
setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups -- \
	"$MAILCERT" -c "$T/mailcert.conf" approver >"$T/approver.log" 2>&1 &
approver_pid=$!
"$MAILCERT" -c "$T/mailcert.conf" install --watch >"$T/installer.log" 2>&1 &
installer_pid=$!
at_exit "kill $milter_pid $approver_pid $installer_pid 2>/dev/null"
wait_for 10 grep -q "listening on" "$T/milter.log" || { not_ok "milter started" "$(cat "$T/milter.log")"; exit 1; }

# send EML RCPT QID: the milter's answer
n=0
send() {
	n=$((n + 1))
	miltertest -D socket="inet:$port@127.0.0.1" -D eml="$1" -D rcpt="$2" -D qid="$3" \
		-s tests/milter/reply.lua 2>"$T/send.$n.err"
}
# plain EML MSGID: a mail to admin@ that the parser knows as a CA's but
# that changes no order
plain() {
	printf 'From: Sectigo <noreply_support@trust-provider.com>\nTo: admin@example.com\nSubject: notice %s\nMessage-ID: <%s@trust-provider.com>\n\nhello\n' \
		"$2" "$2" >"$1"
}

check_contains "with the database up, an approval is recorded" \
	"$(send "$T/mails/match-ours.eml" admin@example.com UP1)" "accept approval recorded for order 1"

# The database goes away ------------------------------------------------------------
"$ROOT/tests/pg-cluster" stop "$PG"
for i in 1 2 3; do
	plain "$T/down$i.eml" "down$i"
	check_contains "database away: mail $i delivered, marked not recorded" \
		"$(send "$T/down$i.eml" admin@example.com DOWN$i)" "accept not recorded: ledger unavailable"
done
check_eq "the outage is logged once" "$(grep -c 'PostgreSQL unavailable' "$T/milter.log")" "1"
check_eq "and no message of it is logged on its own" "$(grep -c 'DOWN[0-9]: message not recorded' "$T/milter.log")" "0"

# on_error = tempfail, by a reload while the database is still away.
write_config tempfail
kill -HUP "$milter_pid"
check "the milter reloads its configuration" wait_for 10 grep -q "reloaded from" "$T/milter.log"
printf 'From: ca@example.org\nTo: certificates@example.net\nSubject: certificate\nMessage-ID: <outage.cert@example.org>\n\n%s\n' \
	"$(cat "$PKI/www-ec.crt" "$PKI/inter2.crt" "$PKI/inter1.crt")" >"$T/cert.eml"
check_eq "on_error = tempfail: the certificate mail is held back" \
	"$(send "$T/cert.eml" certificates@example.net DOWN4)" "tempfail"
as_user "$user" "$MAILCERT" -c "$T/mailcert.conf" deliver certificates@example.net <"$T/cert.eml" \
	>/dev/null 2>"$T/deliver.err"
check_eq "and mailcert deliver exits 75 (the MTA tries again)" "$?" "75"
# A milter started while the database is away waits for it.
port2=$(free_port)
sed "s/^socket = .*/socket = inet:$port2@127.0.0.1/" "$T/mailcert.conf" >"$T/second.conf"
chmod 0644 "$T/second.conf"
"$MILTER" -c "$T/second.conf" -f >"$T/milter2.log" 2>&1 &
milter2_pid=$!
at_exit "kill $milter2_pid 2>/dev/null"
check "a milter started meanwhile says it waits for the database" \
	wait_for 10 grep -q "waiting for it" "$T/milter2.log"
for p in $milter_pid $approver_pid $installer_pid $milter2_pid; do
	kill -0 "$p" 2>/dev/null || not_ok "every daemon waits through the outage" "pid $p exited"
done
ok "every daemon waits through the outage"

# The database comes back -----------------------------------------------------------
"$ROOT/tests/pg-cluster" resume "$PG"
# the MTA tries again until it is taken (the milter tries the database
# again after a back-off of at most 10 s)
retried() { send "$T/cert.eml" certificates@example.net UP2 >"$T/retried"; grep -q '^accept' "$T/retried"; }
check "back: the retried certificate mail is taken, by the same milter" wait_for 30 retried
check_contains "and recorded" "$(cat "$T/retried")" "accept certificate issued for order 1"
check "the milter that waited serves once the database is back" \
	wait_for 40 grep -q "listening on" "$T/milter2.log"
check_eq "the end of the outage is logged once" "$(grep -c 'PostgreSQL available again' "$T/milter.log")" "1"
check "the installer, which waited, installs it" wait_for 20 test -s "$T/tls/fullchain.pem"
check_eq "the installed certificate is the mailed one" \
	"$(openssl x509 -in "$T/tls/fullchain.pem" -noout -serial 2>/dev/null)" \
	"$(openssl x509 -in "$PKI/www-ec.crt" -noout -serial)"
plain "$T/new.eml" new-order
# unwatched mail is accepted at DATA, before the message: miltertest then
# stops with an error and reply.lua prints no "accept" line
check "mail for a domain nobody ordered is not watched" \
	sh -c "! miltertest -D socket=inet:$port@127.0.0.1 -D eml=$T/new.eml -D rcpt=admin@example.org \
	-D qid=NEW0 -s tests/milter/reply.lua 2>/dev/null | grep -q '^accept '"
mc order add --domain www.example.org --ca sectigo --key "$PKI/leaf-rsa.key" --target web2 >/dev/null
new_order_watched() { send "$T/new.eml" admin@example.org NEW | grep -q '^accept '; }
check "an order placed after the outage is watched (the watch set listens again)" wait_for 10 new_order_watched
check_eq "the approver is still running" "$(kill -0 "$approver_pid" 2>/dev/null && echo yes)" "yes"
check_eq "the milter is the same process" "$(kill -0 "$milter_pid" 2>/dev/null && echo yes)" "yes"
kill -TERM "$milter_pid" "$milter2_pid" "$approver_pid" "$installer_pid" 2>/dev/null
