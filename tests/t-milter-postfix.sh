# SPDX-License-Identifier: ISC
# t-milter-postfix - mailcert-milter behind the real Postfix from Debian.
#
# A private Postfix instance (contrib/postfix/instance.sh: its own
# configuration, queue, data and log under $T, chroot off, listening on
# 127.0.0.1, relaying everything to smtp-sink on another loopback port)
# with the milter on an inet loopback socket.  Mail goes in with swaks and
# smtp-source; the ledger is read back with `mailcert ... --json`.
#
#   approval mail for a placed order       -> approval_received
#   certificate for the order's key        -> issued, install job
#   hostile fixtures                       -> milter stays up, orders unchanged
#   ledger locked by another writer        -> mail flows, failure logged
#   forged Authentication-Results removed by header_checks before the milter
#   SIGKILL of the milter during a 2000-message smtp-source run
#                                          -> every message reaches the sink

. tests/lib.sh
. contrib/postfix/instance.sh
make_tmpdir

FIX=tests/fixtures
BULK=${MAILCERT_BULK_MESSAGES:-2000}

skip_all() {
	not_ok "$1" "$2"
	exit 1
}
[ "$(id -u)" -eq 0 ] || skip_all "runs as root" "Postfix needs root to start"
for tool in postfix postconf smtp-sink smtp-source swaks sqlite3 python3; do
	command -v "$tool" >/dev/null 2>&1 || skip_all "$tool is installed" "run tools/install-deps"
done

smtp_port=$(free_port)
sink_port=$(free_port)
milter_port=$(free_port)
PF="$T/postfix"
at_exit "pf_stop '$PF'"
mkdir -p "$T/out"

# json FILTER - read JSON on stdin, print the Python expression FILTER of it (d)
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
mc() { "$MAILCERT" -c "$T/mailcert.conf" "$@"; }
state_of() { mc show "$1" --json | json 'd["state"]'; }

# Fixtures -----------------------------------------------------------------
echo "# $(date +%T) Fixtures"
# Read what the parser makes of each fixture, so that the orders placed
# here match whatever the fixtures hold.

trust_store=$(ls "$FIX"/pki/root.crt 2>/dev/null | head -1)
[ -n "$trust_store" ] || skip_all "test PKI present" "no root certificate in $FIX/pki"
user=$(test_user)
mailcert_dirs "$user"
{
	base_config "$user"
	cat <<CONF
[milter]
socket = inet:$milter_port@127.0.0.1
authserv_id = mx.example.net
watch_addresses = certificates@example.net
[ca]
trust_store = $ROOT/$trust_store
[target web]
fullchain = $T/out/fullchain.pem
key = $T/out/key.pem
[target web2]
fullchain = $T/out/fullchain2.pem
key = $T/out/key2.pem
[target web3]
fullchain = $T/out/fullchain3.pem
CONF
} >"$T/mailcert.conf"
chmod 0644 "$T/mailcert.conf"

verdict_of() { mc parse "$1" --json 2>/dev/null; }

approval_eml=""
for f in "$FIX"/approval-sectigo-plain.eml "$FIX"/approval-*.eml; do
	[ -f "$f" ] || continue
	v=$(verdict_of "$f") || continue
	if [ "$(printf '%s' "$v" | json 'd["kind"] == "approval" and d["authenticated"] and bool(d["approval"]["domain"])')" = True ]; then
		approval_eml=$f
		approval_json=$v
		break
	fi
done
[ -n "$approval_eml" ] || skip_all "an authenticated approval fixture" "none in $FIX/approval-*.eml"

# spki_of KEYFILE / cert_spki_of CRTFILE - the SHA-256 of the public key,
# as the ledger keeps it; cert_sha_of CRTFILE - of the certificate
spki_of() { openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1; }
cert_spki_of() { openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1; }
cert_sha_of() { openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }

# key_for_leaf SHA256 - the test PKI's key of the certificate with that hash
key_for_leaf() {
	for _crt in "$FIX"/pki/*.crt; do
		[ "$(cert_sha_of "$_crt")" = "$1" ] || continue
		_spki=$(cert_spki_of "$_crt")
		for _key in "$FIX"/pki/*.key; do
			[ "$(spki_of "$_key")" = "$_spki" ] && echo "$_key" && return 0
		done
	done
	return 1
}

cert_eml=""
cert_key=""
for f in "$FIX"/cert-zip-sectigo.eml "$FIX"/cert-*.eml; do
	[ -f "$f" ] || continue
	v=$(verdict_of "$f") || continue
	[ "$(printf '%s' "$v" | json 'd["kind"]')" = certificate ] || continue
	leaf_sha=$(printf '%s' "$v" | json '[c["sha256"] for c in d["certificates"] if c["role"] == "leaf"][0]') || continue
	if cert_key=$(key_for_leaf "$leaf_sha"); then
		cert_eml=$f
		cert_json=$v
		break
	fi
done
[ -n "$cert_eml" ] || skip_all "a certificate fixture with its key" "none in $FIX/cert-*.eml + $FIX/pki"

# Orders -----------------------------------------------------------------------
echo "# $(date +%T) Orders"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/approval.key" 2>/dev/null
a_domain=$(printf '%s' "$approval_json" | json 'd["approval"]["domain"]')
a_msgid=$(printf '%s' "$approval_json" | json 'd["message_id"]')
a_ca=$(printf '%s' "$approval_json" | json 'd["ca"]')
a_ca_order=$(printf '%s' "$approval_json" | json 'd["approval"]["ca_order"] or ""')
approval_order=$(mc order add --domain "$a_domain" --ca "$a_ca" ${a_ca_order:+--ca-order "$a_ca_order"} \
	--key "$T/approval.key" --target web)
check "approval order placed" test -n "$approval_order"

c_names=$(printf '%s' "$cert_json" | json '" ".join([c for c in d["certificates"] if c["role"] == "leaf"][0]["names"])')
c_ca=$(printf '%s' "$cert_json" | json 'd["ca"]')
c_msgid=$(printf '%s' "$cert_json" | json 'd["message_id"]')
set -- $c_names
c_domain=$1
shift
alt_args=""
for n in "$@"; do alt_args="$alt_args --alt-name $n"; done
cert_order=$(mc order add --domain "$c_domain" $alt_args --ca "$c_ca" --key "$ROOT/$cert_key" --target web2)
check "certificate order placed" test -n "$cert_order"

# The mail system ------------------------------------------------------------------
echo "# $(date +%T) The mail system"

pf_sink_start "$T" "$sink_port" || skip_all "smtp-sink started" "$(cat "$T/sink.log")"
at_exit "kill $PF_SINK_PID 2>/dev/null"

start_milter() {
	"$MILTER" -c "$T/mailcert.conf" -f -v >>"$T/milter.log" 2>&1 &
	milter_pid=$!
	wait_for 10 pf_wait_port "$milter_port" 1
}
start_milter || skip_all "milter started" "$(cat "$T/milter.log")"
at_exit 'kill $milter_pid 2>/dev/null'
ok "milter started"

if pf_start "$PF" "$smtp_port" "$sink_port" "inet:127.0.0.1:$milter_port" 2>"$T/pf-start.err"; then
	ok "private Postfix started"
else
	skip_all "private Postfix started" "$(cat "$T/pf-start.err")"
fi

# send TO FILE - one message through Postfix; 0 when Postfix took it
send() {
	swaks --server 127.0.0.1 --port "$smtp_port" --from ca@example.org --to "$1" \
		--data "$2" --timeout 60 >"$T/swaks.out" 2>&1
}

# wait_sink N - until the sink holds N messages (60 s at most)
sink_has() { [ "$(pf_sink_count "$T")" -ge "$1" ]; }
wait_sink() { wait_for 60 sink_has "$1"; }

# xmailcert_of TEXT - the X-Mailcert header of the sink's message that
# contains TEXT (its Message-ID)
xmailcert_of() {
	grep -l -F "$1" "$T"/sink/msg.* 2>/dev/null | head -1 | xargs -r grep -h '^X-Mailcert:' | head -1
}

# Ledger locked: the approval arrives while another process holds the
# write lock (SQLite: the file's; PostgreSQL: the messages table's); mail
# flows, the failure is logged, nothing is recorded.
if [ "$(ledger_backend)" = sqlite ]; then
	python3 - "$T/intake/ledger.db" "$T/locked" 4 <<'PY' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
db.execute("BEGIN IMMEDIATE")
db.execute("INSERT INTO events (order_id, at, kind, detail) VALUES (NULL, 0, 'test', 'lock')")
open(sys.argv[2], "w").write("locked")
time.sleep(float(sys.argv[3]))
db.execute("ROLLBACK")
PY
	locker=$!
	wait_for 10 test -f "$T/locked"
else
	intake_sql "BEGIN; LOCK TABLE messages IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(4); ROLLBACK" \
		>/dev/null 2>&1 &
	locker=$!
	lock_held() {
		[ "$(intake_sql "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
		  WHERE c.relname = 'messages' AND l.mode = 'AccessExclusiveLock' AND l.granted")" = 1 ]
	}
	wait_for 10 lock_held
fi
sent=$(pf_sink_count "$T")
if send "admin@$a_domain" "$approval_eml"; then ok "mail accepted while the ledger is locked"; else not_ok "mail accepted while the ledger is locked" "$(tail -5 "$T/swaks.out")"; fi
if wait_sink $((sent + 1)); then
	ok "mail delivered while the ledger is locked"
else
	not_ok "mail delivered while the ledger is locked" "sink has $(pf_sink_count "$T"); $(tail -8 "$PF/postfix.log"; tail -5 "$T/milter.log")"
fi
check_contains "the message says it was not recorded" "$(xmailcert_of "$a_msgid")" "not recorded: ledger unavailable"
# Postfix queue ids are hexadecimal (or long ids of letters and digits).
failure_line=$(grep -E ': [0-9A-Za-z]{6,}: message not recorded: ledger:' "$T/milter.log" | grep -v NOQUEUE)
check "the failure is logged with Postfix's queue id" test -n "$failure_line"
check_eq "the order is unchanged while locked" "$(state_of "$approval_order")" "awaiting_approval"
wait "$locker"

# Certificate ---------------------------------------------------------------------------
echo "# $(date +%T) Certificate"
# The installer's wake-up socket: one datagram is expected.
python3 - "$T/run/installer/wake.sock" "$T/woken" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
s.settimeout(30)
try:
    data = s.recv(64)
    open(sys.argv[2], "wb").write(data)
except socket.timeout:
    pass
PY
waker=$!
wait_for 10 test -S "$T/run/installer/wake.sock"
rm -f "$T"/sink/msg.*
send certificates@example.net "$cert_eml" && wait_sink 1
check_eq "certificate mail: order -> issued" "$(state_of "$cert_order")" "issued"
check_eq "certificate mail: an install request for the installer" \
	"$(intake_sql "SELECT count(*) FROM install_requests WHERE order_id = $cert_order")" "1"
check_eq "certificate mail: the leaf is recorded" \
	"$(mc show "$cert_order" --json | json 'd["certificate"]["sha256"] if d["certificate"] else None')" "$leaf_sha"
check_contains "certificate mail: X-Mailcert says so" "$(xmailcert_of "$c_msgid")" \
	"certificate issued for order $cert_order, install request"
wait "$waker"
check_eq "certificate mail: the installer is woken" "$(cat "$T/woken" 2>/dev/null)" "wake"

# Approval ------------------------------------------------------------------------
echo "# $(date +%T) Approval"
rm -f "$T"/sink/msg.*
send "admin@$a_domain" "$approval_eml" && wait_sink 1
check_eq "approval mail: order -> approval_received" "$(state_of "$approval_order")" "approval_received"
check_eq "approval mail: the approval is recorded" \
	"$(mc show "$approval_order" --json | json 'bool(d["approval"] and d["approval"]["authenticated"])')" "True"
check_eq "approval mail: X-Mailcert says so" "$(xmailcert_of "$a_msgid")" \
	"X-Mailcert: approval recorded for order $approval_order"

# The same approval again: acted on once.
rm -f "$T"/sink/msg.*
send "admin@$a_domain" "$approval_eml" && wait_sink 1
check_contains "the same approval again changes nothing" "$(xmailcert_of "$a_msgid")" \
	"approval already recorded for order $approval_order; nothing changes"
rm -f "$T"/sink/msg.*
send certificates@example.net "$cert_eml" && wait_sink 1
check_contains "the same certificate again changes nothing, and says so" "$(xmailcert_of "$c_msgid")" \
	"certificate already recorded for order $cert_order; nothing changes"

# Forged Authentication-Results removed on entry -----------------------------------
# A fresh order for the approval's domain; the approval mail carries a
# forged result with our authserv-id, which header_checks removes before
# the milter sees the message: the mail is not trusted.
mc order cancel "$approval_order" --reason "done with it" >/dev/null
mc order add --domain "$a_domain" --ca "$a_ca" ${a_ca_order:+--ca-order "$a_ca_order"} \
	--key "$T/approval.key" --target web3 >/dev/null
cp contrib/postfix/header_checks.mailcert "$PF/header_checks"
postconf -c "$PF" -e "header_checks = regexp:$PF/header_checks"
reloads=$(grep -c 'master.*reload' "$PF/postfix.log")
postfix -c "$PF" reload >/dev/null 2>&1
# The master logs its reload once it has read the new main.cf; the next
# message gets a cleanup that reads the new header_checks.
wait_for 10 sh -c "[ \$(grep -c 'master.*reload' '$PF/postfix.log') -gt $reloads ]"
sed 's/^Message-ID: *<\(.*\)>/Message-ID: <forged.\1>/I' "$approval_eml" >"$T/forged.eml"
rm -f "$T"/sink/msg.*
send "admin@$a_domain" "$T/forged.eml" && wait_sink 1
check_contains "header_checks strips the forged result: not trusted, and why" \
	"$(xmailcert_of "forged.$a_msgid")" "not trusted: no dkim=pass by mx.example.net"
# Other spellings of a forged result: folded, a comment before the id.
n=0
for form in 'Authentication-Results:\n\tmx.example.net; dkim=pass header.d=trust-provider.com' \
	'Authentication-Results: (checked) mx.example.net; dkim=pass header.d=trust-provider.com' \
	'Authentication-Results : mx.example.net; dkim=pass header.d=trust-provider.com'; do
	n=$((n + 1))
	python3 - "$T/forged.eml" "$T/forged$n.eml" "$form" "$n" <<'PY'
import sys
src, dst, form, n = sys.argv[1:]
text = open(src, newline="").read().replace("Message-ID: <forged.", "Message-ID: <forged%s." % n, 1)
head, _, body = text.partition("\n\n")
head = head.replace("\n", "\n" + form.replace("\\n", "\n").replace("\\t", "\t") + "\n", 1)
open(dst, "w", newline="").write(head + "\n\n" + body)
PY
	rm -f "$T"/sink/msg.*
	send "admin@$a_domain" "$T/forged$n.eml" && wait_sink 1
	check_contains "a forged result spelt another way ($n) is not believed" \
		"$(xmailcert_of "forged$n.$a_msgid")" "not trusted"
done
# The test verifier (contrib/test-verifier), listed before mailcert as a
# DKIM verifier would be: the CA's mail, its own Authentication-Results
# removed by header_checks, gets ours from the verifier and is believed.
verifier_port=$(free_port)
"$ROOT/build/mailcert-test-verifier" -s "inet:$verifier_port@127.0.0.1" -a mx.example.net \
	-d trust-provider.com -d "$(printf '%s' "$approval_json" | json 'd["from"].split("@")[1]')" \
	>"$T/verifier.log" 2>&1 &
verifier_pid=$!
at_exit "kill $verifier_pid 2>/dev/null"
wait_for 10 pf_wait_port "$verifier_port" 1
reloads=$(grep -c 'master.*reload' "$PF/postfix.log")
postconf -c "$PF" -e "smtpd_milters = inet:127.0.0.1:$verifier_port inet:127.0.0.1:$milter_port"
postfix -c "$PF" reload >/dev/null 2>&1
wait_for 10 sh -c "[ \$(grep -c 'master.*reload' '$PF/postfix.log') -gt $reloads ]"
sed 's/^Message-ID: *<\(.*\)>/Message-ID: <verified.\1>/I' "$approval_eml" >"$T/verified.eml"
rm -f "$T"/sink/msg.*
send "admin@$a_domain" "$T/verified.eml" && wait_sink 1
check_contains "with the test verifier before it, the CA's mail is believed" \
	"$(xmailcert_of "verified.$a_msgid")" "approval recorded for order"
check_eq "the mail carries the verifier's result once, and no other" \
	"$(grep -l -F "verified.$a_msgid" "$T"/sink/msg.* | head -1 | xargs grep -ci '^Authentication-Results:')" "1"
reloads=$(grep -c 'master.*reload' "$PF/postfix.log")
postconf -c "$PF" -e "header_checks =" "smtpd_milters = inet:127.0.0.1:$milter_port"
postfix -c "$PF" reload >/dev/null 2>&1
wait_for 10 sh -c "[ \$(grep -c 'master.*reload' '$PF/postfix.log') -gt $reloads ]"
kill "$verifier_pid"

# Hostile fixtures -------------------------------------------------------------------------
echo "# $(date +%T) Hostile fixtures"
before=$(mc orders --json | json '",".join(o["state"] for o in d)')
rm -f "$T"/sink/msg.*
n=0
for f in "$FIX"/hostile-*.eml; do
	[ -f "$f" ] || continue
	send "admin@$a_domain" "$f" || not_ok "hostile ${f##*/} accepted by Postfix" "$(tail -3 "$T/swaks.out")"
	n=$((n + 1))
done
check "hostile fixtures present" test "$n" -gt 0
if wait_sink "$n"; then ok "all $n hostile messages delivered"; else not_ok "all $n hostile messages delivered" "sink has $(pf_sink_count "$T")"; fi
check "milter still running after the hostile fixtures" kill -0 "$milter_pid"
check_eq "orders unchanged by hostile mail" "$(mc orders --json | json '",".join(o["state"] for o in d)')" "$before"

# SIGKILL during a bulk run ------------------------------------------------------------------
echo "# $(date +%T) SIGKILL during a bulk run"
rm -f "$T"/sink/msg.*
start=$(date +%s)
smtp-source -s 20 -m "$BULK" -l 2048 -f sender@example.org -t "admin@$a_domain" \
	"127.0.0.1:$smtp_port" >"$T/source.out" 2>&1 &
source_pid=$!
wait_for 30 sink_has $((BULK / 10))
kill -9 "$milter_pid"
killed_at=$(pf_sink_count "$T")
wait "$source_pid"
check_eq "smtp-source sent all $BULK messages" "$?" "0"
if wait_for 90 sink_has "$BULK"; then
	ok "all $BULK messages reached the sink though the milter was killed after $killed_at"
else
	not_ok "all $BULK messages reached the sink" "sink has $(pf_sink_count "$T") of $BULK"
fi
echo "# bulk: $BULK messages in $(( $(date +%s) - start )) s, milter killed after $killed_at, $(grep -l '^X-Mailcert:' "$T"/sink/msg.* | wc -l) marked"
queue_empty() { [ "$(find "$PF/queue/deferred" "$PF/queue/active" "$PF/queue/incoming" -type f | wc -l)" -eq 0 ]; }
check "nothing left in the Postfix queue" wait_for 10 queue_empty

# And the milter comes back.
start_milter
rm -f "$T"/sink/msg.*
send "admin@$a_domain" "$approval_eml" && wait_sink 1
check_contains "a restarted milter marks mail again" "$(xmailcert_of "$a_msgid")" "X-Mailcert:"
exit 0
