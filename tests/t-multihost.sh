# SPDX-License-Identifier: ISC
# t-multihost - one PostgreSQL ledger, two MX hosts and several web hosts,
# as a provider runs them.  Each "host" has its own configuration, and the
# web hosts their own key and target directories and state; the installers
# run in UTS namespaces of their own (unshare --uts), so each has its own
# host name, as they would on their own machines.
#
#	mx1, mx2	mailcert-milter (driven by miltertest), [milter] user
#	web1		installer of target web1 (order 1's key, made there)
#	web2		installer of target web2 (order 2's key, made there)
#	web1b		a standby for target web1 on another host, without the
#			key at first
#
# Checked: the keys stay on their web host and out of the ledger; the same
# approval mail and the same certificate mail through both milters have one
# effect; each installer, woken through LISTEN/NOTIFY (they poll every 300
# s), installs only its own target's certificate; installers are listed
# live, stopped or missing (mailcert installers, orders, show, check-config);
# an installer SIGKILLed in the middle of a job leaves it to another host
# only after its lease, which installs it once, and an installer without
# the order's key says so in the order's events and installs nothing.

. tests/lib.sh
make_tmpdir
PKI="$ROOT/tests/fixtures/pki"

for tool in miltertest openssl python3 unshare; do
	command -v "$tool" >/dev/null 2>&1 || { not_ok "$tool is installed" "run tools/install-deps"; exit 1; }
done
if [ "$(id -u)" -ne 0 ]; then
	not_ok "runs as root" "the test's PostgreSQL and host namespaces are started by root"
	exit 1
fi

PG="$T/pg"
if PG_CLUSTER_OWNER_PID=$$ "$ROOT/tests/pg-cluster" start "$PG" >"$T/pg-start.log" 2>&1 \
	&& "$ROOT/tests/pg-cluster" newdb "$PG" site; then
	ok "a private PostgreSQL started"
else
	not_ok "a private PostgreSQL started" "$(cat "$T/pg-start.log")"
	exit 1
fi
at_exit "'$ROOT/tests/pg-cluster' stop '$PG'"
psql_site() { "$ROOT/tests/pg-cluster" psql "$PG" site root -At -F'|' -c "$1"; }

user=$(test_user)
set -- $(python3 -c 'import socket
s = [socket.socket() for i in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
port1=$1 port2=$2

# host_config HOST: the configuration of one host, in $T/HOST/mailcert.conf
# (what every host has: the ledger and the CA; then the host's own part)
host_config() {
	mkdir -p "$T/$1/keys" "$T/$1/state" "$T/$1/run" "$T/$1/tls"
	chmod 0700 "$T/$1/keys" "$T/$1/state"
	cat >"$T/$1/mailcert.conf" <<CONF
[milter]
user = $user
spool_dir = $T/$1/spool
authserv_id = mx.example.net
watch_addresses = certificates@example.net
[ledger]
url = postgresql:///site?host=$PG
[ca]
trust_store = $PKI/root.crt
[approve]
user = $user
mode = manual
wake_socket = $T/$1/run/approver.sock
[notify]
sendmail = /bin/true
[installer]
key_dir = $T/$1/keys
state_dir = $T/$1/state
wake_socket = $T/$1/run/installer.sock
poll_interval = 300
lease = 6
retry_base = 1
CONF
	cat >>"$T/$1/mailcert.conf"
	chmod 0644 "$T/$1/mailcert.conf"
}
mkdir -p "$T/mx1/spool" "$T/mx2/spool"
chown "$user" "$T/mx1/spool" "$T/mx2/spool"
chmod 0700 "$T/mx1/spool" "$T/mx2/spool"
host_config mx1 </dev/null
host_config mx2 </dev/null
for h in 1 2; do
	port=$(eval echo "\$port$h")
	python3 - "$T/mx$h/mailcert.conf" "$port" <<'PY'
import sys
path, port = sys.argv[1], sys.argv[2]
text = open(path).read().replace("[milter]\n", "[milter]\nsocket = inet:%s@127.0.0.1\n" % port, 1)
open(path, "w").write(text)
PY
done
cat >"$T/slow-reload" <<'EOF'
#!/bin/sh
# a reload that hangs (until the test ends it): the installer is killed
# while it runs; its PID (exec keeps it) tells the test what to end
echo $$ >"$(dirname "$0")/reload-started"
exec sleep 60
EOF
chmod 0755 "$T/slow-reload"
host_config web1 <<CONF
[target web1]
fullchain = $T/web1/tls/fullchain.pem
key = $T/web1/tls/key.pem
CONF
host_config web2 <<CONF
[target web2]
fullchain = $T/web2/tls/fullchain.pem
key = $T/web2/tls/key.pem
CONF
host_config web1b <<CONF
[target web1]
fullchain = $T/web1b/tls/fullchain.pem
key = $T/web1b/tls/key.pem
CONF

on() { _h=$1; shift; "$MAILCERT" -c "$T/$_h/mailcert.conf" "$@"; }
check "ledger init, once, from one host" on mx1 ledger init

# Keys stay home ----------------------------------------------------------------------
on web1 order new --domain www.example.com --alt-name example.com --ca sectigo \
	--ca-order 1234567890 --target web1 >"$T/o1.csr" 2>"$T/o1.err"
on web2 order new --domain shop.example.com --ca sectigo --target web2 >"$T/o2.csr" 2>"$T/o2.err"
check_contains "web1 makes order 1's key" "$(cat "$T/o1.err")" "order 1 recorded"
check_contains "web2 makes order 2's key" "$(cat "$T/o2.err")" "order 2 recorded"
check_eq "each key is in its own host's key_dir only" \
	"$(ls "$T/web1/keys" | wc -l) $(ls "$T/web2/keys" | wc -l) $(ls "$T/web1b/keys" | wc -l)" "1 1 0"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | tail -n 1)
"$PGBIN/pg_dump" -h "$PG" -U root -d site >"$T/dump.sql"
key_body=$(sed -n 2p "$T/web1/keys/"*)
check "the ledger holds no private key" sh -c "! grep -q -e 'PRIVATE KEY' -e '$key_body' '$T/dump.sql'"
check_eq "it holds the keys' hashes" \
	"$(psql_site "SELECT count(*) FROM book.orders WHERE length(key_sha256) = 64")" "2"

# sign N: order N's certificate from its CSR, by the test CA
sign() {
	printf 'basicConstraints = critical, CA:false\nextendedKeyUsage = serverAuth\nsubjectAltName = %s\n' \
		"$2" >"$T/ext$1"
	openssl x509 -req -in "$T/o$1.csr" -CA "$PKI/inter2.crt" -CAkey "$PKI/inter2.key" \
		-set_serial "0x$(openssl rand -hex 8)" -days 90 -extfile "$T/ext$1" -out "$T/cert$1.pem" 2>/dev/null
	printf 'From: ca@example.org\nTo: certificates@example.net\nSubject: your certificate\nMessage-ID: <cert%s.%s@example.org>\n\n%s\n' \
		"$1" "$(openssl rand -hex 4)" "$(cat "$T/cert$1.pem" "$PKI/inter2.crt" "$PKI/inter1.crt")" >"$T/cert$1.eml"
}
sign 1 "DNS:www.example.com, DNS:example.com"
sign 2 "DNS:shop.example.com"
serial() { openssl x509 -in "$1" -noout -serial 2>/dev/null; }

# The hosts start ---------------------------------------------------------------------
"$MILTER" -c "$T/mx1/mailcert.conf" -f >"$T/mx1.log" 2>&1 &
mx1_pid=$!
"$MILTER" -c "$T/mx2/mailcert.conf" -f >"$T/mx2.log" 2>&1 &
mx2_pid=$!
at_exit "kill $mx1_pid $mx2_pid 2>/dev/null"
# installer HOST: the installer daemon of HOST, with HOST as its host name
installer() {
	unshare --uts sh -c "hostname $1 && exec '$MAILCERT' -c '$T/$1/mailcert.conf' install --watch" \
		>>"$T/$1.log" 2>&1 &
	eval "${1}_pid=\$!"
	at_exit "kill $! 2>/dev/null"
}
installer web1
installer web2
wait_for 10 grep -q "listening on" "$T/mx1.log" && wait_for 10 grep -q "listening on" "$T/mx2.log" \
	|| { not_ok "the milters started" "$(cat "$T/mx1.log" "$T/mx2.log")"; exit 1; }
both_live() { on mx1 installers >"$T/installers.out"; }
check "mailcert installers: both web hosts live, every target served (exit 0)" wait_for 10 both_live
check_contains "it names web1's installer and its target" "$(cat "$T/installers.out")" "web1:$T/web1/mailcert.conf"
check "web1 serves web1, web2 web2" sh -c "grep -q '^web1:.* live .* web1\$' '$T/installers.out' \
	&& grep -q '^web2:.* live .* web2\$' '$T/installers.out'"

# send MX EML RCPT: the milter's answer
n=0
send() {
	n=$((n + 1))
	_port=$(eval echo "\$port${1#mx}")
	miltertest -D socket="inet:$_port@127.0.0.1" -D eml="$2" -D rcpt="$3" -D qid="Q$n" \
		-s tests/milter/reply.lua 2>"$T/send.$n.err"
}

# The same mail through both MX hosts ---------------------------------------------------
mkdir -p "$T/mails"
python3 "$ROOT/tests/attacks/make-mails" "$T/mails"
check_contains "mx1 records the approval" "$(send mx1 "$T/mails/match-ours.eml" admin@example.com)" \
	"approval recorded for order 1"
check_contains "mx2 takes the same mail" "$(send mx2 "$T/mails/match-ours.eml" admin@example.com)" "accept"
check_eq "one approval in the ledger" "$(psql_site "SELECT count(*) FROM intake.approvals")" "1"
check_eq "one approval waits for the operator" \
	"$(on mx1 approvals --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "1"

# both at once, as two MX hosts that each got a copy
send mx1 "$T/cert1.eml" certificates@example.net >"$T/cert1.mx1" &
s1=$!
n=100	# (in the background each send counts in a subshell: its own queue id)
send mx2 "$T/cert1.eml" certificates@example.net >"$T/cert1.mx2" &
wait "$s1" $!
check_contains "mx1 and mx2 take order 1's certificate at once: one says issued" \
	"$(cat "$T/cert1.mx1" "$T/cert1.mx2")" "certificate issued for order 1"
check "both accept it" sh -c "grep -q '^accept' '$T/cert1.mx1' && grep -q '^accept' '$T/cert1.mx2'"
check "web1's installer, woken through the database, installs it" \
	wait_for 10 test -s "$T/web1/tls/fullchain.pem"
check_eq "its certificate" "$(serial "$T/web1/tls/fullchain.pem")" "$(serial "$T/cert1.pem")"
wait_for 5 sh -c "[ \"\$(grep -c 'new install job' '$T/web1.log')\" -ge 1 ]"
check_eq "one certificate row, one install job" \
	"$(psql_site "SELECT (SELECT count(*) FROM intake.certificates) || ' ' || (SELECT count(*) FROM book.installs)")" "1 1"
check_eq "installed once" "$(psql_site "SELECT count(*) FROM book.events WHERE kind = 'installed'")" "1"
check_contains "by web1" "$(psql_site "SELECT detail FROM book.events WHERE kind = 'install_attempt'")" \
	"installer web1:"

check_contains "mx2 takes order 2's certificate" "$(send mx2 "$T/cert2.eml" certificates@example.net)" \
	"certificate issued for order 2"
check "web2's installer installs it" wait_for 10 test -s "$T/web2/tls/fullchain.pem"
check_eq "its certificate" "$(serial "$T/web2/tls/fullchain.pem")" "$(serial "$T/cert2.pem")"
check_eq "and nothing else was written on any web host" \
	"$(cd "$T" && find web1/tls web2/tls web1b/tls -type f | sort | tr '\n' ' ')" \
	"web1/tls/fullchain.pem web1/tls/key.pem web2/tls/fullchain.pem web2/tls/key.pem "

# Who is alive ----------------------------------------------------------------------
kill -TERM "$web2_pid"
wait "$web2_pid"
on mx1 installers >"$T/installers.out"
check_eq "web2 stopped: mailcert installers exits 1" "$?" "1"
check "web2 is listed as stopped" grep -q '^web2:.* stopped ' "$T/installers.out"
check_contains "and its target as unserved, with the order that waits" "$(cat "$T/installers.out")" \
	"target web2: no live installer serves it; 1 order waits (order 2)"
check "mailcert orders marks order 2" sh -c "'$MAILCERT' -c '$T/mx1/mailcert.conf' orders \
	| grep -q '^2 .*installed \*'"
check_contains "mailcert show says so" "$(on mx1 show 2)" "no live installer serves it"
check_eq "show --json too" "$(on mx1 show 2 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["waits_for_installer"])')" "True"
check_contains "check-config warns" "$(on mx1 check-config 2>/dev/null)" \
	"warning: target web2: no live installer serves it"
installer web2
check "started again, it is live" wait_for 10 sh -c "'$MAILCERT' -c '$T/mx1/mailcert.conf' installers >/dev/null"

# Killed in the middle of a job: another host takes it after the lease ------------
cat >>"$T/web1/mailcert.conf" <<CONF
reload_command = $T/slow-reload
CONF
kill -TERM "$web1_pid"
wait "$web1_pid"
installer web1
sign 1 "DNS:www.example.com, DNS:example.com"	# the renewed certificate, for the same key
check_contains "a newer certificate for order 1" "$(send mx1 "$T/cert1.eml" certificates@example.net)" \
	"certificate issued for order 1"
check "web1 takes the job and runs its reload" wait_for 10 test -s "$T/reload-started"
kill -KILL "$web1_pid"
kill "$(cat "$T/reload-started")" 2>/dev/null	# the hung reload, and nothing else
check_eq "the job is left running, leased to web1" \
	"$(psql_site "SELECT state || ' ' || split_part(claimed_by, ':', 1) FROM book.installs ORDER BY id DESC LIMIT 1")" \
	"running web1"
lease_until=$(psql_site "SELECT lease_until FROM book.installs ORDER BY id DESC LIMIT 1")
installer web1b
check "web1b (without the key) takes it after the lease" \
	wait_for 20 sh -c "grep -q 'not in \[installer\] key_dir' '$T/web1b.log'"
check "not before web1's lease ran out" test \
	"$(psql_site "SELECT min(at) FROM book.events WHERE detail LIKE '%(installer web1b:%'")" -gt "$lease_until"
check_contains "the order's events say which installer lacks the key" \
	"$(psql_site "SELECT detail FROM book.events WHERE order_id = 1 ORDER BY id")" \
	"installer web1b:"
check_contains "and why" "$(on mx1 ledger --order 1)" "the order's key is not in [installer] key_dir"
check_eq "nothing was written on web1b" "$(ls "$T/web1b/tls")" ""
cp -p "$T/web1/keys/"* "$T/web1b/keys/"
check "given the key, web1b installs it" wait_for 20 test -s "$T/web1b/tls/fullchain.pem"
check_eq "the renewed certificate" "$(serial "$T/web1b/tls/fullchain.pem")" "$(serial "$T/cert1.pem")"
check_eq "the job is done" \
	"$(psql_site "SELECT state FROM book.installs ORDER BY id DESC LIMIT 1")" "done"
check_eq "installed once: three installs in all, one per certificate and target" \
	"$(psql_site "SELECT count(*) FROM book.events WHERE kind = 'installed'")" "3"
kill -TERM "$web1b_pid" "$web2_pid" "$mx1_pid" "$mx2_pid" 2>/dev/null
