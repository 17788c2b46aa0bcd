# SPDX-License-Identifier: ISC
# t-attacks - what a stranger's mail may change, tried as an attacker
# would: mails made fresh by tests/attacks/make-mails (one group per class
# of attack) and certificates made here with openssl, sent through the
# running milter with miltertest, and read back with mailcert parse, show
# and ledger.  Done means: only the CA's mail carrying the order's own CA
# order number changes its approval, no mail moves an order backwards, a
# mail built to burn CPU is answered, nothing from a mail reaches the
# terminal raw.

. tests/lib.sh
make_tmpdir
PKI="$ROOT/tests/fixtures/pki"

if ! command -v miltertest >/dev/null 2>&1; then
	not_ok "miltertest is installed" "run tools/install-deps"
	exit 1
fi

port=$(free_port)
user=$(test_user)
mailcert_dirs "$user"
mkdir -p "$T/tls" "$T/mails" "$T/certs"
{
	base_config "$user"
	cat <<CONF
[milter]
socket = inet:$port@127.0.0.1
authserv_id = mx.example.net
watch_addresses = certificates@example.net
[ca]
trust_store = $PKI/root.crt
[target web]
fullchain = $T/tls/fullchain.pem
key = $T/tls/key.pem
[target shop]
fullchain = $T/tls/shop.pem
key = $T/tls/shop.key
[target other]
fullchain = $T/tls/other.pem
key = $T/tls/other.key
CONF
} >"$T/mailcert.conf"
chmod 0644 "$T/mailcert.conf"
mc() { "$MAILCERT" -c "$T/mailcert.conf" "$@"; }
field() { mc show "$1" --json | python3 -c "import json,sys; j=json.load(sys.stdin); print($2)"; }
state() { field "$1" 'j["state"]'; }
intake() { intake_sql "$1"; }

# Order 1 has its CA order number; order 2 (as "order new" leaves it) has none.
a=$(mc order add --domain example.com --alt-name www.example.com --ca sectigo --ca-order 1234567890 \
	--key "$PKI/leaf-ec.key" --target web)
b=$(mc order add --domain shop.example.com --ca sectigo --key "$PKI/leaf-rsa.key" --target shop)
check_eq "two orders placed" "$a $b" "1 2"

"$MILTER" -c "$T/mailcert.conf" -f -v >"$T/milter.log" 2>&1 &
milter_pid=$!
at_exit "kill $milter_pid 2>/dev/null"
if ! wait_for 10 grep -q "listening on" "$T/milter.log"; then
	not_ok "milter started" "$(cat "$T/milter.log")"
	exit 1
fi
python3 "$ROOT/tests/attacks/make-mails" "$T/mails"

# send NAME [RCPT]: the mail through the milter; prints its X-Mailcert
send() {
	miltertest -D socket="inet:$port@127.0.0.1" -D eml="$T/mails/$1.eml" \
		-D rcpt="${2:-admin@example.com}" -s tests/milter/eml.lua 2>"$T/$1.err" \
		|| echo "miltertest failed: $(cat "$T/$1.err")"
}
# expect_mail NAME WANT: the milter's answer to NAME says WANT
expect_mail() {
	check_contains "$1: $2" "$(send "$1" "$3")" "$2"
}
approvals() { intake "SELECT count(*) FROM approvals"; }

# Matching ----------------------------------------------------------------
# The CA's genuine, signed mail for somebody else's order of our domain,
# of a parent or of a child, with or without a number: an event at most.
expect_mail match-other-order "another CA order"
expect_mail match-parent-no-number "another CA order"
expect_mail match-child-other "another CA order"
expect_mail decline-parent-no-number "none changed"
expect_mail decline-other-order "none changed"
# The order's own CA order number, but a domain that is none of its names
# (another, a parent, a child): not the order's.
for name in names-other names-child decline-names-other; do
	expect_mail "$name" "none of its names"
done
check_eq "order 1 still waits for its approval" "$(state "$a")" "awaiting_approval"
check_eq "order 1 is still open" "$(field "$a" 'j["status"]')" "open"
check_eq "no approval recorded from them" "$(approvals)" "0"
check_eq "each is an event of the order" \
	"$(mc show "$a" --json | python3 -c 'import json,sys; print(sum(e["kind"] in ("approval_other_names", "decline_other_names") for e in json.load(sys.stdin)["events"]))')" "3"

# An order without a CA order number is never approved by a mail: the
# mail's number is kept for the operator, who confirms it.
sed -e 's/1234567890/7770001111/g' -e 's/example\.com/shop.example.com/g' \
	"$T/mails/match-ours.eml" >"$T/mails/shop.eml"
expect_mail shop "to be confirmed (mailcert order set)" admin@shop.example.com
check_eq "order 2 is not approved by it" "$(state "$b")" "awaiting_approval"
check_eq "its approval waits for the operator" "$(field "$b" 'j["approval"]["action_state"]')" "unconfirmed"
check_eq "the mail's CA order number is kept" "$(field "$b" 'j["approval"]["ca_order"]')" "7770001111"
# Its link and code (it may be a stranger's order of our domain) are shown
# nowhere: not in show, show --json (= /api/order/ID), approvals --json
# (= /api/approvals).
check_eq "show --json gives no link of an unconfirmed approval" "$(field "$b" 'j["approval"]["link"]')" "None"
check_eq "nor its code" "$(field "$b" 'j["approval"]["code"]')" "None"
check "show prints neither" sh -c "! $MAILCERT -c '$T/mailcert.conf' show $b | grep -q 'Ours-1234-abcd\|EnterDCVCode'"
check "approvals --json neither" sh -c "! $MAILCERT -c '$T/mailcert.conf' approvals --json | grep -q 'Ours-1234-abcd'"
mc approver --once >>"$T/approver.log" 2>&1
check_eq "the approver leaves it waiting" "$(field "$b" 'j["approval"]["action_state"]')" "unconfirmed"
mc order set "$b" --ca-order 7770001111 >/dev/null
check_eq "order set --ca-order records the number" "$(field "$b" 'j["ca_order"]')" "7770001111"
mc approver --once >>"$T/approver.log" 2>&1
check_eq "the approver then takes the approval as the order's" "$(state "$b")" "approval_received"
check_eq "now, the order's own, its code is shown" "$(field "$b" 'j["approval"]["code"]')" "Ours-1234-abcd"
# An order without a number whose operator then sets another: the mail's
# approval is another CA order's, and stays hidden everywhere.
c=$(mc order add --domain other.example.com --ca sectigo --key "$PKI/leaf-rsa.key" --target other)
sed -e 's/1234567890/8880001111/g' -e 's/example\.com/other.example.com/g' -e 's/Ours-1234-abcd/Strangers-9876-zz/g' \
	"$T/mails/match-ours.eml" >"$T/mails/other.eml"
# (the milter's watch set takes up to a second to see the new order)
other_taken() { send other admin@other.example.com | grep -q "to be confirmed (mailcert order set)"; }
check "the approval mail for it waits for the operator's number" wait_for 5 other_taken
mc order set "$c" --ca-order 9990001111 >/dev/null
mc approver --once >>"$T/approver.log" 2>&1
check_contains "another number set: the approval fails as another CA order's" \
	"$(field "$c" 'j["approval"]["last_error"]')" "another CA order"
check_eq "and shows no link" "$(field "$c" 'j["approval"]["link"]')" "None"
check "nor its code, anywhere" sh -c "! { $MAILCERT -c '$T/mailcert.conf' show $c; \
	$MAILCERT -c '$T/mailcert.conf' approvals --json; $MAILCERT -c '$T/mailcert.conf' approvals; } | grep -q 'Strangers-9876-zz'"

# Links -------------------------------------------------------------------
# Every link that leads to the reject page or hides the approval path in
# the query or fragment: no approval link at all.
for n in 0 1 2 3 4 5; do
	expect_mail "link-$n" "no approval link found"
done
check_eq "none of them is recorded as an approval" "$(approvals)" "2"
for name in link-two-approval-links link-repeated-order link-orders-disagree; do
	expect_mail "$name" "ambiguous"
done
check_eq "an ambiguous mail changes no order" "$(state "$a")" "awaiting_approval"
check_eq "and is recorded as an event of it" \
	"$(mc show "$a" --json | python3 -c 'import json,sys; print(sum(e["kind"] == "approval_ambiguous" for e in json.load(sys.stdin)["events"]))')" "3"
# Our CA order number in the subject and text, but not in the approval
# link: the link cannot say whose order it approves.  An event, no more.
expect_mail link-names-no-order "does not name the CA order"
check_eq "a link that names no order changes no order" "$(state "$a")" "awaiting_approval"
check_eq "and records no approval" "$(approvals)" "2"
check_eq "it is an event of the order" \
	"$(mc show "$a" --json | python3 -c 'import json,sys; print(sum(e["kind"] == "approval_link_unnamed" for e in json.load(sys.stdin)["events"]))')" "1"
# A query that says two things, read as the CA's server reads it: a reject
# action is a reject link (never taken), another order number or a
# parameter the approval link never carries makes the mail ambiguous.
for n in 0 3 5; do
	expect_mail "query-$n" "no approval link found"
done
for n in 1 2 4 6; do
	expect_mail "query-$n" "ambiguous"
done
check_eq "none of the two-faced queries is an approval of the order" "$(state "$a")" "awaiting_approval"
check_eq "each is an ambiguous mail of it" \
	"$(mc show "$a" --json | python3 -c 'import json,sys; print(sum(e["kind"] == "approval_ambiguous" for e in json.load(sys.stdin)["events"]))')" "7"

# Codes -------------------------------------------------------------------
expect_mail code-too-long "not acted on"
check_contains "the event says the code was refused" "$(mc show "$a")" "refused, never cut"
check_eq "a code longer than the profile allows is not recorded" "$(approvals)" "2"
check_eq "the order still waits" "$(state "$a")" "awaiting_approval"

# Believe, then de-duplicate ----------------------------------------------
expect_mail dedup-forged "not trusted"
expect_mail dedup-genuine "approval recorded for order $a"
check_eq "the genuine mail with the forgery's Message-ID is believed" \
	"$(field "$a" 'j["approval"]["code"]')" "Genuine-111-yyyy"
expect_mail dedup-genuine "approval already recorded"

# Text normalised once: a non-breaking hyphen in a code, a no-break space
# after a plain-text link.
expect_mail code-nb-hyphen "approval recorded for order $a"
check_eq "a non-breaking hyphen is a hyphen in the code" "$(field "$a" 'j["approval"]["code"]')" \
	"Ab12-Cd34-Ef56"
expect_mail link-nbsp-after "approval recorded for order $a"
expect_mail genuine-lang "approval recorded for order $a"
check_eq "the link without the page's language is the one kept" "$(field "$a" 'j["approval"]["link"]')" \
	"https://secure.trust-provider.com/products/EnterDCVCode?orderNumber=1234567890"
check_eq "a no-break space ends the link" "$(field "$a" 'j["approval"]["link"]')" \
	"https://secure.trust-provider.com/products/EnterDCVCode?orderNumber=1234567890"

# CPU ---------------------------------------------------------------------
# A megabyte of brackets after the link and forty thousand links: answered,
# and read right (the same approval again).  What they cost is measured by
# make bench (the adversarial row), not here.
expect_mail cpu-brackets "approval already recorded"
expect_mail cpu-repeated-links "approval already recorded"

# Terminal ----------------------------------------------------------------
expect_mail term-escape "not trusted"
raw() { LC_ALL=C grep -c "$(printf '[\033\007]')"; }
check_eq "mailcert show prints no control character" "$(mc show "$a" | raw)" "0"
check_eq "mailcert ledger prints none" "$(mc ledger | raw)" "0"
check_eq "mailcert parse prints none" "$(mc parse "$T/mails/term-escape.eml" | raw)" "0"
check_contains "mailcert parse shows them escaped" "$(mc parse "$T/mails/term-escape.eml")" '\x1b[2J'
check_contains "mailcert parse --json escapes them" "$(mc parse --json "$T/mails/term-escape.eml")" '\u001B'

# mailcert parse agrees with the milter -----------------------------------
pj() { mc parse --json "$T/mails/$1.eml" | python3 -c "import json,sys; j=json.load(sys.stdin); print($2)"; }
check_eq "parse: a reject link in disguise is no approval link" "$(pj link-1 'j["approval"]["link"]')" "None"
check_eq "parse: two approval links are ambiguous" "$(pj link-two-approval-links 'j["ambiguous"]')" "True"
check_eq "parse: a reject action behind ';' is no approval link" "$(pj query-0 'j["approval"]["link"]')" "None"
check_eq "parse: a parameter the link never carries is ambiguous" "$(pj query-6 'j["ambiguous"]')" "True"
check_contains "parse: and says which parameter" "$(mc parse "$T/mails/query-6.eml")" "carries step"
check_contains "parse: an encoded second order number is seen" "$(mc parse "$T/mails/query-2.eml")" \
	"names orderNumber more than once"
check_eq "parse: the link of the text and the HTML's with lang=en are one" \
	"$(pj genuine-lang 'j["ambiguous"]')" "False"
check_eq "parse: a forged mail is not believed" "$(pj dedup-forged 'j["authenticated"]')" "False"
check_eq "parse: a too-long code is not cut" "$(pj code-too-long 'j["approval"]["code"]')" "None"
python3 -c 'import sys; sys.stdout.write("Subject: big\r\n\r\n" + "x" * (1100 * 1024))' >"$T/mails/big.eml"
check_eq "parse: a mail over max_message_size gets its verdict, as JSON" \
	"$(pj big 'j["kind"] + " " + j["limit_hit"]')" "none max_message_size"
check_contains "parse: which says it is not parsed" "$(mc parse "$T/mails/big.eml")" "not parsed: over max_message_size"

# Certificates only move forward ------------------------------------------
# leaf NAME DAYS [DIGEST]: a certificate for order 1's key and names,
# issued now by the test CA, valid DAYS days
cat >"$T/certs/ext" <<EXT
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:example.com, DNS:www.example.com
EXT
openssl req -new -key "$PKI/leaf-ec.key" -subj /CN=example.com -out "$T/certs/req.csr" 2>/dev/null
leaf() {
	openssl x509 -req -in "$T/certs/req.csr" -CA "$PKI/inter2.crt" -CAkey "$PKI/inter2.key" \
		-set_serial "0x$(openssl rand -hex 8)" -days "$2" "-${3:-sha256}" \
		-extfile "$T/certs/ext" -out "$T/certs/$1.pem" 2>/dev/null
	cat "$T/certs/$1.pem" "$PKI/inter2.crt" "$PKI/inter1.crt" >"$T/certs/$1.chain"
}
installed_serial() { openssl x509 -in "$T/tls/fullchain.pem" -noout -serial; }
serial_of() { openssl x509 -in "$T/certs/$1.pem" -noout -serial; }

leaf first 200
next_second
leaf shorter 100
leaf sha1 300 sha1
next_second
leaf later 400
cp "$PKI/www-ec.crt" "$T/certs/old.pem"
cat "$PKI/www-ec.crt" "$PKI/inter2.crt" "$PKI/inter1.crt" >"$T/certs/old.chain"
cat "$PKI/wrong-key.crt" "$PKI/inter2.crt" "$PKI/inter1.crt" >"$T/certs/wrong-key.chain"
python3 "$ROOT/tests/attacks/make-mails" "$T/mails" "$T/certs/"*.chain
deliver_cert() { expect_mail "cert-$1" "$2" certificates@example.net; }

deliver_cert first "certificate issued for order $a"
mc install --pending >"$T/install.out" 2>&1
check_eq "the first certificate is installed" "$(state "$a")" "installed"
check_eq "the file holds it" "$(installed_serial)" "$(serial_of first)"
deliver_cert first "already"
check_eq "the same certificate again does not move the order back" "$(state "$a")" "installed"
deliver_cert shorter "not newer"
deliver_cert old "not newer"
check_eq "a certificate expiring sooner, or issued before, changes nothing" "$(state "$a")" "installed"
deliver_cert sha1 "SHA-1"
deliver_cert wrong-key "key"
check_eq "neither does a SHA-1 one or one for another key" "$(state "$a")" "installed"
mc install --pending >>"$T/install.out" 2>&1
check_eq "the installed file is still the first" "$(installed_serial)" "$(serial_of first)"
deliver_cert later "certificate issued for order $a"
mc install --pending >>"$T/install.out" 2>&1
check_eq "a newer certificate (issued later, expiring later) replaces it" "$(installed_serial)" \
	"$(serial_of later)"

kill -TERM "$milter_pid"
wait "$milter_pid"
check_eq "the milter ends cleanly" "$?" "0"
