# SPDX-License-Identifier: ISC
# t-install-watch - "mailcert install --watch", the daemon: it binds the
# wake socket, a datagram (what the intake sends) makes it take the
# intake's install request and install it long before poll_interval,
# SIGTERM ends it cleanly and removes the socket.  It runs no approval:
# that is the approver's (t-approve.sh).

. tests/lib.sh
make_tmpdir
PKI="$ROOT/tests/fixtures/pki"
mkdir -p "$T/tls"
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
[installer]
poll_interval = 300
[notify]
sendmail = $T/sendmail
[target web]
fullchain = $T/tls/fullchain.pem
key = $T/tls/key.pem
CONF
} >"$T/mailcert.conf"
chmod 0644 "$T/mailcert.conf"
mc() { "$MAILCERT" -c "$T/mailcert.conf" "$@"; }
job_state() { mc show "$1" --json | python3 -c 'import json,sys; j=json.load(sys.stdin)["install_job"]; print(j and j["state"])'; }
wake() { python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(b"wake", sys.argv[1])' "$1"; }

"$MAILCERT" -v -c "$T/mailcert.conf" install --watch 2>"$T/watch.log" &
pid=$!
at_exit "kill $pid 2>/dev/null"
wait_for 5 test -S "$T/run/installer/wake.sock"
check "wake socket bound" test -S "$T/run/installer/wake.sock"
check_eq "wake socket mode 0666" "$(stat -c %a "$T/run/installer/wake.sock")" "666"

id=$(mc order add --domain www.example.com --alt-name example.com --ca sectigo \
	--key "$PKI/leaf-ec.key" --target web)
# The certificate arrives as the intake records it: through mailcert
# deliver, as the intake's user.
msg=$(printf 'From: ca@example.org\nTo: certificates@example.net\nSubject: your certificate\nMessage-ID: <watch.1@example.org>\n\n%s\n' "$(cat "$PKI/www-ec.crt" "$PKI/inter2.crt" "$PKI/inter1.crt")")
printf '%s\n' "$msg" | "$MAILCERT" -c "$T/mailcert.conf" deliver -f ca@example.org certificates@example.net >"$T/deliver.out" 2>&1
check_contains "mailcert deliver records the certificate" "$(cat "$T/deliver.out")" "certificate issued for order $id"
start=$(date +%s%N)
wait_for 5 sh -c "[ \"\$(\"$MAILCERT\" -c '$T/mailcert.conf' show $id --json | python3 -c 'import json,sys; j=json.load(sys.stdin)[\"install_job\"]; print(j and j[\"state\"])')\" = done ]"
took=$(( ($(date +%s%N) - start) / 1000000 ))
check_eq "the wake-up from the intake installs the job" "$(job_state "$id")" "done"
echo "# installed $took ms after the certificate was recorded (poll_interval is 300 s)"
check "the files are written" test -s "$T/tls/fullchain.pem"
check_contains "the installer says where it logs" "$(cat "$T/watch.log")" "logging to standard error"

# A local user's flood of datagrams (the socket is 0666): at most one pass
# a second, whatever arrives.
before=$(grep -c 'installer pass' "$T/watch.log")
python3 - "$T/run/installer/wake.sock" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setblocking(False)
end = time.time() + 3
sent = 0
while time.time() < end:
    try:
        s.sendto(b"wake", sys.argv[1])
        sent += 1
    except BlockingIOError:
        time.sleep(0.0005)
print("# %d datagrams in 3 s" % sent)
PY
passes=$(( $(grep -c 'installer pass' "$T/watch.log") - before ))
echo "# $passes passes during the flood"
check "a flood of wake-ups makes at most one pass a second" test "$passes" -le 4
check "and some (the wake-ups are not ignored)" test "$passes" -ge 2

kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "SIGTERM ends the installer" sh -c "! kill -0 $pid 2>/dev/null"
wait "$pid"
check_eq "it exits with status 0" "$?" "0"
check "the wake socket is removed" test ! -e "$T/run/installer/wake.sock"
