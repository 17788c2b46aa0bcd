# SPDX-License-Identifier: ISC
# t-expiry - certificates expire: the expiry watch of the installer daemon
# over every target's files and every order's latest certificate, the
# reminders once per threshold across restarts, renewal and cancel, and
# "mailcert expiring" for monitoring.  The clock is the real one: the
# certificates are made here to expire in 5 and 10 days, and the
# fixtures' expired one has.
#
#	target web	order 1's certificate (test CA), 5 days left
#	target acme	no order: another CA's certificate, 10 days left
#	target old	no order: an expired certificate

. tests/lib.sh
make_tmpdir
PKI="$ROOT/tests/fixtures/pki"
user=$(test_user)
mailcert_dirs "$user"
make_sendmail
mkdir -p "$T/tls/web" "$T/tls/acme" "$T/tls/old" "$T/ca"
milter_port=$(free_port)
{
	base_config "$user"
	cat <<CONF
[milter]
socket = inet:$milter_port@127.0.0.1
authserv_id = mx.example.net
watch_addresses = certificates@example.net
[ca]
trust_store = $PKI/root.crt
[notify]
sendmail = $T/sendmail
operator = hostmaster@example.net
[installer]
poll_interval = 300
[expiry]
warn_days = 30 14 7 3 1
interval = 1
[target web]
fullchain = $T/tls/web/fullchain.pem
key = $T/tls/web/key.pem
[target acme]
fullchain = $T/tls/acme/fullchain.pem
key = $T/tls/acme/key.pem
[target old]
cert = $T/tls/old/cert.pem
[target gone]
fullchain = $T/tls/gone.pem
CONF
} >"$T/mailcert.conf"
chmod 0644 "$T/mailcert.conf"
mc() { "$MAILCERT" -c "$T/mailcert.conf" "$@"; }
field() { mc show "$1" --json | python3 -c "import json,sys; j=json.load(sys.stdin); print($2)"; }
reminders() { grep -c '^Subject: \[mailcert\] .*expire' "$T/mailbox" 2>/dev/null || echo 0; }
serial() { openssl x509 -in "$1" -noout -serial; }

# sign CSR DAYS OUT: a leaf of the test CA for the names of order 1
cat >"$T/ca/ext" <<EXT
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:www.example.com, DNS:example.com
EXT
sign() {
	openssl x509 -req -in "$1" -CA "$PKI/inter2.crt" -CAkey "$PKI/inter2.key" \
		-set_serial "0x$(openssl rand -hex 8)" -days "$2" -extfile "$T/ca/ext" -out "$3" 2>/dev/null
}
# deliver CERT: the CA's mail with the certificate and chain, as the intake
deliver() {
	printf 'From: ca@example.org\nTo: certificates@example.net\nSubject: your certificate\nMessage-ID: <%s@example.org>\n\n%s\n' \
		"$(basename "$1").$$" "$(cat "$1" "$PKI/inter2.crt" "$PKI/inter1.crt")" \
		| as_user "$user" "$MAILCERT" -c "$T/mailcert.conf" deliver certificates@example.net 2>&1
}

# Order 1, its certificate of 5 days ------------------------------------------------
o1=$(mc order add --domain www.example.com --alt-name example.com --ca sectigo --key "$PKI/leaf-ec.key" \
	--target web --contact ops@example.com)
openssl req -new -key "$PKI/leaf-ec.key" -subj /CN=www.example.com -out "$T/ca/o1.csr" 2>/dev/null
sign "$T/ca/o1.csr" 5 "$T/ca/five.pem"
# Another CA's certificate of 10 days in target acme, the expired one in old.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/ca/other.key" \
	-subj "/CN=Some ACME CA" -days 30 -out "$T/ca/other-ca.pem" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/tls/acme/key.pem" \
	-subj /CN=acme.example.net -out "$T/ca/acme.csr" 2>/dev/null
openssl x509 -req -in "$T/ca/acme.csr" -CA "$T/ca/other-ca.pem" -CAkey "$T/ca/other.key" \
	-set_serial 7 -days 10 -out "$T/tls/acme/fullchain.pem" 2>/dev/null
cp "$PKI/expired.crt" "$T/tls/old/cert.pem"

mc expiring >/dev/null 2>&1
check_eq "expiring: 2 while a certificate has expired" "$?" "2"

"$MAILCERT" -c "$T/mailcert.conf" install --watch 2>"$T/watch.log" &
pid=$!
at_exit "kill $pid 2>/dev/null"
wait_for 5 test -S "$T/run/installer/wake.sock"
check_contains "the intake takes the certificate" "$(deliver "$T/ca/five.pem")" "certificate issued for order $o1"
wait_for 10 sh -c "[ \"\$(\"$MAILCERT\" -c '$T/mailcert.conf' show $o1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"state\"])')\" = installed ]"
check_eq "the installer daemon installs it" "$(field "$o1" 'j["state"]')" "installed"
check_eq "the file holds it" "$(serial "$T/tls/web/fullchain.pem")" "$(serial "$T/ca/five.pem")"
wait_for 10 sh -c "[ \$(grep -c '^Subject: \\[mailcert\\] .*expire' '$T/mailbox' 2>/dev/null) -ge 3 ]"
check_eq "three reminders: order 1, the other CA's, the expired one" "$(reminders)" "3"
mail=$(cat "$T/mailbox")
check_contains "order 1's contact is told of order 1's certificate" "$mail" "To: ops@example.com"
check_contains "it says the days left (whole days, rounded down)" "$mail" "expires in 4 days"
check_contains "the operator is told of the target without an order" "$mail" "To: hostmaster@example.net"
check_contains "the other CA's certificate is watched (named by its subject)" "$mail" "acme.example.net"
check_contains "and the expired one" "$mail" "expired"

# Once per threshold, across a restart ---------------------------------------------
passes() { grep -c 'expiry watch done' "$T/$1"; }
before=$(passes watch.log)
wait_for 10 sh -c "[ \$(grep -c 'expiry watch done' '$T/watch.log') -gt $((before + 1)) ]"
check_eq "later passes send nothing more" "$(reminders)" "3"
kill -TERM "$pid"
wait "$pid"
# (a log of its own: the shell opens it only after the fork, so a test of
# the old one could race the truncation)
"$MAILCERT" -c "$T/mailcert.conf" install --watch 2>"$T/watch2.log" &
pid=$!
at_exit "kill $pid 2>/dev/null"
wait_for 10 sh -c "[ \$(grep -c 'expiry watch done' '$T/watch2.log') -ge 2 ]"
check "the restarted daemon looked again" test "$(passes watch2.log)" -ge 2
check_eq "and sent no reminder twice" "$(reminders)" "3"
check_contains "each reminder is in the ledger" "$(mc ledger --order "$o1")" "expiry"

mc expiring >/dev/null 2>&1
check_eq "expiring: still 2 with the expired one" "$?" "2"
rm "$T/tls/old/cert.pem"
out=$(mc expiring --json)
check_eq "expiring: 1 when some expire within 30 days" "$?" "1"
check_eq "expiring --json lists them with the days left" "$(printf '%s' "$out" | python3 -c '
import json, sys
print(sorted(c["days_left"] for c in json.load(sys.stdin)))')" "[4, 9]"
mc expiring --days 3 >/dev/null 2>&1
check_eq "expiring --days 3: 0, none that soon" "$?" "0"

# Renewal stops the reminders of the old certificate --------------------------------
o2=$(mc order renew "$o1" 2>"$T/renew.err" >"$T/ca/o2.csr"; sed -n 's/^order \([0-9]*\) renews.*/\1/p' "$T/renew.err")
check_eq "order renew makes a successor" "$o2" "$((o1 + 1))"
check_eq "show links the two" "$(field "$o1" 'j["successor"]') $(field "$o2" 'j["predecessor"]')" "$o2 $o1"
next_second
sign "$T/ca/o2.csr" 90 "$T/ca/ninety.pem"
check_contains "the renewal's certificate is taken for the successor" "$(deliver "$T/ca/ninety.pem")" \
	"certificate issued for order $o2"
wait_for 10 sh -c "[ \"\$(\"$MAILCERT\" -c '$T/mailcert.conf' show $o1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"status\"])')\" = superseded ]"
check_eq "once it is installed the predecessor is superseded" "$(field "$o1" 'j["status"]')" "superseded"
check_eq "the target serves the renewal" "$(serial "$T/tls/web/fullchain.pem")" "$(serial "$T/ca/ninety.pem")"
out=$(mc expiring --json)
check_eq "the old certificate is no longer watched" "$(printf '%s' "$out" | python3 -c '
import json, sys
print(sorted(c["days_left"] for c in json.load(sys.stdin)))')" "[9]"

# A cancelled order leaves the watch set -------------------------------------------------
o3=$(mc order add --domain cancel.example.com --ca sectigo --key "$PKI/leaf-rsa.key" --target gone)
mc order cancel "$o3" --reason "customer left" >/dev/null
check_eq "order cancel: cancelled" "$(field "$o3" 'j["status"]')" "cancelled"
check_contains "the event says who and why" "$(mc show "$o3")" "customer left"
"$MILTER" -c "$T/mailcert.conf" -f >"$T/milter.log" 2>&1 &
mpid=$!
at_exit "kill $mpid 2>/dev/null"
wait_for 10 grep -q "listening on" "$T/milter.log"
cat >"$T/cancelled.lua" <<'LUA'
dofile("tests/milter/common.lua")
local conn = open_conn("cancelled")
envelope(conn, "CAN1", "<noreply@trust-provider.com>", {"<admin@cancel.example.com>"}, "cancelled")
expect(conn, SMFIR_ACCEPT, "mail to a cancelled order's approver mailbox")
ok("mail to a cancelled order's approver mailbox is accepted at DATA")
mt.disconnect(conn)
LUA
miltertest -D socket="inet:$milter_port@127.0.0.1" -s "$T/cancelled.lua" 2>"$T/cancelled.err" \
	|| not_ok "miltertest cancelled.lua" "$(cat "$T/cancelled.err")"
kill -TERM "$mpid" "$pid"
wait "$pid"
check_eq "the installer daemon stops cleanly" "$?" "0"
