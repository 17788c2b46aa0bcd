# SPDX-License-Identifier: ISC
# t-install-nginx - the installer against a real nginx on loopback, started
# with an old certificate (the test PKI's localhost.crt):
#   a test_command that fails: old files byte for byte, old certificate
#     served, the job retried once with backoff then failed;
#   a reload_command that reloads nginx and then fails: old files restored,
#     nginx reloaded again and serving the old certificate;
#   "order new" + a CSR signed by the test CA + "install --pending": nginx
#     serves the new certificate, key 0600, order installed, job done,
#     confirmation mail through [notify] sendmail;
#   a second "install --pending" does nothing.

. tests/lib.sh
make_tmpdir
PKI="$ROOT/tests/fixtures/pki"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { not_ok "nginx installed" "no nginx (make deps)"; exit 1; }

port=$(free_port)
mkdir -p "$T/nginx/logs" "$T/tls" "$T/ca"
cat "$PKI/localhost.crt" "$PKI/inter1.crt" >"$T/tls/fullchain.pem"
(umask 077 && cp "$PKI/localhost.key" "$T/tls/key.pem")
cat >"$T/nginx/nginx.conf" <<CONF
daemon on;
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/logs/error.log;
events { worker_connections 32; }
http {
	access_log off;
	client_body_temp_path $T/nginx/tmp-body;
	proxy_temp_path $T/nginx/tmp-proxy;
	fastcgi_temp_path $T/nginx/tmp-fastcgi;
	uwsgi_temp_path $T/nginx/tmp-uwsgi;
	scgi_temp_path $T/nginx/tmp-scgi;
	server {
		listen 127.0.0.1:$port ssl;
		server_name localhost;
		ssl_certificate $T/tls/fullchain.pem;
		ssl_certificate_key $T/tls/key.pem;
		location / { return 200 "ok\n"; }
	}
}
CONF
NG="-c $T/nginx/nginx.conf -p $T/nginx/"
"$NGINX" $NG 2>"$T/nginx/start.err" || { not_ok "nginx starts" "$(cat "$T/nginx/start.err")"; exit 1; }
at_exit "kill \$(cat '$T/nginx/nginx.pid' 2>/dev/null) 2>/dev/null"

served() {
	echo | openssl s_client -connect "127.0.0.1:$port" -servername localhost 2>/dev/null \
		| openssl x509 -noout -fingerprint -sha256 2>/dev/null | sed 's/.*=//; s/://g' | tr A-F a-f
}
fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f; }
serves() { [ "$(served)" = "$1" ]; }
# A reload starts new workers and lets the old ones finish gracefully; until
# they exit, old and new workers accept on the same socket and a check may
# reach either.  reloaded BEFORE: one worker, and not one of BEFORE.
workers() {
	_master=$(cat "$T/nginx/nginx.pid")
	for _stat in /proc/[0-9]*/stat; do
		read -r _pid _comm _state _ppid _rest <"$_stat" 2>/dev/null || continue
		[ "$_ppid" = "$_master" ] && echo "$_pid"
	done
}
reloaded() {
	_now=$(workers)
	[ "$(echo "$_now" | wc -w)" -eq 1 ] || return 1
	for _old in $1; do [ "$_now" != "$_old" ] || return 1; done
}
files_hash() { cat "$T/tls/fullchain.pem" "$T/tls/key.pem" | sha256sum; }

old_fp=$(fp "$PKI/localhost.crt")
wait_for 5 serves "$old_fp"
check_eq "nginx serves the old certificate" "$(served)" "$old_fp"
old_files=$(files_hash)

user=$(test_user)
mailcert_dirs "$user"
make_sendmail
{
	base_config "$user"
	cat <<CONF
[milter]
authserv_id = mx.example.net
[ca]
trust_store = $PKI/root.crt
[notify]
sendmail = $T/sendmail
from = mailcert@mx.example.net
operator = hostmaster@example.com
[installer]
command_timeout = 10
max_attempts = 2
retry_base = 2
[target web]
fullchain = $T/tls/fullchain.pem
key = $T/tls/key.pem
test_command = $NGINX -t -q $NG
reload_command = $NGINX -s reload $NG
[target web-badtest]
fullchain = $T/tls/fullchain.pem
key = $T/tls/key.pem
test_command = /bin/false
reload_command = $NGINX -s reload $NG
[target web-badreload]
fullchain = $T/tls/fullchain.pem
key = $T/tls/key.pem
test_command = $NGINX -t -q $NG
reload_command = /bin/sh -c "$NGINX -s reload $NG; sleep 1; echo reload said no; exit 1"
CONF
} >"$T/mailcert.conf"
mc() { "$MAILCERT" -c "$T/mailcert.conf" "$@"; }
record() { "$ROOT/build/tests/tools/record_cert" "$T/mailcert.conf" "$@"; }
show() { mc show "$1" --json | python3 -c "import json,sys; d=json.load(sys.stdin); print($2)"; }
# wait_retry_due ID - until the order's install job is due again (bounded)
wait_retry_due() {
	_due=$(mc show "$1" --json | python3 -c 'import calendar, json, sys, time
t = json.load(sys.stdin)["install_job"]["next_try"]
print(calendar.timegm(time.strptime(t, "%Y-%m-%dT%H:%M:%SZ")) if t else 0)')
	wait_for 30 sh -c "[ \$(date +%s) -ge $_due ]"
}

# A failing test_command ---------------------------------------------------------
id=$(mc order add --domain www.example.com --alt-name example.com --ca sectigo \
	--key "$PKI/leaf-ec.key" --target web-badtest --contact ops@example.com)
record "$id" "$PKI/www-ec.crt" "$PKI/inter2.crt" "$PKI/inter1.crt" >/dev/null
out=$(mc install --pending 2>"$T/err"); rc=$?
check_eq "failing test_command: install --pending fails" "$rc" "1"
check_eq "failing test_command: one job run" "$out" "1 job(s) run, 1 not installed"
check_eq "failing test_command: retry not due yet" "$(mc install --pending 2>/dev/null)" "0 job(s) run, 0 not installed"
check_eq "failing test_command: old files byte for byte" "$(files_hash)" "$old_files"
check_eq "failing test_command: nginx serves the old certificate" "$(served)" "$old_fp"
check_eq "failing test_command: the order retries" "$(show "$id" 'd["state"]')" "install_retrying"
check_eq "failing test_command: job pending for a retry" \
	"$(show "$id" 'd["install_job"]["state"] + " " + str(d["install_job"]["attempts"])')" "pending 1"
check_contains "failing test_command: job says why" "$(show "$id" 'd["install_job"]["last_error"]')" \
	"test_command exit status 1; previous files restored"
wait_retry_due "$id"
mc install --pending >/dev/null 2>&1
check_eq "failing test_command: given up after max_attempts" \
	"$(show "$id" 'd["install_job"]["state"] + " " + str(d["install_job"]["attempts"])')" "failed 2"
check_eq "failing test_command: still the old files" "$(files_hash)" "$old_files"
check_contains "failing test_command: each attempt is an event" \
	"$(show "$id" '" ".join(e["kind"] for e in d["events"] if e["kind"].startswith("install"))')" \
	"install_attempt install_command install_failed install_attempt install_command install_failed"

# A reload_command that reloads nginx, then fails ------------------------------------
id=$(mc order add --domain www.example.com --alt-name example.com --ca sectigo \
	--key "$PKI/leaf-rsa.key" --target web-badreload)
record "$id" "$PKI/www-rsa.crt" "$PKI/inter1.crt" >/dev/null
before=$(workers)
mc install --pending >/dev/null 2>"$T/err"; rc=$?
check_eq "failing reload_command: install --pending fails" "$rc" "1"
check_eq "failing reload_command: old files byte for byte" "$(files_hash)" "$old_files"
check "failing reload_command: nginx reloaded" wait_for 5 reloaded "$before"
check_eq "failing reload_command: nginx reloaded again, serves the old certificate" "$(served)" "$old_fp"
check_contains "failing reload_command: job says why" "$(show "$id" 'd["install_job"]["last_error"]')" \
	"reload_command exit status 1; previous files restored"
check_contains "failing reload_command: command output recorded" \
	"$(mc ledger --order "$id")" "reload said no"
wait_retry_due "$id"
before=$(workers)
mc install --pending >/dev/null 2>&1
check_eq "failing reload_command: given up after max_attempts" \
	"$(show "$id" 'd["install_job"]["state"] + " " + str(d["install_job"]["attempts"])')" "failed 2"
check "failing reload_command: nginx reloaded at the retry" wait_for 5 reloaded "$before"
check_eq "failing reload_command: the old certificate again after the retry" "$(served)" "$old_fp"
check_eq "failing reload_command: still the old files" "$(files_hash)" "$old_files"

# order new, a CSR signed by the test CA, installed --------------------------------
id=$(mc order new --domain www.example.com --alt-name example.com --ca sectigo --target web \
	--contact ops@example.com 2>"$T/new.err" >"$T/new.csr")
check_eq "order new succeeds" "$?" "0"
id=$(sed -n 's/^order \([0-9]*\) recorded, key .*/\1/p' "$T/new.err")
key=$(sed -n 's/^order [0-9]* recorded, key \(.*\)/\1/p' "$T/new.err")
check_eq "order new says the order" "$id" "3"
check_eq "order new key mode 0600" "$(stat -c %a "$key")" "600"
check_contains "order new prints a CSR" "$(head -1 "$T/new.csr")" "BEGIN CERTIFICATE REQUEST"
check "order new CSR is signed by its key" openssl req -in "$T/new.csr" -noout -verify
check_contains "order new CSR names every name" "$(openssl req -in "$T/new.csr" -noout -text)" \
	"DNS:www.example.com, DNS:example.com"
printf 'extendedKeyUsage = serverAuth\n' >"$T/ca/ext.cnf"
openssl x509 -req -in "$T/new.csr" -CA "$PKI/inter1.crt" -CAkey "$PKI/inter1.key" -set_serial 4242 \
	-days 30 -copy_extensions copy -extfile "$T/ca/ext.cnf" -out "$T/ca/new.crt" 2>/dev/null
new_fp=$(fp "$T/ca/new.crt")
record "$id" "$T/ca/new.crt" "$PKI/inter1.crt" >/dev/null
before=$(workers)
out=$(mc install --pending 2>"$T/err"); rc=$?
check_eq "install --pending succeeds" "$rc" "0"
check_eq "install --pending ran one job" "$out" "1 job(s) run, 0 not installed"
check "nginx reloaded" wait_for 5 reloaded "$before"
check_eq "nginx serves the new certificate" "$(served)" "$new_fp"
check_eq "fullchain holds leaf and chain" "$(cat "$T/tls/fullchain.pem")" \
	"$(openssl x509 -in "$T/ca/new.crt"; openssl x509 -in "$PKI/inter1.crt")"
check_eq "key file holds the order's key" "$(openssl pkey -in "$T/tls/key.pem" -pubout)" \
	"$(openssl pkey -in "$key" -pubout)"
check_eq "key file mode 0600" "$(stat -c %a "$T/tls/key.pem")" "600"
check_eq "fullchain mode 0644" "$(stat -c %a "$T/tls/fullchain.pem")" "644"
check_eq "order installed" "$(show "$id" 'd["state"]')" "installed"
check_eq "job done" "$(show "$id" 'd["install_job"]["state"]')" "done"
mail=$(cat "$T/mailbox" 2>/dev/null)
check_contains "confirmation mail to the contact" "$mail" "To: ops@example.com"
check_contains "confirmation mail subject" "$mail" \
	"Subject: [mailcert] certificate for www.example.com installed on $(hostname)"
check_contains "confirmation mail gives the fingerprint" "$mail" "SHA-256:     $new_fp"
check_contains "confirmation mail gives the names" "$mail" "names:       www.example.com, example.com"
confirmations() { grep -c '^Subject: \[mailcert\] certificate for .* installed' "$T/mailbox"; }
check_eq "one confirmation mail only" "$(confirmations)" "1"
check_eq "nothing left to do" "$(mc install --pending 2>/dev/null)" "0 job(s) run, 0 not installed"
check_eq "a done job sends no second mail" "$(confirmations)" "1"
check_eq "each failed install was told to the operator once" \
	"$(grep -c '^Subject: \[mailcert\] install of order .* failed' "$T/mailbox")" "2"

# order new: refusals leave nothing, other key types ------------------------------
keys_before=$(ls "$T/keys" | wc -l)
mc order new --domain 'bad name.example.com' --ca sectigo --target web >/dev/null 2>&1
check_eq "order new with a bad domain refused" "$?" "1"
mc order new --domain www.example.com --ca sectigo --target web --key-type dsa512 >/dev/null 2>&1
check_eq "order new with an unknown key type refused" "$?" "1"
mc order new --domain www.example.com --ca sectigo --target web --key "$PKI/leaf-ec.key" >/dev/null 2>&1
check_eq "order new with --key is a usage error" "$?" "2"
check_eq "refused orders leave no key file" "$(ls "$T/keys" | wc -l)" "$keys_before"
mc order new --domain '*.example.com' --ca sectigo --target web --key-type rsa2048 >"$T/rsa.csr" 2>"$T/rsa.err"
key=$(sed -n 's/^order [0-9]* recorded, key \(.*\)/\1/p' "$T/rsa.err")
check_eq "the key file is named by its public key's SHA-256" "$(basename "$key")" \
	"$(openssl pkey -in "$key" -pubout -outform DER | sha256sum | cut -d' ' -f1).key"
check_contains "rsa2048 key" "$(openssl pkey -in "$key" -noout -text 2>/dev/null | head -1)" "2048 bit"
check_contains "wildcard CSR" "$(openssl req -in "$T/rsa.csr" -noout -text)" "DNS:*.example.com"

# install --retry: a failed job now, not at its next_try -----------------------------------
# A new certificate for the target whose test_command fails: the order
# says when it retries; --retry runs the attempt now and says it failed
# with none left; put right (the target's test is nginx -t), --retry
# installs it.
id=$(mc order new --domain www.example.com --alt-name example.com --ca sectigo --target web-badtest --replace \
	2>"$T/retry.err" >"$T/retry.csr")
id=$(sed -n 's/^order \([0-9]*\) recorded, key .*/\1/p' "$T/retry.err")
next_second
openssl x509 -req -in "$T/retry.csr" -CA "$PKI/inter1.crt" -CAkey "$PKI/inter1.key" -set_serial 4343 \
	-days 60 -copy_extensions copy -extfile "$T/ca/ext.cnf" -out "$T/ca/retry.crt" 2>/dev/null
record "$id" "$T/ca/retry.crt" "$PKI/inter1.crt" >/dev/null
mc install --pending >/dev/null 2>&1
check_eq "the failed order is install_retrying" "$(show "$id" 'd["state"]')" "install_retrying"
check_contains "mailcert orders says when it retries, and which attempt of how many" \
	"$(mc orders | grep "^$id ")" "install_retrying   "
check_contains "(the time and the attempt)" "$(mc orders | grep "^$id ")" "(attempt 2 of 2)"
check_contains "mailcert show says so" "$(mc show "$id")" "state:        install_retrying (since "
check_contains "(with the time of the retry)" "$(mc show "$id" | grep 'state:')" ": retrying at 20"
err=$(mc install --retry "$id" 2>&1); rc=$?
check_eq "install --retry runs it now: it fails again" "$rc" "1"
check_contains "and says that no attempt is left" "$err" "order $id: attempt 2 failed, no attempt left: test_command exit status 1"
check_eq "the order is install_failed" "$(show "$id" 'd["state"]')" "install_failed"
sed 's|^test_command = /bin/false$|test_command = '"$NGINX"' -t -q '"$NG"'|' "$T/mailcert.conf" >"$T/fixed.conf"
before=$(workers)
out=$("$MAILCERT" -c "$T/fixed.conf" install --retry "$id" 2>"$T/retry2.err"); rc=$?
check_eq "put right, install --retry installs it" "$rc" "0" || sed 's/^/# /' "$T/retry2.err"
check_eq "and says so" "$out" "order $id: installed into target web-badtest"
check "nginx reloaded" wait_for 5 reloaded "$before"
check_eq "nginx serves it" "$(served)" "$(fp "$T/ca/retry.crt")"
check_eq "the order is installed" "$(show "$id" 'd["state"]')" "installed"
check_contains "the retry is an event" "$(mc ledger --order "$id")" "install_retry"
err=$(mc install --retry "$id" 2>&1); rc=$?
check_eq "install --retry of an installed order fails" "$rc" "1"
check_contains "and says why" "$err" "installed its certificate already"
err=$(mc install --retry 999 2>&1)
check_contains "install --retry of no order says so" "$err" "no order 999"
