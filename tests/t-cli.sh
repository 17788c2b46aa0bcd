# t-cli - the operator command as an operator uses it: order add and its
# refusals, orders, show and ledger in both forms, check-config.

. tests/lib.sh
make_tmpdir

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/key.pem" 2>/dev/null
cat >"$T/mailcert.conf" <<CONF
[milter]
authserv_id = mx.example.net
[ledger]
path = $T/ledger.db
[ca]
trust_store = /etc/ssl/certs/ca-certificates.crt
[target web]
fullchain = $T/out/fullchain.pem
key = $T/out/key.pem
reload_command = /bin/true
CONF
mc() { "$MAILCERT" -c "$T/mailcert.conf" "$@"; }

# order add -----------------------------------------------------------------
id=$(mc order add --domain Example.COM --alt-name www.example.com --alt-name '*.shop.example.com' \
	--ca sectigo --ca-order 123456789 --key "$T/key.pem" --target web --contact ops@example.com)
check_eq "order add prints the new id" "$id" "1"
want_sha=$(openssl pkey -in "$T/key.pem" -pubout -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1)

err=$(mc order add --domain 'exa mple.com' --ca sectigo --key "$T/key.pem" --target web 2>&1); rc=$?
check_eq "invalid domain refused" "$rc" "1"
check_contains "invalid domain named" "$err" "--domain exa mple.com: not a valid domain name"
err=$(mc order add --domain example.net --alt-name -bad-.example.net --ca sectigo --key "$T/key.pem" --target web 2>&1)
check_contains "invalid alternative name named" "$err" "--alt-name -bad-.example.net: not a valid domain name"
err=$(mc order add --domain example.net --ca sectigo --key "$T/nokey.pem" --target web 2>&1); rc=$?
check_eq "missing key refused" "$rc" "1"
check_contains "missing key named" "$err" "nokey.pem: cannot read it"
err=$(mc order add --domain example.net --ca sectigo --key "$T/mailcert.conf" --target web 2>&1)
check_contains "a file that is not a key refused" "$err" "not a PEM private key"
err=$(mc order add --domain example.net --ca sectigo --key "$T/key.pem" --target nosuch 2>&1); rc=$?
check_eq "unknown target refused" "$rc" "1"
check_contains "unknown target named" "$err" "--target nosuch: no [target nosuch]"
err=$(mc order add --domain example.net --ca sectigo --key "$T/key.pem" --target web --approver not-an-address 2>&1)
check_contains "bad approver refused" "$err" "--approver not-an-address: not a mail address"
err=$(mc order add --domain example.net 2>&1); rc=$?
check_eq "missing options are a usage error" "$rc" "2"
check_contains "usage printed" "$err" "usage: mailcert order add"
check_eq "refused orders recorded nothing" "$(mc orders --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "1"

# orders, show, ledger --------------------------------------------------------
table=$(mc orders)
check_contains "orders table has a header" "$table" "ID    DOMAIN"
check_contains "orders table has the order" "$table" "1     example.com"
check_contains "orders table shows the state" "$table" "awaiting_approval"

json=$(mc show 1 --json)
get() { printf '%s' "$json" | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
check_eq "show --json id" "$(get 'd["id"]')" "1"
check_eq "show --json domain lower-case" "$(get 'd["domain"]')" "example.com"
check_eq "show --json alt_names" "$(get '",".join(d["alt_names"])')" "www.example.com,*.shop.example.com"
check_eq "show --json ca and ca_order" "$(get 'd["ca"] + " " + d["ca_order"]')" "sectigo 123456789"
check_eq "show --json state" "$(get 'd["state"]')" "awaiting_approval"
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
check_eq "ledger --json --order" "$(mc ledger --json --order 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["detail"])')" \
	"example.com www.example.com *.shop.example.com, CA sectigo, target web"
check_eq "ledger --json of an order with no events is empty" "$(mc ledger --json --order 7)" "[]"

# check-config ------------------------------------------------------------------
check_eq "check-config accepts a good file" "$(mc check-config)" "$T/mailcert.conf: ok"
printf '[milter]\nauthserv_id = x\n[target web]\ncert = /tmp/c.pem\nreload_command = /nonexistent/reload\n' >"$T/bad.conf"
err=$("$MAILCERT" -c "$T/bad.conf" check-config 2>&1); rc=$?
check_eq "check-config fails on a missing program" "$rc" "1"
check_contains "check-config names the program" "$err" "reload_command: /nonexistent/reload is not an executable program"
printf '[milter]\nauthserv_id = x\n\n[ledgr]\npath = /tmp/x.db\n' >"$T/typo.conf"
err=$("$MAILCERT" -c "$T/typo.conf" orders 2>&1); rc=$?
check_eq "a typo in a section stops every command" "$rc" "1"
check_eq "the typo is named with file and line" "$err" "mailcert: $T/typo.conf:4: unknown section [ledgr]"
err=$("$MAILCERT" -c "$T/none.conf" orders 2>&1)
check_contains "a missing configuration is named" "$err" "$T/none.conf: cannot open"
err=$(mc frobnicate 2>&1); rc=$?
check_eq "unknown command is a usage error" "$rc" "2"
err=$(mc order add --domain example.net --ca nosuchca --key "$T/key.pem" --target web 2>&1); rc=$?
check_eq "unknown CA refused" "$rc" "1"
check_contains "unknown CA named with the known ones" "$err" "--ca nosuchca: no such CA profile (known: "
