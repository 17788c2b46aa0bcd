# SPDX-License-Identifier: ISC
# t-privsep - root trusts nothing the network side can write.  As the
# milter's user (an attacker who owns mailcert-milter) the test rewrites
# every row of every table of the intake's ledger, adds install requests
# and approvals of its own, and plants files and symlinks in every
# directory that user can write.  Then it runs the installer (root) and
# the approver under strace and checks what they did: nothing written
# outside the targets' directories and their own state, no key read but
# the one an order names, nothing run that the configuration does not
# name, no order installed with a certificate that is not for its key,
# and nothing the attacker wrote reached a mail.
#
# On PostgreSQL (ledger_backend) the attacker is the milter's database
# role, connected as the milter's user: the server itself must refuse
# every rewrite of a row (the role may only add rows, and move an order's
# progress) and every write to the book, and what it may add is the
# installer's to refuse.

. tests/lib.sh
make_tmpdir
PKI="$ROOT/tests/fixtures/pki"

if [ "$(id -u)" -ne 0 ]; then
	ok "# skipped: needs root (the roles' users)"
	exit 0
fi
if ! command -v strace >/dev/null 2>&1; then
	not_ok "strace is installed" "run tools/install-deps"
	exit 1
fi
user=$(test_user)
mailcert_dirs "$user"
mkdir -p "$T/tls/web" "$T/tls/shop" "$T/mail"
chown "$user" "$T/mail"
printf '#!/bin/sh\nMAILCERT_TEST_MAILBOX=%s exec %s "$@"\n' "$T/mail/mailbox" "$ROOT/tests/fake-sendmail" \
	>"$T/sendmail"
chmod 0755 "$T/sendmail"
{
	base_config "$user"
	cat <<CONF
[milter]
authserv_id = mx.example.net
watch_addresses = certificates@example.net
[ca]
trust_store = $PKI/root.crt
[notify]
sendmail = $T/sendmail
[approve]
mode = notify
[target web]
fullchain = $T/tls/web/fullchain.pem
key = $T/tls/web/key.pem
reload_command = /bin/true
[target shop]
fullchain = $T/tls/shop/fullchain.pem
key = $T/tls/shop/key.pem
reload_command = /bin/true
CONF
} >"$T/mailcert.conf"
chmod 0644 "$T/mailcert.conf"
mc() { "$MAILCERT" -c "$T/mailcert.conf" "$@"; }
spki() { openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1; }
cert_spki() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1; }

# Order 1 (key A, target web) and order 2 (key B, target shop).
o1=$(mc order add --domain www.example.com --alt-name example.com --ca sectigo --ca-order 1234567890 \
	--key "$PKI/leaf-ec.key" --target web --contact ops@example.com)
o2=$(mc order add --domain www.example.com --alt-name example.com --ca sectigo \
	--key "$PKI/leaf-rsa.key" --target shop --contact ops@example.com)
key_a=$(spki "$PKI/leaf-ec.key")
key_b=$(spki "$PKI/leaf-rsa.key")
check_eq "two orders, two keys in key_dir" "$o1 $o2 $(ls "$T/keys" | wc -l)" "1 2 2"

# What the intake legitimately recorded: order 1's approval and its
# certificate (key A).
mkdir -p "$T/mails"
python3 "$ROOT/tests/attacks/make-mails" "$T/mails"
as_user "$user" "$MAILCERT" -c "$T/mailcert.conf" deliver admin@example.com <"$T/mails/match-ours.eml" >/dev/null 2>>"$T/deliver.log"
printf 'From: ca@example.org\nTo: certificates@example.net\nSubject: certificate\nMessage-ID: <p.1@example.org>\n\n%s\n' \
	"$(cat "$PKI/www-ec.crt" "$PKI/inter2.crt" "$PKI/inter1.crt")" \
	| as_user "$user" "$MAILCERT" -c "$T/mailcert.conf" deliver certificates@example.net >/dev/null 2>>"$T/deliver.log"
check_eq "the intake recorded a certificate and an approval" \
	"$(intake_sql "SELECT (SELECT count(*) FROM certificates) || ' ' || (SELECT count(*) FROM approvals)")" "1 1"
pg=0
[ "$(ledger_backend)" = postgresql ] && pg=1
# book_digest - all of the order book
book_digest() {
	if [ "$pg" -eq 1 ]; then
		book_sql "SELECT md5(string_agg(t, ',' ORDER BY t)) FROM (SELECT o::text AS t FROM orders o
		  UNION ALL SELECT n::text FROM order_names n UNION ALL SELECT e::text FROM events e
		  UNION ALL SELECT i::text FROM installs i UNION ALL SELECT m::text FROM meta m) AS rows"
	else
		sha256sum <"$T/orders.db"
	fi
}
book_before=$(book_digest)

# The attacker ----------------------------------------------------------------
# as_sql SQL: as the milter's user, with that user's rights on the ledger
if [ "$pg" -eq 1 ]; then
	as_sql() {
		as_user "$user" "$ROOT/tests/pg-cluster" psql "$MAILCERT_TEST_PGHOST" "$(pg_database)" "$user" \
			-At -c "SET search_path = intake; $1"
	}
	nl="chr(10)"
	esc="chr(27)"
else
	as_sql() { as_user "$user" sqlite3 "$T/intake/ledger.db" "$1"; }
	nl="char(10)"
	esc="char(27)"
fi
rewrites=0
refused=0
# rewrite SQL: an UPDATE of rows the attacker's role did not write
rewrite() {
	rewrites=$((rewrites + 1))
	as_sql "$1" 2>>"$T/attack.err" || refused=$((refused + 1))
}
rsa_pem=$(sed 's/$/\\n/' "$PKI/www-rsa.crt" | tr -d '\n')
# Key B's certificate passed off as order 1's; order 1's as order 2's;
# every install request for every order; the approval's link to another
# host, its code with a header, an order's progress moved on.
rsa_sha=$(openssl x509 -in "$PKI/www-rsa.crt" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')
# Order 1's own certificate's request moved to order 2; key B's
# certificate recorded as order 1's, with key A's hash; a certificate for
# an order that does not exist; the first row's PEM replaced by key B's.
rewrite "UPDATE install_requests SET order_id = $o2"
as_sql "INSERT INTO certificates (order_id, sha256, spki_sha256, leaf_pem, chain_pem, names, not_before,
	not_after, received_at) SELECT $o1, '$rsa_sha', '$key_a', replace('$rsa_pem', '\n', $nl),
	chain_pem, names, not_before, not_after + 86400 * 3650, received_at FROM certificates WHERE id = 1"
as_sql "INSERT INTO certificates (order_id, sha256, spki_sha256, leaf_pem, chain_pem, names, not_before,
	not_after, received_at) SELECT 99, sha256 || 'x', spki_sha256, leaf_pem, chain_pem, names, not_before,
	not_after, received_at FROM certificates WHERE id = 1"
as_sql "INSERT INTO install_requests (order_id, certificate_id, created_at)
	SELECT CASE WHEN id = 2 THEN $o1 ELSE 99 END, id, 0 FROM certificates WHERE id > 1"
rewrite "UPDATE certificates SET leaf_pem = replace('$rsa_pem', '\n', $nl) WHERE id = 1"
if [ "$pg" -eq 1 ]; then
	check_eq "the attacker's requests are in the intake's ledger (its own rows only)" \
		"$(intake_sql "SELECT string_agg(order_id::text, ',' ORDER BY id) FROM install_requests")" "$o1,$o1,99"
else
	check_eq "the attacker's requests are in the intake's ledger" \
		"$(intake_sql 'SELECT group_concat(order_id) FROM install_requests')" "$o2,$o1,99"
fi
rewrite "UPDATE approvals SET link = 'https://evil.example/products/EnterDCVCode?orderNumber=1234567890',
	code = 'x' || $nl || 'Bcc: victim@evil.example', action_state = 'pending', authenticated = 1, next_try = 0"
as_sql "INSERT INTO approvals (order_id, link, code, ca_order, dedup, authenticated, received_at, action_state)
	VALUES ($o2, 'https://secure.trust-provider.com/products/EnterDCVCode?orderNumber=5550001111',
	'StrangersCode', '5550001111', 'attack', 1, 0, 'pending')"
as_sql "INSERT INTO order_progress (order_id, state, updated_at) VALUES ($o2, 'issued', 0)
	ON CONFLICT (order_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at"
# Every text column of every other table: paths, shell, SQL, escapes.
if [ "$pg" -eq 1 ]; then
	tables=$(as_sql "SELECT table_name FROM information_schema.tables WHERE table_schema = 'intake'")
else
	tables=$(as_sql "SELECT name FROM sqlite_master WHERE type = 'table'")
fi
for table in $tables; do
	case "$table" in certificates|install_requests|approvals|order_progress) continue ;; esac
	if [ "$pg" -eq 1 ]; then
		cols=$(as_sql "SELECT column_name FROM information_schema.columns WHERE table_schema = 'intake'
		  AND table_name = '$table' AND data_type = 'text'")
	else
		cols=$(as_sql "SELECT name FROM pragma_table_info('$table') WHERE type = 'TEXT'")
	fi
	for col in $cols; do
		rewrite "UPDATE \"$table\" SET \"$col\" = '../../keys/$key_b.key \$(touch $T/pwned) '';DROP TABLE orders;-- ' || $esc || '[2J'"
	done
done
if [ "$pg" -eq 1 ]; then
	check "many rewrites tried" test "$rewrites" -ge 12
	check_eq "the server refused every rewrite of a row (permission denied)" "$refused" "$rewrites"
	check_eq "each refusal is the server's" "$(grep -c 'permission denied' "$T/attack.err")" "$rewrites"
	# The book is root's: the attacker cannot write it.
	as_sql "UPDATE book.orders SET target = 'shop', key_sha256 = '$key_b'" 2>"$T/book.err"
	check_contains "the milter's role cannot write the order book" "$(cat "$T/book.err")" "permission denied"
else
	check "many rewrites made" test "$rewrites" -ge 20
	# The book is root's: the attacker cannot write it.
	as_user "$user" sqlite3 "$T/orders.db" "UPDATE orders SET target = 'shop', key_sha256 = '$key_b'" 2>"$T/book.err"
	check_contains "the milter's user cannot write the order book" "$(cat "$T/book.err")" "readonly"
fi
check_eq "the order book is as root left it" "$(book_digest)" "$book_before"
if [ "$pg" -eq 1 ]; then
	# It cannot move order 1's request to order 2: it adds one of its own.
	as_sql "INSERT INTO certificates (order_id, sha256, spki_sha256, leaf_pem, chain_pem, names, not_before,
		not_after, received_at) SELECT $o2, repeat('cd', 32), spki_sha256, leaf_pem, chain_pem, names,
		not_before, not_after, received_at FROM certificates WHERE id = 1"
	as_sql "INSERT INTO install_requests (order_id, certificate_id, created_at)
		SELECT $o2, max(id), 0 FROM certificates"
fi
book_orders() { book_sql "SELECT id, target, key_sha256 FROM orders ORDER BY id"; }
orders_before=$(book_orders)
# Files and symlinks in every directory the user can write.
planted=0
for dir in $(as_user "$user" find "$T" -type d -writable 2>/dev/null); do
	as_user "$user" ln -sf "$T/keys/$key_b.key" "$dir/planted-key" 2>/dev/null
	as_user "$user" ln -sf /etc/shadow "$dir/planted-shadow" 2>/dev/null
	as_user "$user" ln -sf "$T/tls/web/fullchain.pem" "$dir/planted-target" 2>/dev/null
	as_user "$user" sh -c "echo planted >'$dir/planted-file'" 2>/dev/null && planted=$((planted + 1))
done
check "files planted in the directories the user can write" test "$planted" -ge 3

# The installer and the approver, under strace -----------------------------------
TRACE="open,openat,creat,execve,rename,renameat,renameat2,unlink,unlinkat,mkdir,mkdirat,chmod,fchmodat,chown,fchownat,lchown,symlink,symlinkat,link,linkat,truncate"
strace -f -qq -y -s 512 -e trace="$TRACE" -o "$T/installer.strace" "$MAILCERT" -c "$T/mailcert.conf" \
	install --pending >"$T/install.out" 2>&1
strace -f -qq -y -s 512 -e trace="$TRACE" -o "$T/approver.strace" "$MAILCERT" -c "$T/mailcert.conf" \
	approver --once >"$T/approver.out" 2>&1

# audit TRACE ALLOWED_WRITE_PREFIX... : one line per write (or a key read,
# a followed planted link) outside the allowed places, and every program run
audit() {
	python3 - "$@" <<'PY'
import re, sys
trace, keydir, own_key, allowed = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
bad, ran, helpers = [], set(), set()
write_flags = ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC")
for line in open(trace, errors="replace"):
    m = re.match(r'(\d+)\s+(\w+)\((.*)\)\s+=\s+(-?\d+)', line)
    if not m:
        continue
    pid, call, args, rc = m.group(1), m.group(2), m.group(3), int(m.group(4))
    if call == "execve":
        argv = re.findall(r'"((?:[^"\\]|\\.)*)"', args)
        if rc == 0:
            ran.add(argv[0])
            if "install-requests" in argv:
                helpers.add(pid)	# the unprivileged helper, as the milter's user
        continue
    if rc < 0 or pid in helpers:
        continue
    # openat(5</dir>, "name") is dir/name; strace -y shows the fd's path
    at = re.match(r'(?:-?\d+|AT_FDCWD)(?:<([^>]*)>)?,\s*"((?:[^"\\]|\\.)*)"', args)
    if call in ("openat", "unlinkat", "mkdirat", "fchmodat", "fchownat") and at:
        base, name = at.group(1), at.group(2)
        paths = [name if name.startswith("/") or not base else base + "/" + name]
    else:
        paths = re.findall(r'"((?:[^"\\]|\\.)*)"', args)
    if not paths:
        continue
    path = paths[0]
    if "planted" in path:
        bad.append("used a planted name: " + line.strip())
    if path.startswith(keydir + "/") and own_key not in path and path != keydir + "/":
        bad.append("read another key: " + line.strip())
    writes = call not in ("open", "openat") or any(f in args for f in write_flags)
    if call in ("renameat", "renameat2", "linkat"):
        # both names are relative to their directory descriptors
        pairs = re.findall(r'(?:-?\d+|AT_FDCWD)(?:<([^>]*)>)?,\s*"((?:[^"\\]|\\.)*)"', args)
        targets = [n if n.startswith("/") or not b else b + "/" + n for b, n in pairs]
    elif call in ("rename", "link", "symlink", "symlinkat"):
        targets = paths
    else:
        targets = [path]
    for p in targets if writes else []:
        if not p.startswith("/") or not any(p == a or p.startswith(a.rstrip("/") + "/") for a in allowed):
            bad.append("wrote outside: " + line.strip())
for b in bad:
    print(b)
print("RAN " + " ".join(sorted(ran)))
PY
}

inst=$(audit "$T/installer.strace" "$T/keys" "$key_a" "$T/tls/web" "$T/tls/shop" "$T/state" \
	"$T/orders.db" "$T/orders.db-journal" /dev/null /dev/tty "$T/mail")
check_eq "the installer wrote nothing outside the targets and its own state, read no other key" \
	"$(printf '%s\n' "$inst" | grep -v '^RAN ')" ""
ran=$(printf '%s\n' "$inst" | sed -n 's/^RAN //p')
unexpected=""
for p in $ran; do
	case "$p" in "$MAILCERT"|/bin/true|/usr/bin/true|"$T/sendmail"|/bin/sh|/usr/bin/sh|"$ROOT/tests/fake-sendmail"|/usr/bin/cat|/bin/cat) ;; *) unexpected="$unexpected $p" ;; esac
done
check_eq "the installer ran nothing the configuration does not name" "${unexpected# }" ""
appr=$(audit "$T/approver.strace" "$T/keys" "none" "$T/intake" "$T/mail" /dev/null /dev/tty)
check_eq "the approver wrote only the intake's ledger and the mail, read no key" \
	"$(printf '%s\n' "$appr" | grep -v '^RAN ')" ""
unexpected=""
for p in $(printf '%s\n' "$appr" | sed -n 's/^RAN //p'); do
	case "$p" in "$MAILCERT"|"$T/sendmail"|/bin/sh|/usr/bin/sh|"$ROOT/tests/fake-sendmail"|/usr/bin/cat|/bin/cat) ;; *) unexpected="$unexpected $p" ;; esac
done
check_eq "the approver ran nothing but sendmail" "${unexpected# }" ""

# What came of it ---------------------------------------------------------------
check_eq "the orders' targets and keys are as the operator placed them" "$(book_orders)" "$orders_before"
check "order 2's target got nothing" test ! -e "$T/tls/shop/fullchain.pem" -a ! -e "$T/tls/shop/key.pem"
if [ -e "$T/tls/web/fullchain.pem" ]; then
	check_eq "order 1's target holds a certificate for order 1's key only" \
		"$(cert_spki "$T/tls/web/fullchain.pem") $(spki "$T/tls/web/key.pem")" "$key_a $key_a"
else
	ok "order 1's target got nothing (every request for it was rewritten)"
fi
if [ "$pg" -eq 1 ]; then
	check_eq "order 1's genuine certificate, its request beyond the attacker's reach, is installed" \
		"$(openssl x509 -in "$T/tls/web/fullchain.pem" -noout -serial 2>/dev/null)" \
		"$(openssl x509 -in "$PKI/www-ec.crt" -noout -serial)"
fi
check "no command of the attacker ran" test ! -e "$T/pwned"
check_eq "order 2 is not installed" "$(mc show "$o2" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')" "open"
mails=$(cat "$T/mail/mailbox" 2>/dev/null)
case "$mails" in
*evil.example*|*"Bcc: victim"*|*StrangersCode*) not_ok "no mail carries what the attacker wrote" "$mails" ;;
*) ok "no mail carries what the attacker wrote" ;;
esac
refusals() { mc show "$1" --json | python3 -c 'import json,sys; print(sum(e["kind"] == "install_request_refused" for e in json.load(sys.stdin)["events"]))'; }
check "the installer says why it refused order 1's rewritten requests" test "$(refusals "$o1")" -ge 1
check "and order 2's" test "$(refusals "$o2")" -ge 1

# A request pushed ahead (within any step a cursor would allow), answered,
# then deleted, and every request
# marked taken: the attacker's last try to make root skip what comes
# after.  (PostgreSQL does not let the milter's role choose an id, update
# or delete a request at all.)  Then the compromise ends and a genuine
# certificate for order 1 arrives: it is installed.
as_sql "INSERT INTO certificates (order_id, sha256, spki_sha256, leaf_pem, chain_pem, names, not_before,
	not_after, received_at) SELECT order_id, 'abababababababababababababababababababababababababababababababab', spki_sha256, leaf_pem, chain_pem, names,
	not_before, not_after, received_at FROM certificates WHERE id = 1"
as_sql "INSERT INTO install_requests (id, order_id, certificate_id, created_at)
	VALUES (5000, $o1, (SELECT max(id) FROM certificates), 0)" 2>"$T/id.err"
if [ "$pg" -eq 1 ]; then
	check_contains "the milter's role cannot choose a request's id" "$(cat "$T/id.err")" "permission denied"
	as_sql "UPDATE install_requests SET taken = 1" 2>"$T/taken.err"
	check_contains "nor mark requests taken" "$(cat "$T/taken.err")" "permission denied"
else
	"$MAILCERT" -c "$T/mailcert.conf" install --pending >>"$T/install.out" 2>&1
	check_eq "the far request is answered" \
		"$(book_sql "SELECT count(*) FROM request_answers WHERE request_id = 5000")" "1"
	as_sql "DELETE FROM install_requests WHERE id > 3"
	as_sql "UPDATE install_requests SET taken = 1"
fi
openssl req -new -key "$PKI/leaf-ec.key" -subj /CN=www.example.com -out "$T/req.csr" 2>/dev/null
printf 'subjectAltName = DNS:www.example.com, DNS:example.com\n' >"$T/ext"
next_second
openssl x509 -req -in "$T/req.csr" -CA "$PKI/inter2.crt" -CAkey "$PKI/inter2.key" -set_serial 4242 -days 9500 \
	-extfile "$T/ext" -out "$T/later.pem" 2>/dev/null
printf 'From: ca@example.org\nTo: certificates@example.net\nSubject: certificate\nMessage-ID: <p.2@example.org>\n\n%s\n' \
	"$(cat "$T/later.pem" "$PKI/inter2.crt" "$PKI/inter1.crt")" \
	| as_user "$user" "$MAILCERT" -c "$T/mailcert.conf" deliver certificates@example.net >/dev/null 2>>"$T/deliver.log"
"$MAILCERT" -c "$T/mailcert.conf" install --pending >>"$T/install.out" 2>&1
check_eq "a genuine certificate that comes after the attack is installed" \
	"$(openssl x509 -in "$T/tls/web/fullchain.pem" -noout -serial 2>/dev/null)" \
	"$(openssl x509 -in "$T/later.pem" -noout -serial)"
