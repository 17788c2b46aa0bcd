# SPDX-License-Identifier: ISC
# t-web - mailcert serve, the read-only web view: status codes and
# content types, the security headers, escaping of hostile mail content
# recorded through the milter, /metrics and /api/ against the --json
# outputs, the password file, a non-loopback listen refused; then in
# headless Chromium the orders list and a timeline (--dump-dom), and a
# screenshot of the timeline in build/web-timeline.png for a person.

. tests/lib.sh
make_tmpdir
PKI="$ROOT/tests/fixtures/pki"
for tool in curl miltertest; do
	command -v "$tool" >/dev/null 2>&1 || { not_ok "$tool is installed" "run tools/install-deps"; exit 1; }
done
user=$(test_user)
mailcert_dirs "$user"
mkdir -p "$T/tls"
milter_port=$(free_port)
web_port=$(free_port)
write_config() {
	{
		base_config "$user"
		cat <<CONF
[milter]
socket = inet:$milter_port@127.0.0.1
authserv_id = mx.example.net
watch_addresses = certificates@example.net
[ca]
trust_store = $PKI/root.crt
[web]
listen = $1
user = $user
${2:+password_file = $2}
[target web]
fullchain = $T/tls/fullchain.pem
key = $T/tls/key.pem
CONF
	} >"$T/mailcert.conf"
	chmod 0644 "$T/mailcert.conf"
}
write_config "127.0.0.1:$web_port"
mc() { "$MAILCERT" -c "$T/mailcert.conf" "$@"; }
id=$(mc order add --domain www.example.com --alt-name example.com --ca sectigo --ca-order 1234567890 \
	--key "$PKI/leaf-ec.key" --target web --contact ops@example.com)

# Mail through the milter: an approval whose subject, sender name and
# links are built to break a page.
"$MILTER" -c "$T/mailcert.conf" -f >"$T/milter.log" 2>&1 &
milter_pid=$!
at_exit "kill $milter_pid 2>/dev/null"
wait_for 10 grep -q "listening on" "$T/milter.log" || { not_ok "milter started" "$(cat "$T/milter.log")"; exit 1; }
mkdir -p "$T/mails"
python3 - "$T/mails" <<'PY'
import sys
out = sys.argv[1]
head = ("Authentication-Results: mx.example.net; dkim=pass header.d=trust-provider.com\r\n"
        "From: \"<b>Sectigo</b>\" <noreply_support@trust-provider.com>\r\nTo: admin@example.com\r\n"
        "Subject: ORDER #1234567890 <script>alert(1)</script> Domain Control Validation for example.com\r\n"
        "Message-ID: <web.1@trust-provider.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n")
body = ("Please browse here:\r\nhttps://secure.trust-provider.com/products/EnterDCVCode?orderNumber=1234567890\r\n"
        "and enter the following \"validation code\":\r\n    Code-\"><i>x</i>\r\n"
        "or https://evil.example/\"><img src=x onerror=alert(2)>\r\n")
open(out + "/hostile.eml", "w", newline="").write(head + body)
PY
miltertest -D socket="inet:$milter_port@127.0.0.1" -D eml="$T/mails/hostile.eml" -D rcpt=admin@example.com \
	-s tests/milter/eml.lua >"$T/hostile.out" 2>&1
# serve -----------------------------------------------------------------------------
start_serve() {
	"$MAILCERT" -c "$T/mailcert.conf" serve >"$T/serve.log" 2>&1 &
	serve_pid=$!
	wait_for 10 grep -q "serving the ledger" "$T/serve.log" && return 0
	not_ok "serve started" "$(cat "$T/serve.log")"
	exit 1
}
start_serve
at_exit 'kill $serve_pid 2>/dev/null'
URL="http://127.0.0.1:$web_port"
get() { curl -s -o "$T/body" -w '%{http_code} %{content_type}' "$@"; }
for page in /orders "/order/$id" /approvals /failures /messages; do
	check_eq "GET $page: 200 HTML" "$(get "$URL$page")" "200 text/html; charset=utf-8"
done
check_eq "GET /metrics: Prometheus text" "$(get "$URL/metrics")" "200 text/plain; version=0.0.4; charset=utf-8"
check_eq "GET /api/orders: JSON" "$(get "$URL/api/orders")" "200 application/json"
check_eq "GET /style.css" "$(get "$URL/style.css")" "200 text/css; charset=utf-8"
check_eq "an unknown page: 404" "$(get "$URL/nothing")" "404 text/html; charset=utf-8"
check_eq "an unknown order: 404" "$(get "$URL/order/999")" "404 text/html; charset=utf-8"
check_eq "POST: 405" "$(get -X POST "$URL/orders")" "405 text/plain; charset=utf-8"
check_eq "without a password, another Host is refused (DNS rebinding)" \
	"$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: attacker.example' "$URL/api/approvals")" "421"
check_eq "and localhost is served" "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: localhost:$web_port" "$URL/orders")" "200"
headers=$(curl -sI "$URL/orders")
check_contains "a strict Content-Security-Policy" "$headers" "Content-Security-Policy: default-src 'none'; style-src 'self'"
check_contains "nosniff" "$headers" "X-Content-Type-Options: nosniff"
check_contains "no referrer" "$headers" "Referrer-Policy: no-referrer"

# Slow clients ----------------------------------------------------------------------
# 64 connections that trickle their request head (16 from each of four
# loopback addresses): everybody else is still served at once, and each
# slow one is closed once its head is WEB_HEAD_DEADLINE (10 s) late.
python3 - "$web_port" >"$T/slow.out" 2>&1 <<'PY' &
import socket, sys, time
port = int(sys.argv[1])
conns = []
for a in range(2, 6):
    for _ in range(16):
        s = socket.socket()
        s.bind(("127.0.0.%d" % a, 0))
        try:
            s.connect(("127.0.0.1", port))
            s.sendall(b"G")
            s.setblocking(False)
            conns.append([s, time.time(), None])
        except OSError:
            s.close()
print("opened", len(conns), flush=True)
end = time.time() + 30
while time.time() < end and any(c[2] is None for c in conns):
    for c in conns:
        if c[2] is not None:
            continue
        try:
            if c[0].recv(1024) == b"":
                c[2] = time.time() - c[1]
                continue
        except BlockingIOError:
            pass
        except OSError:
            c[2] = time.time() - c[1]
            continue
        try:
            c[0].send(b"E")       # a byte of head now and then, never the end
        except OSError:
            c[2] = time.time() - c[1]
    time.sleep(2)
open_ones = sum(c[2] is None for c in conns)
longest = max([c[2] for c in conns if c[2] is not None] or [0])
print("still open", open_ones, "longest %.0f" % longest, flush=True)
PY
slow_pid=$!
wait_for 10 grep -q '^opened' "$T/slow.out"
start=$(date +%s%N)
check_eq "while slow clients trickle, a request is served" \
	"$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$URL/orders")" "200"
echo "# served in $(( ($(date +%s%N) - start) / 1000000 )) ms; $(head -1 "$T/slow.out")"
wait "$slow_pid"
check_contains "every slow connection is closed by the server" "$(cat "$T/slow.out")" "still open 0"
longest=$(sed -n 's/.*longest \([0-9]*\).*/\1/p' "$T/slow.out")
check "none is held much past the head's deadline" test "${longest:-99}" -le 14
check_contains "and the view says so in its log" "$(cat "$T/serve.log")" "sent no request head within 10 s"

# Escaping ----------------------------------------------------------------------------
get "$URL/messages" >/dev/null
messages=$(cat "$T/body")
check_contains "the hostile subject is shown, escaped" "$messages" "&lt;script&gt;alert(1)&lt;/script&gt;"
check "no tag from a mail reaches a page" sh -c "! grep -q -e '<script' -e '<img' -e '<b>Sectigo' '$T/body'"
for page in "/order/$id" /approvals; do
	get "$URL$page" >/dev/null
	check "$page: no tag from a mail" sh -c "! grep -q -e '<script' -e '<img' -e '<i>x' '$T/body'"
	check "$page: no link to another host" sh -c "! grep -q 'href=\"https://evil' '$T/body'"
done
get "$URL/approvals" >/dev/null
check_contains "the believed approval link is the one clickable" "$(cat "$T/body")" \
	'href="https://secure.trust-provider.com/products/EnterDCVCode?orderNumber=1234567890"'
check_contains "with the warning about the reject link" "$(cat "$T/body")" "rejects"
# A row the milter's user rewrote to another page of the CA's host: shown,
# never as a link.
# (PostgreSQL does not let the milter's role rewrite a link at all: the
# database's owner plays the attacker there.)
rewrite_link() {
	if [ "$(ledger_backend)" = sqlite ]; then
		as_user "$user" sqlite3 "$T/intake/ledger.db" "UPDATE approvals SET link = '$1'"
	else
		intake_sql "UPDATE approvals SET link = '$1'"
	fi
}
rewrite_link 'https://secure.trust-provider.com/products/RejectDCVCode?orderNumber=1234567890'
get "$URL/approvals" >/dev/null
check "a rewritten link to the reject page is no link" sh -c "! grep -q 'href=\"https://secure.trust-provider.com/products/Reject' '$T/body'"
check_contains "and is shown as text" "$(cat "$T/body")" "<code>https://secure.trust-provider.com/products/RejectDCVCode"
rewrite_link 'https://secure.trust-provider.com/products/EnterDCVCode?orderNumber=1234567890'

get "$URL/orders" >/dev/null
check_contains "before any installer ran, the open order waits for one" "$(cat "$T/body")" \
	'<a class="bad" href="/installers">no installer</a>'

# The certificate arrives and is installed while the view runs.
openssl req -new -key "$PKI/leaf-ec.key" -subj /CN=www.example.com -out "$T/req.csr" 2>/dev/null
printf 'subjectAltName = DNS:www.example.com, DNS:example.com\n' >"$T/ext"
openssl x509 -req -in "$T/req.csr" -CA "$PKI/inter2.crt" -CAkey "$PKI/inter2.key" -set_serial 77 -days 90 \
	-extfile "$T/ext" -out "$T/leaf.pem" 2>/dev/null
printf 'From: ca@example.org\nTo: certificates@example.net\nSubject: certificate\nMessage-ID: <web.2@example.org>\n\n%s\n' \
	"$(cat "$T/leaf.pem" "$PKI/inter2.crt" "$PKI/inter1.crt")" \
	| as_user "$user" "$MAILCERT" -c "$T/mailcert.conf" deliver certificates@example.net >/dev/null 2>&1
mc install --pending >/dev/null 2>&1
check_eq "the order is installed" "$(mc show "$id" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')" \
	"installed"


# /metrics and /api/ ---------------------------------------------------------------------
metrics=$(curl -s "$URL/metrics")
not_after=$(date -d "$(openssl x509 -in "$T/leaf.pem" -noout -enddate | cut -d= -f2)" +%s)
check_contains "the certificate's expiry as an absolute time" "$metrics" \
	"mailcert_certificate_expiry_timestamp_seconds{order=\"$id\",domain=\"www.example.com\",target=\"web\"} $not_after"
check_contains "orders by state" "$metrics" 'mailcert_orders{state="installed"} 1'
check_contains "messages by verdict" "$metrics" 'mailcert_messages_total{verdict="approval"} 1'
check_contains "install attempts" "$metrics" "mailcert_install_attempts_total 1"
me="$(hostname):$(realpath "$T/mailcert.conf")"
check_contains "the installer that ran is up" "$metrics" \
	"mailcert_installer_up{installer=\"$me\",host=\"$(hostname)\"} 1"
check_contains "with its last pass" "$metrics" \
	"mailcert_installer_last_seen_timestamp_seconds{installer=\"$me\",host=\"$(hostname)\"} "
check_contains "no order waits for an installer" "$metrics" "mailcert_orders_waiting_for_installer 0"
get "$URL/installers" >/dev/null
check_contains "/installers lists it, live" "$(cat "$T/body")" "live"
check_contains "by its name" "$(cat "$T/body")" "$me"
get "$URL/orders" >/dev/null
check "and the order no longer waits for one" sh -c "! grep -q 'no installer' '$T/body'"
same_json() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1])) == json.load(open(sys.argv[2])))' "$1" "$2"; }
curl -s "$URL/api/orders" >"$T/api.json"; mc orders --json >"$T/cli.json"
check_eq "/api/orders is mailcert orders --json" "$(same_json "$T/api.json" "$T/cli.json")" "True"
curl -s "$URL/api/order/$id" >"$T/api.json"; mc show "$id" --json >"$T/cli.json"
check_eq "/api/order/ID is mailcert show --json" "$(same_json "$T/api.json" "$T/cli.json")" "True"
curl -s "$URL/api/approvals" >"$T/api.json"; mc approvals --json >"$T/cli.json"
check_eq "/api/approvals is mailcert approvals --json" "$(same_json "$T/api.json" "$T/cli.json")" "True"
curl -s "$URL/api/installers" >"$T/api.json"; mc installers --json >"$T/cli.json"
check_eq "/api/installers is mailcert installers --json" "$(same_json "$T/api.json" "$T/cli.json")" "True"

# Headless Chromium ---------------------------------------------------------------------
if command -v chromium >/dev/null 2>&1; then
	browse() { timeout 90 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$T/chromium" "$@" 2>>"$T/chromium.log"; }
	dom=$(browse --dump-dom "$URL/orders")
	check_contains "Chromium: the orders list has the order" "$dom" "<a href=\"/order/$id\">$id</a>"
	check_contains "Chromium: with its state" "$dom" "installed"
	dom=$(browse --dump-dom "$URL/order/$id")
	check_contains "Chromium: the timeline's steps" "$dom" "installed<br>"
	check_contains "Chromium: the certificate's lifetime as a bar" "$dom" "<progress"
	check_eq "Chromium: no script element in the page it built" "$(printf '%s' "$dom" | grep -c '<script')" "0"
	rm -f "$ROOT/build/web-timeline.png"
	browse --hide-scrollbars --window-size=1000,1400 --screenshot="$ROOT/build/web-timeline.png" "$URL/order/$id" >/dev/null
	check "Chromium: a screenshot of the timeline in build/web-timeline.png" \
		sh -c "[ \$(stat -c %s '$ROOT/build/web-timeline.png' 2>/dev/null || echo 0) -gt 10000 ]"
else
	not_ok "chromium is installed" "run tools/install-deps"
fi
kill -TERM "$serve_pid"
wait "$serve_pid"
check_eq "serve stops cleanly on SIGTERM" "$?" "0"

# The password file; a non-loopback listen ----------------------------------------------
# as the man page says: owned by [web] user, mode 0600
printf 'ops:%s\n' "$(openssl passwd -6 -salt s4ltS4lt 'correct horse')" >"$T/web.passwd"
chown "$user" "$T/web.passwd"
chmod 0600 "$T/web.passwd"
write_config "127.0.0.1:$web_port" "$T/web.passwd"
start_serve
check_eq "without credentials: 401" "$(curl -s -o /dev/null -w '%{http_code}' "$URL/orders")" "401"
check_contains "and the realm is asked for" "$(curl -sI "$URL/orders")" 'WWW-Authenticate: Basic realm="mailcert"'
check_eq "a wrong password: 401" "$(curl -s -o /dev/null -w '%{http_code}' -u ops:wrong "$URL/orders")" "401"
check_eq "nothing is shown without them" "$(curl -s "$URL/api/orders" | grep -c www.example.com)" "0"
check_eq "the right password: 200" "$(curl -s -o /dev/null -w '%{http_code}' -u 'ops:correct horse' "$URL/orders")" "200"
# fail2ban's line: the client's address and the user name, made printable
check "a failed login is logged with the client's address and the user" \
	wait_for 5 grep -q 'web login failed for user "ops" from 127.0.0.1' "$T/serve.log"
curl -s -o /dev/null -u "$(printf 'ev\033[2Jil'):x" "$URL/orders"
check "a user name with a terminal escape is logged without it" \
	wait_for 5 grep -q 'web login failed for user "ev?\[2Jil" from 127.0.0.1' "$T/serve.log"
check_eq "a request without credentials is not a failed login" \
	"$(grep -c 'web login failed' "$T/serve.log")" "2"
# SIGHUP: a user added to the password file may log in; a file that does
# not load keeps the users the view has
printf 'ops2:%s\n' "$(openssl passwd -6 -salt s4ltS4lt 'battery staple')" >>"$T/web.passwd"
kill -HUP "$serve_pid"
check "SIGHUP reads the password file again" wait_for 10 grep -q "reload: .* its password file taken" "$T/serve.log"
check_eq "a user added to it may then log in" \
	"$(curl -s -o /dev/null -w '%{http_code}' -u 'ops2:battery staple' "$URL/orders")" "200"
printf 'ops3:plaintext\n' >>"$T/web.passwd"
kill -HUP "$serve_pid"
check "a password file that does not load is named, the users kept" \
	wait_for 10 grep -q "web.passwd.*the web view keeps the users it has" "$T/serve.log"
check_eq "and they still log in" "$(curl -s -o /dev/null -w '%{http_code}' -u 'ops:correct horse' "$URL/orders")" "200"
check "serve runs on after both" kill -0 "$serve_pid"
kill -TERM "$serve_pid"
wait "$serve_pid"
write_config "0.0.0.0:$web_port"
out=$("$MAILCERT" -c "$T/mailcert.conf" serve 2>&1)
check_eq "a non-loopback listen without a password file is refused" "$?" "1"
check_contains "and says why" "$out" "is not loopback: refused without [web] password_file"
printf 'ops:plaintext\n' >"$T/web.passwd"
write_config "127.0.0.1:$web_port" "$T/web.passwd"
out=$("$MAILCERT" -c "$T/mailcert.conf" serve 2>&1)
check_contains "a password file with a plain password is refused" "$out" "not user:hash with a salted crypt(3) hash"
