# SPDX-License-Identifier: ISC
# t-approve - the approval worker against a CA web site played on loopback.
#
# tests/ca-site.py serves https on 127.0.0.1 with the test PKI's localhost
# certificate and logs every request; the test profile "testca" (written
# here, in a [ca] profiles directory) allows only 127.0.0.1:PORT, so no
# shipped profile is weakened.  Approvals are recorded as the milter would
# (build/tests/tools/approval_seed) and the worker runs one pass at a time
# (build/tests/tools/approval_run, which can also look ahead in time to
# reach a retry without waiting for it).
#
# The site's behaviour is keyed on the CA order number: 10xx approve when
# the code is right, 3021 redirects off the list, 3022 redirects to the
# reject link, 50xx answer 500.

. tests/lib.sh
make_tmpdir

PKI=tests/fixtures/pki
SEED=build/tests/tools/approval_seed
RUN=build/tests/tools/approval_run
GOOD_CODE='Xy7-Q*9z_aB3+c/d='
export no_proxy='*' NO_PROXY='*'

# The site ------------------------------------------------------------------
# Two distinct free ports at once (free_port twice could give one twice).
set -- $(python3 -c 'import socket
s = [socket.socket() for i in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
port=$1 port2=$2
cat "$PKI/localhost.crt" "$PKI/inter1.crt" >"$T/site.pem"
python3 tests/ca-site.py "$port" "$T/site.pem" "$PKI/localhost.key" "$T/site.log" 90 60 &
site_pid=$!
at_exit "kill $site_pid 2>/dev/null"
SITE="https://127.0.0.1:$port"
# A second site whose certificate chains to a root we do not trust.
python3 tests/ca-site.py "$port2" "$PKI/other-root-leaf.crt" "$PKI/leaf-ec.key" "$T/site2.log" 60 5 &
site2_pid=$!
at_exit "kill $site2_pid 2>/dev/null"

# The profile, the stand-in sendmail, the configuration -----------------------
mkdir -p "$T/profiles"
cat >"$T/profiles/testca.conf" <<PROFILE
# A CA for tests only: Sectigo's approval pages, on loopback.
[profile]
name = testca
senders = ca.test
dkim_domains = ca.test
link_hosts = 127.0.0.1:$port 127.0.0.1:$port2

[links]
approval = ^/products/EnterDCVCode$
reject = /products/RejectDCVCode

[extract]
order_number = [?&]orderNumber=(\d{4,16})\b

[approve]
method = form_post
post_path = /products/EnterDCVCode2
fields = orderNumber={order} dcvCode={code} postPaymentPage=N
success = You have entered the correct Domain Control Validation code
success = Your certificate will now be issued
failure = Invalid Validation Code
PROFILE

user=$(test_user)
mailcert_dirs "$user"
mkdir -p "$T/mail"
chown "$user" "$T/mail"
cat >"$T/mail/sendmail" <<'SH'
#!/bin/sh
# A stand-in for sendmail -t -i: keep the message and the arguments.
dir=$(dirname "$0")
n=$(ls "$dir"/mail.* 2>/dev/null | wc -l)
{ echo "ARGS: $*"; cat; } >"$dir/mail.$((n + 1))"
SH
chmod 755 "$T/mail/sendmail"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/key.pem" 2>/dev/null
# One target per order: an open order holds its target.
CA_ORDERS="1001 1002 3021 3022 1003 1008 1009 1011 7000 1004 5001 1005 1010 1006 1007 2001"
{
	base_config "$user"
	cat <<CONF
[milter]
authserv_id = mx.example.net
[ca]
profiles = $T/profiles
[notify]
sendmail = $T/mail/sendmail
from = mailcert@example.net
[approve]
trust_store = $ROOT/$PKI/root.crt
timeout = 5
max_attempts = 3
retry_base = 10
max_response_size = 64k
CONF
	for n in $CA_ORDERS; do
		printf '[target t%s]\nfullchain = %s/out/%s.pem\nkey = %s/out/%s.key\n' "$n" "$T" "$n" "$T" "$n"
	done
} >"$T/mailcert.conf"
chmod 0644 "$T/mailcert.conf"
mc() { "$MAILCERT" -c "$T/mailcert.conf" "$@"; }
sql() { intake_sql "$1"; }
# The worker and the seed run as the approver and the intake would.
run_worker() { as_user "$user" "$RUN" "$T/mailcert.conf" "$@" >>"$T/worker.log" 2>&1; }
for p in $port $port2; do
	wait_for 10 sh -c "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $p), 1)'"
done

# new_order CA_ORDER MODE [CONTACT] : the order's id
new_order() {
	mc order add --domain "o$1.example.com" --ca testca --ca-order "$1" --key "$T/key.pem" \
		--target "t$1" --contact "${3:-ops@example.com}" --approve-mode "$2"
}
# seed ORDER_ID LINK CODE CA_ORDER AUTHENTICATED : the approval's id
seed() { as_user "$user" "$SEED" "$T/mailcert.conf" "$@"; }
action_state() { sql "SELECT action_state FROM approvals WHERE order_id = $1 ORDER BY id DESC LIMIT 1"; }
last_error() { sql "SELECT last_error FROM approvals WHERE order_id = $1 ORDER BY id DESC LIMIT 1"; }
attempts() { sql "SELECT attempts FROM approvals WHERE order_id = $1 ORDER BY id DESC LIMIT 1"; }
order_state() { mc show "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'; }
events() { sql "SELECT kind FROM events WHERE order_id = $1 ORDER BY id" | tr '\n' ' '; }
requests_for() { grep -c "orderNumber=$1" "$T/site.log"; }
link_for() { echo "$SITE/products/EnterDCVCode?orderNumber=$1"; }

# auto mode approves, with the code exactly --------------------------------------
o=$(new_order 1001 auto)
seed "$o" "$(link_for 1001)" "$GOOD_CODE" 1001 1 >/dev/null
run_worker
check_eq "auto: the order is approved" "$(order_state "$o")" "approved"
check_eq "auto: the approval is approved" "$(action_state "$o")" "approved"
check_contains "auto: approval_approved event" "$(events "$o")" "approval_approved"
# show's "since" is when the order reached its state, not its last change
since_of() { mc show "$1" | sed -n 's/^  state: *[a-z_]* (since \([^)]*\)).*/\1/p'; }
approved_since=$(since_of "$o")
next_second
mc order set "$o" --contact other@example.com >/dev/null
check_eq "auto: show says since when it is approved, whatever order set changed later" \
	"$(since_of "$o")" "$approved_since"
check_eq "(the time of the approval)" "$approved_since" \
	"$(sql "SELECT updated_at FROM order_progress WHERE order_id = $o" | python3 -c 'import sys, time
print(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(sys.stdin.read()))))')"
check_contains "auto: the form was posted to EnterDCVCode2" "$(cat "$T/site.log")" \
	"POST /products/EnterDCVCode2 orderNumber=1001&dcvCode="
posted=$(grep 'orderNumber=1001&' "$T/site.log" | head -1 | cut -d' ' -f3 | python3 -c '
import sys, urllib.parse
f = urllib.parse.parse_qs(sys.stdin.read().strip())
print(f["dcvCode"][0], f["postPaymentPage"][0])')
check_eq "auto: the code and postPaymentPage=N sent exactly" "$posted" "$GOOD_CODE N"
check_eq "auto: one request" "$(requests_for 1001)" "1"

# a wrong code: the CA says no, no retry ------------------------------------------
o=$(new_order 1002 auto)
seed "$o" "$(link_for 1002)" "wrong-code" 1002 1 >/dev/null
run_worker
check_eq "wrong code: failed at once" "$(action_state "$o")" "failed"
check_contains "wrong code: the CA's words recorded" "$(last_error "$o")" "Invalid Validation Code"
check_eq "wrong code: the order still waits" "$(order_state "$o")" "approval_received"

# a row that says the order's CA order number, with a link for another: the
# approver reads the number from the link (the row is the intake's) -------------------
o=$(new_order 2001 auto)
seed "$o" "$(link_for 2002)" "$GOOD_CODE" 2001 1 >/dev/null
run_worker
check_eq "row rewritten to our number, link for another: failed" "$(action_state "$o")" "failed"
check_contains "row rewritten: the link's number counts" "$(last_error "$o")" "another CA order"
check_eq "row rewritten: the other CA order is never approved" "$(requests_for 2002)" "0"

# a redirect to another host is not followed --------------------------------------
o=$(new_order 3021 auto)
seed "$o" "$(link_for 3021)" "$GOOD_CODE" 3021 1 >/dev/null
run_worker
check_eq "redirect off the list: failed" "$(action_state "$o")" "failed"
check_contains "redirect off the list: recorded why" "$(last_error "$o")" \
	"redirect to https://evil.example/products/EnterDCVCode2 not followed"
check_eq "redirect off the list: the order still waits" "$(order_state "$o")" "approval_received"

# a redirect to the reject link is not followed -----------------------------------
o=$(new_order 3022 auto)
seed "$o" "$(link_for 3022)" "$GOOD_CODE" 3022 1 >/dev/null
run_worker
check_eq "redirect to the reject link: failed" "$(action_state "$o")" "failed"
check_contains "redirect to the reject link: recorded why" "$(last_error "$o")" "reject link"

# a recorded reject link is never requested, in auto or notify mode ---------------------
o=$(new_order 1003 auto)
seed "$o" "$SITE/products/RejectDCVCode?orderNumber=1003&dcvCode=x" "x" 1003 1 >/dev/null
run_worker
check_eq "reject link, auto: failed" "$(action_state "$o")" "failed"
check_contains "reject link, auto: recorded why" "$(last_error "$o")" "reject link"
o=$(new_order 1008 notify)
seed "$o" "$SITE/products/RejectDCVCode?orderNumber=1008&dcvCode=x" "x" 1008 1 >/dev/null
run_worker
check_eq "reject link, notify: failed" "$(action_state "$o")" "failed"
check_eq "reject link, notify: nothing mailed" "$(ls "$T/mail" | grep -c '^mail\.')" "0"

# an http link is refused -------------------------------------------------------
o=$(new_order 1009 auto)
seed "$o" "http://127.0.0.1:$port/products/EnterDCVCode?orderNumber=1009" "$GOOD_CODE" 1009 1 >/dev/null
run_worker
check_eq "http link: failed" "$(action_state "$o")" "failed"
check_contains "http link: recorded why" "$(last_error "$o")" "not https"
check_eq "http link: nothing requested" "$(requests_for 1009)" "0"

# the site's certificate must chain to [approve] trust_store -----------------------
o=$(new_order 1011 auto)
seed "$o" "https://127.0.0.1:$port2/products/EnterDCVCode?orderNumber=1011" "$GOOD_CODE" 1011 1 >/dev/null
run_worker
check_eq "untrusted certificate: not approved, will retry" "$(action_state "$o") $(order_state "$o")" \
	"approving approval_received"
check_contains "untrusted certificate: recorded why" "$(last_error "$o")" "certificate"
check_eq "untrusted certificate: nothing posted" "$(grep -c POST "$T/site2.log")" "0"

# a response over max_response_size is cut off -------------------------------------
o=$(new_order 7000 auto)
seed "$o" "$(link_for 7000)" "$GOOD_CODE" 7000 1 >/dev/null
run_worker
check_eq "oversized response: not approved, will retry" "$(action_state "$o")" "approving"
check_contains "oversized response: recorded why" "$(last_error "$o")" "larger than 65536 bytes"

# an unauthenticated approval is never acted on ------------------------------------
o=$(new_order 1004 auto)
seed "$o" "$(link_for 1004)" "$GOOD_CODE" 1004 0 >/dev/null
run_worker
check_eq "unauthenticated: refused" "$(action_state "$o")" "failed"
check_contains "unauthenticated: approval_refused event" "$(events "$o")" "approval_refused"
check_eq "unauthenticated: nothing requested" "$(requests_for 1004)" "0"
err=$(mc approve "$o" 2>&1); rc=$?
check_eq "unauthenticated: approve ID refuses too" "$rc" "1"
check_eq "unauthenticated: still nothing requested" "$(requests_for 1004)" "0"

# HTTP 500: retried with backoff, then given up -----------------------------------
o=$(new_order 5001 auto)
seed "$o" "$(link_for 5001)" "$GOOD_CODE" 5001 1 >/dev/null
run_worker
check_eq "500: first attempt, will retry" "$(action_state "$o") $(attempts "$o")" "approving 1"
check_contains "500: the HTTP status recorded" "$(last_error "$o")" "500"
next=$(( $(sql "SELECT next_try FROM approvals WHERE order_id = $o") - $(date +%s) ))
check "500: next try about retry_base ahead" test "$next" -ge 8 -a "$next" -le 10
run_worker
check_eq "500: not retried before its time" "$(attempts "$o")" "1"
run_worker 15
check_eq "500: second attempt after retry_base" "$(action_state "$o") $(attempts "$o")" "approving 2"
run_worker 40
check_eq "500: third attempt is the last" "$(action_state "$o") $(attempts "$o")" "failed 3"
check_eq "500: three requests in all" "$(requests_for 5001)" "3"
check_contains "500: approval_failed event" "$(events "$o")" "approval_retry approval_retry approval_failed"
run_worker 100000
check_eq "500: a failed approval is not retried" "$(requests_for 5001)" "3"

# notify mode: a mail a person can act on -----------------------------------------
o=$(new_order 1005 notify)
seed "$o" "$(link_for 1005)" "$GOOD_CODE" 1005 1 >/dev/null
run_worker
check_eq "notify: notified" "$(action_state "$o")" "notified"
check_contains "notify: approval_notified event" "$(events "$o")" "approval_notified"
check_contains "notify: the event says to whom, not an empty detail" \
	"$(sql "SELECT detail FROM events WHERE order_id = $o AND kind = 'approval_notified'")" \
	"the link and code were mailed to ops@example.com"
mail=$(cat "$T/mail/mail.1" 2>/dev/null)
check_contains "notify: sendmail -t -i" "$mail" "ARGS: -t -i"
check_contains "notify: To is the contact" "$mail" "
To: ops@example.com
"
check_contains "notify: the link exactly, on its own line" "$mail" "
$(link_for 1005)
"
check_contains "notify: the code exactly, on its own line" "$mail" "
$GOOD_CODE
"
check_contains "notify: the CA order number" "$mail" "CA order number:  1005"
check_contains "notify: the domain" "$mail" "o1005.example.com"
check_contains "notify: what to do afterwards" "$mail" "mailcert approve $o --done"
check_eq "notify: nothing requested from the CA" "$(requests_for 1005)" "0"
check_eq "notify: the order still waits for a person" "$(order_state "$o")" "approval_received"

# notify: header injection in the contact is refused --------------------------------
o=$(new_order 1010 notify)
# (the book is root's; only root could write this)
book_sql "UPDATE orders SET contact = '$(printf 'ops@example.com\r\nBcc: victim@evil.example')' WHERE id = $o"
seed "$o" "$(link_for 1010)" "$GOOD_CODE" 1010 1 >/dev/null
run_worker
check_eq "injection: refused" "$(action_state "$o")" "failed"
check_contains "injection: recorded why" "$(last_error "$o")" "not one plain mail address"
check_eq "injection: no mail" "$(ls "$T/mail" | grep -c '^mail\.')" "1"

# manual mode, mailcert approvals, approve ID, approve ID --done --------------------
o6=$(new_order 1006 manual)
seed "$o6" "$(link_for 1006)" "$GOOD_CODE" 1006 1 >/dev/null
o7=$(new_order 1007 manual)
seed "$o7" "$(link_for 1007)" "code-7" 1007 1 >/dev/null
run_worker
check_eq "manual: nothing but the ledger" "$(action_state "$o6") $(requests_for 1006)" "manual 0"
table=$(mc approvals)
check_contains "approvals lists the link" "$table" "link: $(link_for 1006)"
check_contains "approvals lists the code" "$table" "code: code-7"
check_contains "approvals lists order, domain, CA, state" "$table" "o1006.example.com"
json=$(mc approvals --json)
check_eq "approvals --json" "$(printf '%s' "$json" | python3 -c '
import json, sys
for a in json.load(sys.stdin):
    if a["order"]["domain"] == "o1006.example.com":
        print(a["order_id"], a["order"]["ca"], a["action_state"], a["code"] == sys.argv[1], a["link"] == sys.argv[2])
' "$GOOD_CODE" "$(link_for 1006)")" "$o6 testca manual True True"
check_eq "approvals does not list approved orders" "$(printf '%s' "$json" | grep -c o1001.example.com)" "0"
out=$(mc approve "$o6" 2>&1); rc=$?
check_eq "approve ID: exit 0" "$rc" "0"
check_eq "approve ID: the order is approved" "$(order_state "$o6")" "approved"
check_eq "approve ID: one request" "$(requests_for 1006)" "1"
out=$(mc approve "$o6" 2>&1); rc=$?
check_eq "approve ID twice: refused" "$rc" "1"
check_contains "approve ID twice: says so" "$out" "already approved"
out=$(mc approve "$o7" --done 2>&1); rc=$?
check_eq "approve ID --done: exit 0" "$rc" "0"
check_eq "approve ID --done: the order is approved" "$(order_state "$o7")" "approved"
check_eq "approve ID --done: the approval is done" "$(action_state "$o7")" "done"
check_contains "approve ID --done: event" "$(events "$o7")" "approval_done"
check_eq "approve ID --done: nothing requested" "$(requests_for 1007)" "0"
err=$(mc approve 999 --done 2>&1); rc=$?
check_eq "approve of an unknown order fails" "$rc" "1"
err=$(mc approve 2>&1); rc=$?
check_eq "approve without ID is a usage error" "$rc" "2"

# never, in any case: the reject link ---------------------------------------------
check_eq "the reject link was never requested" "$(grep -c RejectDCVCode "$T/site.log")" "0"
check_eq "no worker pass failed" "$(grep -c '^-1' "$T/worker.log")" "0"
