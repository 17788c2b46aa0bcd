# SPDX-License-Identifier: ISC
# t-cli - the operator command as an operator uses it: every command's
# --help and the version, order add and its refusals (each naming what is
# wrong), two open orders on one target, order set, cancel and renew,
# orders (with the expiry column), show and ledger in both forms, and
# check-config finding what a new administrator trips over.

. tests/lib.sh
make_tmpdir

user=$(test_user)
mailcert_dirs "$user"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/key.pem" 2>/dev/null
mkdir -p "$T/out" "$T/out2"
{
	base_config "$user"
	cat <<CONF
[milter]
authserv_id = mx.provider.test
socket = unix:$T/run/milter/milter.sock
[notify]
sendmail = /bin/true
[ca]
trust_store = /etc/ssl/certs/ca-certificates.crt
[target web]
fullchain = $T/out/fullchain.pem
key = $T/out/key.pem
reload_command = /bin/true
[target web2]
fullchain = $T/out2/fullchain.pem
CONF
} >"$T/mailcert.conf"
chmod 0644 "$T/mailcert.conf"
mc() { "$MAILCERT" -c "$T/mailcert.conf" "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# --help and --version ----------------------------------------------------
out=$("$MAILCERT" --help); rc=$?
check_eq "mailcert --help exits 0" "$rc" "0"
check_contains "mailcert --help lists the commands" "$out" "check-config"
check_eq "mailcert --version" "$("$MAILCERT" --version)" "mailcert $(sed -n 's/^VERSION[[:space:]]*=[[:space:]]*//p' Makefile)"
check_contains "mailcert-milter --version" "$("$MILTER" --version)" "mailcert-milter "
out=$("$MILTER" -h); rc=$?
check_eq "mailcert-milter -h exits 0" "$rc" "0"
check_contains "mailcert-milter -h is the usage" "$out" "usage: mailcert-milter"
for cmd in "order add" "order new" "order set" "order cancel" "order renew" "order import" \
	orders show ledger approvals approve approver install install-requests expiring deliver \
	check-config parse; do
	out=$("$MAILCERT" $cmd --help 2>&1); rc=$?
	if [ "$rc" -eq 0 ] && [ "${out#usage: mailcert $cmd}" != "$out" ]; then
		ok "mailcert $cmd --help"
	else
		not_ok "mailcert $cmd --help" "exit $rc: $out"
	fi
done
out=$("$MAILCERT" order --help 2>&1); rc=$?
check_eq "mailcert order --help exits 0" "$rc" "0"
check_contains "and gives each sub-command's usage" "$out" "usage: mailcert order renew ID"
check_eq "mailcert order -h too" "$("$MAILCERT" order -h 2>&1 | grep -c '^usage: mailcert order ')" "6"
# expiring's exit codes: what --help says is what README.md says
help_codes=$("$MAILCERT" expiring --help | sed -n 's/.*; exit \(.*\)\.$/\1/p')
check_contains "expiring --help gives its four exit codes" "$help_codes" "0 none, 1 some, 2 one has expired, 3 could not tell"
check_contains "and README.md the same" "$(grep 'mailcert expiring \[' README.md)" "# exit $help_codes"
err=$(mc order 2>&1); rc=$?
check_eq "mailcert order alone is a usage error" "$rc" "2"
check_contains "and names the sub-commands" "$err" "which one? add, new, set, cancel, renew, import"
err=$(mc frobnicate 2>&1); rc=$?
check_eq "unknown command is a usage error" "$rc" "2"
check_contains "unknown command named" "$err" "unknown command \"frobnicate\""

# order add -----------------------------------------------------------------
id=$(mc order add --domain Example.COM --alt-name www.example.com --alt-name '*.shop.example.com' \
	--ca sectigo --ca-order 123456789 --key "$T/key.pem" --target web --contact ops@example.com)
check_eq "order add prints the new id" "$id" "1"
want_sha=$(openssl pkey -in "$T/key.pem" -pubout -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1)
check "the key is imported into key_dir under its hash" test -f "$T/keys/$want_sha.key"
check_eq "the imported key is mode 0600" "$(stat -c %a "$T/keys/$want_sha.key")" "600"

err=$(mc order add --domain 'exa mple.com' --ca sectigo --key "$T/key.pem" --target web2 2>&1); rc=$?
check_eq "invalid domain refused" "$rc" "1"
check_contains "invalid domain named" "$err" "--domain exa mple.com: not a valid domain name"
err=$(mc order add --domain example.net --alt-name -bad-.example.net --ca sectigo --key "$T/key.pem" --target web2 2>&1)
check_contains "invalid alternative name named" "$err" "--alt-name -bad-.example.net: not a valid domain name"
err=$(mc order add --domain example.net --ca sectigo --key "$T/nokey.pem" --target web2 2>&1); rc=$?
check_eq "missing key refused" "$rc" "1"
check_contains "missing key named" "$err" "nokey.pem: cannot read it"
err=$(mc order add --domain example.net --ca sectigo --key "$T/mailcert.conf" --target web2 2>&1)
check_contains "a file that is not a key refused" "$err" "not a private key in PEM"
err=$(mc order add --domain example.net --ca sectigo --key "$T/key.pem" --target nosuch 2>&1); rc=$?
check_eq "unknown target refused" "$rc" "1"
check_contains "unknown target named" "$err" "--target nosuch: no [target nosuch]"
err=$(mc order add --domain example.net --ca sectigo --key "$T/key.pem" --target web2 --approver not-an-address 2>&1)
check_contains "bad approver refused" "$err" "--approver not-an-address: not a mail address"
err=$(mc order add --domain example.net 2>&1); rc=$?
check_eq "a missing option is a usage error" "$rc" "2"
check_contains "the missing option is named" "$err" "mailcert order add: --ca is required"
check_contains "and the usage follows" "$err" "usage: mailcert order add"
err=$(mc order add --domain example.net --ca nosuchca --key "$T/key.pem" --target web2 2>&1); rc=$?
check_eq "unknown CA refused" "$rc" "1"
check_contains "unknown CA named with the known ones" "$err" "--ca nosuchca: no such CA profile (known: "
check_eq "refused orders recorded nothing" "$(mc orders --json | json 'len(d)')" "1"

# two open orders on one target ---------------------------------------------
err=$(mc order add --domain other.example.com --ca sectigo --key "$T/key.pem" --target web 2>&1); rc=$?
check_eq "a second open order on a target is refused" "$rc" "1"
check_contains "the refusal names the order that has it" "$err" "open order 1 already installs there"
id2=$(mc order add --domain other.example.com --ca sectigo --key "$T/key.pem" --target web --replace 2>"$T/replace.err")
check_eq "--replace takes the target" "$id2" "2"
check_contains "and cancels the order that had it" "$(cat "$T/replace.err")" "order 1 cancelled: replaced by order 2"
check_eq "order 1 is cancelled" "$(mc show 1 --json | json 'd["state"]')" "cancelled"

# order set, cancel, renew -----------------------------------------------------------
check_eq "order set" "$(mc order set 2 --ca-order 987 --contact sec@example.com)" "order 2 changed"
check_eq "order set changed the CA order number" "$(mc show 2 --json | json 'd["ca_order"]')" "987"
err=$(mc order set 2 2>&1); rc=$?
check_eq "order set without a change is a usage error" "$rc" "2"
err=$(mc order set 1 --ca-order 5 2>&1); rc=$?
check_eq "a cancelled order is not set" "$rc" "1"
check_contains "and the refusal says why" "$err" "not open"
csr=$(mc order renew 2 2>"$T/renew.err"); rc=$?
check_eq "order renew" "$rc" "0"
check_contains "renew prints the CSR" "$csr" "BEGIN CERTIFICATE REQUEST"
check_contains "renew names the successor" "$(cat "$T/renew.err")" "order 3 renews order 2"
check_eq "the successor names its predecessor" "$(mc show 3 --json | json 'd["predecessor"]')" "2"
check_eq "the predecessor names its successor" "$(mc show 2 --json | json 'd["successor"]')" "3"
check_eq "the successor has the same names and target" "$(mc show 3 --json | json 'd["domain"] + " " + d["target"] + " " + d["contact"]')" \
	"other.example.com web sec@example.com"
check "a renewal has a new key" test "$(mc show 3 --json | json 'd["key_sha256"]')" != "$(mc show 2 --json | json 'd["key_sha256"]')"
err=$(mc order renew 2 2>&1); rc=$?
check_eq "an order is renewed once" "$rc" "1"
check_eq "order cancel" "$(mc order cancel 3 --reason 'wrong names')" "order 3 cancelled"
check_contains "the cancel event says who and why" "$(mc ledger --order 3)" "cancelled by $(id -un): wrong names"

# orders, show, ledger --------------------------------------------------------
table=$(mc orders)
check_contains "orders table has a header with the expiry" "$table" "EXPIRES (LEFT)"
check_contains "orders table has the order" "$table" "2      other.example.com"
check_eq "orders --state filters" "$(mc orders --state cancelled --json | json '",".join(str(o["id"]) for o in d)')" "3,1"
check_eq "orders --limit cuts, newest first" "$(mc orders --limit 1 --json | json 'd[0]["id"]')" "3"
check_eq "orders --domain finds a parent's orders" "$(mc orders --domain example.com --json | json '",".join(str(o["id"]) for o in d)')" "3,2,1"
err=$(mc orders --state bogus 2>&1); rc=$?
check_eq "orders --state of no state is a usage error" "$rc" "2"

json_show=$(mc show 1 --json)
get() { printf '%s' "$json_show" | json "$1"; }
check_eq "show --json id" "$(get 'd["id"]')" "1"
check_eq "show --json domain lower-case" "$(get 'd["domain"]')" "example.com"
check_eq "show --json alt_names" "$(get '",".join(d["alt_names"])')" "www.example.com,*.shop.example.com"
check_eq "show --json ca and ca_order" "$(get 'd["ca"] + " " + d["ca_order"]')" "sectigo 123456789"
check_eq "show --json approval null" "$(get 'd["approval"]')" "None"
check_eq "show --json certificate null" "$(get 'd["certificate"]')" "None"
check_eq "show --json key hash is the public key's SHA-256" "$(get 'd["key_sha256"]')" "$want_sha"
check_eq "show --json events" "$(get 'd["events"][0]["kind"]')" "order_added"
human=$(mc show 1)
check_contains "show names every name" "$human" "names:        example.com, www.example.com, *.shop.example.com"
err=$(mc show 42 2>&1); rc=$?
check_eq "show of an unknown order fails" "$rc" "1"
check_contains "show says which order" "$err" "no order 42"
err=$(mc show abc 2>&1); rc=$?
check_eq "show of a non-number is a usage error" "$rc" "2"
check_contains "ledger lists events" "$(mc ledger)" "order 1"
check_contains "ledger --json --order" "$(mc ledger --json --order 1 | json 'd[0]["detail"]')" \
	"example.com www.example.com *.shop.example.com, CA sectigo order 123456789, target web"
check_eq "ledger --json of an order with no events is empty" "$(mc ledger --json --order 7)" "[]"

# check-config ------------------------------------------------------------------
# Postfix's master.cf as check-config finds it ($MAIL_CONFIG, as Postfix's
# own tools): here an smtpd that is not chrooted
mkdir -p "$T/postfix"
printf 'smtp      inet  n       -       n       -       -       smtpd\n' >"$T/postfix/master.cf"
export MAIL_CONFIG="$T/postfix"
out=$(mc check-config 2>&1); rc=$?
check_eq "check-config accepts a good file" "$rc" "0"
check_contains "check-config says ok" "$out" "$T/mailcert.conf: ok"
check_contains "check-config says which open order uses which target" "$out" "target web                  order 2 (other.example.com)"
{
	base_config "$user"
	cat <<CONF
[milter]
authserv_id = x
socket = unix:$T/nowhere/milter.sock
[notify]
sendmail = /nonexistent/sendmail
[target web]
cert = $T/nodir/cert.pem
reload_command = /nonexistent/reload
run_as = no-such-user
CONF
} >"$T/bad.conf"
chmod 0600 "$T/bad.conf"
err=$("$MAILCERT" -c "$T/bad.conf" check-config 2>&1); rc=$?
check_eq "check-config fails on what is missing" "$rc" "1"
check_contains "check-config names a missing program" "$err" "reload_command: /nonexistent/reload is not an executable program"
check_contains "check-config names a missing sendmail" "$err" "[notify] sendmail: /nonexistent/sendmail is not an executable program"
check_contains "check-config names a missing target directory" "$err" "the directory $T/nodir of $T/nodir/cert.pem does not exist"
check_contains "check-config names a missing run_as user" "$err" "run_as no-such-user: no such user"
if [ "$(id -u)" -eq 0 ]; then
	check_contains "check-config says the milter's user cannot read the configuration" "$err" \
		"$user cannot read $T/bad.conf: a reload"
	check_contains "check-config says the milter's user cannot make its socket" "$err" \
		"cannot make its socket in $T/nowhere"
fi
# What the shipped example leaves to fill in, directories that cannot be
# made, a password file the web view cannot read, a chrooted smtpd
{
	printf '[milter]\nuser = %s\nauthserv_id = mx.example.net\nwatch_addresses = certificates@Example.NET\n' "$user"
	printf 'socket = unix:%s/run/milter/milter.sock\nspool_dir = %s/no/such/spool\n' "$T" "$T"
	printf '[ledger]\n'; ledger_lines "$user"
	printf '[installer]\nkey_dir = %s/keys\nstate_dir = %s/gone/state\nwake_socket = %s/run/installer/wake.sock\n' "$T" "$T" "$T"
	printf '[approve]\nuser = %s\nwake_socket = %s/run/approver/wake.sock\n' "$user" "$T"
	printf '[notify]\nsendmail = /bin/true\nfrom = mailcert@mail.example.org\n[ca]\ntrust_store = /etc/ssl/certs/ca-certificates.crt\n'
	printf '[web]\nuser = %s\npassword_file = %s/web.passwd\n' "$user" "$T"
} >"$T/example.conf"
chmod 0644 "$T/example.conf"
printf 'ops:%s\n' "$(openssl passwd -6 -salt s4ltS4lt pw)" >"$T/web.passwd"
chmod 0600 "$T/web.passwd"
printf 'smtp      inet  n       -       y       -       -       smtpd\n' >"$T/postfix/master.cf"
err=$("$MAILCERT" -c "$T/example.conf" check-config 2>&1); rc=$?
check_eq "check-config fails on the example's values" "$rc" "1"
check_contains "it names the example's authserv_id" "$err" "[milter] authserv_id mx.example.net is the example's"
check_contains "and the example's watched address" "$err" "[milter] watch_addresses certificates@Example.NET is the example's"
check_contains "and the example's sender" "$err" "[notify] from mailcert@mail.example.org is the example's"
check_contains "and that there is no target" "$err" "no [target NAME]: an issued certificate has nowhere to be installed"
check_contains "a spool_dir that cannot be made is named" "$err" \
	"[milter] spool_dir $T/no/such/spool: missing, and so is $T/no/such to make it in"
check_contains "and a state_dir" "$err" "[installer] state_dir $T/gone/state: missing, and so is $T/gone to make it in"
check_contains "a chrooted smtpd cannot reach a socket outside its queue directory" "$err" \
	"[milter] socket unix:$T/run/milter/milter.sock: Postfix's smtpd runs chrooted ($T/postfix/master.cf line 1)"
if [ "$(id -u)" -eq 0 ]; then
	check_contains "a password file the web view's user cannot read is named" "$err" \
		"[web] password_file $T/web.passwd: $user cannot read it (chown $user it, mode 0600)"
fi
if [ "$(ledger_backend)" = sqlite ]; then
	# A file at the order book's path that root did not make so: a FIFO
	# (it would hang the reader), one others may write.  Readers say so
	# once and read the book as missing (empty).
	mkdir -p "$T/fakebook"
	mkfifo "$T/fakebook/orders.db"
	sed "s|^orders = .*|orders = $T/fakebook/orders.db|" "$T/mailcert.conf" >"$T/fifo.conf"
	chmod 0644 "$T/fifo.conf"
	out=$(timeout 10 "$MAILCERT" -c "$T/fifo.conf" orders 2>&1); rc=$?
	check_eq "a FIFO at the book's path: orders does not hang, exits 0" "$rc" "0"
	check_contains "and says why it is not read" "$out" "$T/fakebook/orders.db: not read as the order book: not a regular file"
	rm "$T/fakebook/orders.db"
	cp "$T/orders.db" "$T/fakebook/orders.db"
	chmod 0666 "$T/fakebook/orders.db"
	out=$("$MAILCERT" -c "$T/fifo.conf" orders 2>&1)
	check_contains "a book others may write is not read" "$out" "not read as the order book: group or others may write it"
	check_eq "(nothing of it listed)" "$(printf '%s\n' "$out" | grep -c 'example')" "0"
fi
if [ "$(id -u)" -eq 0 ] && [ "$(ledger_backend)" = sqlite ]; then
	sed "s|^orders = .*|orders = $T/intake/orders.db|" "$T/mailcert.conf" >"$T/bookdir.conf"
	chmod 0644 "$T/bookdir.conf"
	check_contains "an order book in a directory the milter's user may write is named" \
		"$("$MAILCERT" -c "$T/bookdir.conf" check-config 2>&1)" \
		"$user can write $T/intake, the order book's directory: it could put a book of its own there"
fi
out=$(mc check-config 2>&1)
check_contains "where spool_dir is not made yet, check-config says it will be" "$out" \
	"$T/intake/spool: not there yet; made (mode 0700) when first needed"
printf 'smtp      inet  n       -       n       -       -       smtpd\n' >"$T/postfix/master.cf"
# parse --explain: what each profile made of a reseller's relayed mail,
# then a four-line profile extension that names the reseller's sender
mkdir -p "$T/profiles"
printf '[milter]\nuser = %s\nauthserv_id = mx.example.net\n[ca]\nprofiles = %s/profiles\n' "$user" "$T" >"$T/explain.conf"
chmod 0644 "$T/explain.conf"
relay=tests/fixtures/approval-reseller-relay.eml
out=$("$MAILCERT" -c "$T/explain.conf" parse "$relay" --explain 2>&1); rc=$?
check_eq "parse --explain exits 0" "$rc" "0"
check_contains "it names the profile the verdict is made with" "$out" \
	"profile sectigo (builtin/sectigo.conf): the verdict is made with this one"
check_contains "and says the sender is none of its" "$out" "neither From nor Return-Path is one of its 3 sender domains"
check_contains "each link's kind" "$out" "EnterDCVCode?orderNumber=7766554433: approval link"
check_contains "the pattern that matched, by its line" "$out" '"Domain\s+Control\s+Validation\s+for\s" matches the subject'
check_contains "what it took" "$out" "code          Rr8-Tt5Yy2Uu"
check_contains "why it is not believed" "$out" "ssl.reseller.example"
check_contains "then the verdict: not authenticated" "$out" "authenticated: no"
printf '# Reseller SSL relays Sectigo under its own domain\n[profile]\nextends = sectigo\nsenders = ssl.reseller.example\n' \
	>"$T/profiles/reseller.conf"
out=$("$MAILCERT" -c "$T/explain.conf" parse "$relay" --explain 2>&1)
check_contains "with the extension: the sender is one of the profile's" "$out" "ssl.reseller.example is one of its senders"
check_contains "and the origin names both files" "$out" "profile sectigo (builtin/sectigo.conf + $T/profiles/reseller.conf)"
check_contains "and the mail is believed" "$out" "authenticated: yes"
# a pattern of the extension is named by its line and its file
printf '[match]\nnotice = \\bReseller\\s+SSL,\\s+for\\s+Sectigo\\b\n' >>"$T/profiles/reseller.conf"
out=$("$MAILCERT" -c "$T/explain.conf" parse "$relay" --explain 2>&1)
check_contains "a pattern of an extension: its line and its file" "$out" \
	"notice        line 6 of $T/profiles/reseller.conf \"\\bReseller\\s+SSL,\\s+for\\s+Sectigo\\b\" matches the text"
check_contains "a built-in pattern: its line (the origin names the file)" "$out" \
	'subject       line 21 "Domain\s+Control\s+Validation\s+for\s" matches the subject'
check_contains "and the mail is still an approval" "$out" "kind:          approval"
check_contains "check-config compiles the extension" "$("$MAILCERT" -c "$T/explain.conf" check-config --file-only 2>&1)" ": ok"
check_eq "parse --json of a delivery names the CA order number of its subject" \
	"$("$MAILCERT" -c "$T/explain.conf" parse tests/fixtures/cert-zip-sectigo.eml --json | json 'd["ca_order"]')" "1234567"
printf '[milter]\nauthserv_id = x\n\n[ledgr]\npath = /tmp/x.db\n' >"$T/typo.conf"
err=$("$MAILCERT" -c "$T/typo.conf" orders 2>&1); rc=$?
check_eq "a typo in a section stops every command" "$rc" "1"
check_eq "the typo is named with file and line" "$err" "mailcert: $T/typo.conf:4: unknown section [ledgr]"
err=$("$MAILCERT" -c "$T/none.conf" orders 2>&1)
check_contains "a missing configuration is named" "$err" "$T/none.conf: cannot open"
exit 0
