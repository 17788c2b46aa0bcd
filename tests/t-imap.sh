# SPDX-License-Identifier: ISC
# t-imap - mailcert fetch against a real Dovecot, started here on loopback
# with a passwd-file, a self-signed certificate and maildirs in the test's
# directory: an approval and a certificate mail taken and recorded once
# across two passes and a UIDVALIDITY change, the mailbox left as
# [imap] after says (seen, move:FOLDER), a mail over max_message_size
# recorded as such and not fetched whole; only the topmost
# Authentication-Results field of the mailbox's provider is believed (a
# stranger's field below it, or one with our own authserv-id, is not);
# a wrong password, an untrusted
# server certificate, an unreachable server and plain imap:// each give a
# clear error and change nothing.

. tests/lib.sh
make_tmpdir
PKI="$ROOT/tests/fixtures/pki"
command -v dovecot >/dev/null 2>&1 || { not_ok "dovecot is installed" "run tools/install-deps"; exit 1; }
if [ "$(id -u)" -ne 0 ]; then
	ok "# skipped: Dovecot's private instance needs root"
	exit 0
fi
user=$(test_user)
mailcert_dirs "$user"
mkdir -p "$T/tls" "$T/dc/run" "$T/dc/state"
port=$(free_port)
uid=$(id -u "$user")
gid=$(id -g "$user")

# Dovecot ---------------------------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/dc/key.pem" \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -days 2 -out "$T/dc/cert.pem" 2>/dev/null
printf 'certs:{PLAIN}s3cret\nother:{PLAIN}s3cret\n' >"$T/dc/passwd"
for u in certs other; do
	mkdir -p "$T/dc/home/$u/Maildir/new" "$T/dc/home/$u/Maildir/cur" "$T/dc/home/$u/Maildir/tmp"
done
chown -R "$uid:$gid" "$T/dc/home"
cat >"$T/dc/dovecot.conf" <<CONF
base_dir = $T/dc/run
state_dir = $T/dc/state
log_path = $T/dc/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <$T/dc/cert.pem
ssl_key = <$T/dc/key.pem
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $T/dc/passwd
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$T/dc/home/%u
}
mail_location = maildir:~/Maildir
first_valid_uid = 1
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    port = $port
    ssl = yes
  }
}
CONF
dovecot -c "$T/dc/dovecot.conf" -F >"$T/dc/stdout" 2>&1 &
dovecot_pid=$!
at_exit "kill $dovecot_pid 2>/dev/null"
wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" \
	|| { not_ok "dovecot started" "$(cat "$T/dc/dovecot.log" "$T/dc/stdout" 2>/dev/null | tail -5)"; exit 1; }

# mailcert ---------------------------------------------------------------------------
printf 's3cret\n' >"$T/imap.password"
chown "$user" "$T/imap.password"
chmod 0600 "$T/imap.password"
write_config() {
	{
		base_config "$user"
		cat <<CONF
[milter]
authserv_id = mx.example.net
watch_addresses = certificates@example.net
max_message_size = 64k
[ca]
trust_store = $PKI/root.crt
[target web]
fullchain = $T/tls/fullchain.pem
key = $T/tls/key.pem
[imap account]
url = ${1:-imaps://127.0.0.1:$port/INBOX}
user = certs
authserv_id = imap.provider.example
password_file = ${2:-$T/imap.password}
ca_file = ${3:-$T/dc/cert.pem}
after = seen
[imap archive]
url = imaps://127.0.0.1:$port/INBOX
user = other
password_file = $T/imap.password
ca_file = $T/dc/cert.pem
after = move:Archive
CONF
	} >"$T/mailcert.conf"
	chmod 0644 "$T/mailcert.conf"
}
write_config
mc() { "$MAILCERT" -c "$T/mailcert.conf" "$@"; }
messages() { intake_sql "SELECT count(*) FROM messages" 2>/dev/null || echo 0; }
id=$(mc order add --domain www.example.com --alt-name example.com --ca sectigo --ca-order 1234567890 \
	--key "$PKI/leaf-ec.key" --target web --contact ops@example.com)

# put USER NAME FILE: a message into the user's maildir, as delivery would
n=0
put() {
	n=$((n + 1))
	cp "$3" "$T/dc/home/$1/Maildir/new/$(date +%s).M$n.test,S=$(wc -c <"$3")"
	chown -R "$uid:$gid" "$T/dc/home/$1/Maildir"
}
mkdir -p "$T/mails"
python3 "$ROOT/tests/attacks/make-mails" "$T/mails"
# The CA's approval as the provider stored it: its own field on top.
{
	printf 'Authentication-Results: imap.provider.example; dkim=pass header.d=trust-provider.com\r\n'
	sed -e 's/example\.com/www.example.com/g' "$T/mails/match-ours.eml"
} >"$T/mails/approval.eml"
# A stranger's: the provider found no signature; below its field, one
# claiming the provider's pass, and the fixture's own with our id.
{
	printf 'Authentication-Results: imap.provider.example; dkim=none\r\n'
	printf 'Authentication-Results: imap.provider.example; dkim=pass header.d=trust-provider.com\r\n'
	sed -e 's/example\.com/www.example.com/g' -e 's/^Message-ID: <match-ours@/Message-ID: <forged@/' \
		-e 's/Ours-1234-abcd/Forged-999-zz/' "$T/mails/match-ours.eml"
} >"$T/mails/forged.eml"
printf 'From: ca@example.org\r\nTo: certificates@example.net\r\nSubject: your certificate\r\nMessage-ID: <imap.1@example.org>\r\n\r\n%s\r\n' \
	"$(cat "$PKI/www-ec.crt" "$PKI/inter2.crt" "$PKI/inter1.crt")" >"$T/mails/cert.eml"
python3 -c 'import sys; open(sys.argv[1], "w").write("From: ca@example.org\r\nSubject: big\r\nMessage-ID: <imap.big@example.org>\r\n\r\n" + "x" * 100000 + "\r\n")' \
	"$T/mails/big.eml"
put certs forged "$T/mails/forged.eml"
put certs approval "$T/mails/approval.eml"
put certs cert "$T/mails/cert.eml"
put certs big "$T/mails/big.eml"
put other approval "$T/mails/approval.eml"

# Passes -----------------------------------------------------------------------------
mc fetch >"$T/fetch1.out" 2>&1
check_eq "the first pass succeeds" "$?" "0" || cat "$T/fetch1.out"
check_contains "a stranger's fields below the provider's are not believed" \
	"$(intake_sql "SELECT reason FROM messages WHERE message_id = 'forged@trust-provider.com'")" \
	"no dkim=pass by imap.provider.example"
check_eq "the approval the provider vouched for is recorded" "$(mc show "$id" --json | python3 -c 'import json,sys; a=json.load(sys.stdin)["approval"]; print(a and a["code"])')" \
	"Ours-1234-abcd"
check_eq "the certificate is issued" "$(mc show "$id" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')" \
	"issued"
check_contains "the large mail is recorded as too large" \
	"$(intake_sql "SELECT reason FROM messages WHERE queue_id LIKE 'imap:account:%'")" \
	"over max_message_size"
recorded=$(messages)
check_eq "five messages recorded (four, and the other mailbox's one)" "$recorded" "5"
check_eq "after = seen: the mailbox's messages are flagged seen" \
	"$(ls "$T/dc/home/certs/Maildir/cur" | grep -c ':2,.*S')" "4"
check_eq "after = move:Archive: the other mailbox's is moved" \
	"$(find "$T/dc/home/other/Maildir/.Archive/cur" "$T/dc/home/other/Maildir/.Archive/new" -type f 2>/dev/null | wc -l)" "1"
check_eq "and the inbox is empty" "$(find "$T/dc/home/other/Maildir/cur" "$T/dc/home/other/Maildir/new" -type f | wc -l)" "0"
mc fetch >"$T/fetch2.out" 2>&1
check_eq "a second pass records nothing again" "$(messages)" "$recorded"
# A new UIDVALIDITY: Dovecot numbers the mailbox anew.
next_second
kill "$dovecot_pid"
wait "$dovecot_pid" 2>/dev/null
rm -f "$T/dc/home/certs/Maildir/dovecot-uidlist" "$T/dc/home/certs/Maildir"/dovecot.index*
dovecot -c "$T/dc/dovecot.conf" -F >>"$T/dc/stdout" 2>&1 &
dovecot_pid=$!
at_exit "kill $dovecot_pid 2>/dev/null"
wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)"
mc fetch >"$T/fetch3.out" 2>&1
check_eq "after a UIDVALIDITY change the pass succeeds" "$?" "0" || cat "$T/fetch3.out"
check_contains "and says it reads the mailbox again" "$(cat "$T/fetch3.out")" "UIDVALIDITY changed"
check_eq "and records nothing twice" "$(messages)" "$recorded"

# Errors change nothing ------------------------------------------------------------------
sed 's/^Message-ID: <match-ours@/Message-ID: <match-ours-again@/' "$T/mails/approval.eml" >"$T/mails/again.eml"
put certs again "$T/mails/again.eml"
printf 'wrong\n' >"$T/wrong.password"
chown "$user" "$T/wrong.password"
chmod 0600 "$T/wrong.password"
write_config "" "$T/wrong.password"
out=$(mc fetch --mailbox account 2>&1)
check_eq "a wrong password fails" "$?" "1"
check_contains "and says so" "$out" "login refused"
write_config "" "" "$PKI/root.crt"
out=$(mc fetch --mailbox account 2>&1)
check_eq "an untrusted server certificate fails" "$?" "1"
check_contains "and says so" "$out" "certificate is not trusted"
write_config "imaps://127.0.0.1:$(free_port)/INBOX"
out=$(mc fetch --mailbox account 2>&1)
check_eq "an unreachable server fails" "$?" "1"
check_contains "and says so" "$out" "onnect"
write_config "imap://127.0.0.1:$port/INBOX"
out=$(mc fetch --mailbox account 2>&1)
check_contains "plain imap:// is refused without allow_plaintext" "$out" "only with allow_plaintext = yes"
chmod 0644 "$T/imap.password"
write_config
out=$(mc fetch --mailbox account 2>&1)
check_contains "a password file others may read is refused" "$out" "readable by nobody else"
chmod 0600 "$T/imap.password"
check_eq "none of them recorded anything" "$(messages)" "$recorded"
out=$(mc fetch --mailbox account 2>&1)
check_eq "then the right settings take the new mail" "$(messages)" "$((recorded + 1))"

# fetch --watch reloads on SIGHUP ----------------------------------------------------------
# Started with the wrong password it fails and waits; the file put right
# and SIGHUP (the unit's ExecReload) make it start again with the new one
# and take the mail that waits.
sed 's/^Message-ID: <match-ours@/Message-ID: <match-ours-hup@/' "$T/mails/approval.eml" >"$T/mails/hup.eml"
put certs hup "$T/mails/hup.eml"
write_config "" "$T/wrong.password"
"$MAILCERT" -c "$T/mailcert.conf" fetch --watch >"$T/watch.log" 2>&1 &
watch_pid=$!
at_exit "kill $watch_pid 2>/dev/null"
check "fetch --watch with the wrong password says so and waits" wait_for 10 grep -q "login refused" "$T/watch.log"
write_config
kill -HUP "$watch_pid"
check "SIGHUP: it reads the file again and starts again with it" wait_for 10 grep -q "fetch starts again with it" "$T/watch.log"
check "and takes the mail that waited" wait_for 10 grep -q "match-ours-hup@" "$T/watch.log"
check "still the same process" kill -0 "$watch_pid"
kill -TERM "$watch_pid"
wait "$watch_pid"
check_eq "and it stops cleanly on SIGTERM" "$?" "0"
