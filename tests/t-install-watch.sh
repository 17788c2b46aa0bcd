# t-install-watch - "mailcert install --watch", the daemon: it binds the
# wake socket, a datagram (what the milter sends) makes it install a new
# job long before poll_interval, SIGTERM ends it cleanly and removes the
# socket.  On the same pass it performs the due approval actions: an
# approval in notify mode is mailed to the order's contact.

. tests/lib.sh
make_tmpdir
PKI="$ROOT/tests/fixtures/pki"
mkdir -p "$T/tls"
cat >"$T/mailcert.conf" <<CONF
[milter]
authserv_id = mx.example.net
[ledger]
path = $T/ledger.db
[ca]
trust_store = $PKI/root.crt
[installer]
key_dir = $T/keys
backup_dir = $T/backup
wake_socket = $T/run/installer.sock
poll_interval = 300
[notify]
sendmail = $ROOT/tests/fake-sendmail
[approve]
mode = notify
[target web]
fullchain = $T/tls/fullchain.pem
key = $T/tls/key.pem
CONF
mc() { "$MAILCERT" -c "$T/mailcert.conf" "$@"; }
job_state() { mc show "$1" --json | python3 -c 'import json,sys; j=json.load(sys.stdin)["install_job"]; print(j and j["state"])'; }
wake() { python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(b"wake", sys.argv[1])' "$1"; }

MAILCERT_TEST_MAILBOX="$T/mailbox" "$MAILCERT" -c "$T/mailcert.conf" install --watch 2>"$T/watch.log" &
pid=$!
at_exit "kill $pid 2>/dev/null"
wait_for 5 test -S "$T/run/installer.sock"
check "wake socket bound" test -S "$T/run/installer.sock"
check_eq "wake socket mode 0666" "$(stat -c %a "$T/run/installer.sock")" "666"

id=$(mc order add --domain www.example.com --alt-name example.com --ca sectigo \
	--key "$PKI/leaf-ec.key" --target web)
"$ROOT/build/tests/tools/record_cert" "$T/ledger.db" "$id" "$PKI/www-ec.crt" "$PKI/inter2.crt" "$PKI/inter1.crt" >/dev/null
sleep 0.3
check_eq "no install before the wake-up" "$(job_state "$id")" "pending"
wake "$T/run/installer.sock"
wait_for 5 sh -c "[ \"\$(\"$MAILCERT\" -c '$T/mailcert.conf' show $id --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"install_job\"][\"state\"])')\" = done ]"
check_eq "a wake-up datagram installs the job" "$(job_state "$id")" "done"
check "the files are written" test -s "$T/tls/fullchain.pem"

# An authenticated approval in notify mode: the worker mails the contact.
link="https://secure.trust-provider.com/products/EnterDCVCode?orderNumber=123456789"
id2=$(mc order add --domain example.org --ca sectigo --ca-order 123456789 \
	--key "$PKI/leaf-rsa.key" --target web --contact ops@example.org)
"$ROOT/build/tests/tools/approval_seed" "$T/ledger.db" "$id2" "$link" "aB3-xY9*zz" 123456789 1 >/dev/null
wake "$T/run/installer.sock"
wait_for 5 grep -q "orderNumber=123456789" "$T/mailbox"
check_contains "the watch loop mails the approval link to the contact" "$(cat "$T/mailbox" 2>/dev/null)" "$link"
check_contains "with the validation code" "$(cat "$T/mailbox" 2>/dev/null)" "aB3-xY9*zz"
check_contains "to the order's contact" "$(cat "$T/mailbox" 2>/dev/null)" "To: ops@example.org"

kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "SIGTERM ends the installer" sh -c "! kill -0 $pid 2>/dev/null"
wait "$pid"
check_eq "it exits with status 0" "$?" "0"
check "the wake socket is removed" test ! -e "$T/run/installer.sock"
