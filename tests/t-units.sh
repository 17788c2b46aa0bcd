# SPDX-License-Identifier: ISC
# t-units - the shipped systemd units, the way systemd runs them: each
# unit's ExecStart with its User= (the test's role user stands for
# mailcert and mailcert-approver), its UMask=, no new privileges, its
# runtime and state directories (tests/lib.sh mailcert_dirs); then the
# flow from an approval and a certificate mail through the milter to the
# approver's notice and the installed certificate, the mail going over
# SMTP ([notify] smtp, since a unit without new privileges cannot run
# Postfix's setgid postdrop) into smtp-sink.  And each unit's exposure
# as systemd-analyze security rates it.

. tests/lib.sh
make_tmpdir
PKI="$ROOT/tests/fixtures/pki"
C="$ROOT/contrib/postfix"
for tool in miltertest smtp-sink setpriv; do
	command -v "$tool" >/dev/null 2>&1 || { not_ok "$tool is installed" "run tools/install-deps"; exit 1; }
done

# Exposure ---------------------------------------------------------------------------
if command -v systemd-analyze >/dev/null 2>&1; then
	exposure() { systemd-analyze security --offline=yes "$C/$1" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'; }
	for u in mailcert-milter.service:2.5 mailcert-approver.service:2.5 mailcert-fetch.service:2.5 \
		mailcert-installer.service:5.0; do
		level=$(exposure "${u%%:*}")
		check "${u%%:*}: exposure $level, at most ${u##*:}" \
			python3 -c "import sys; sys.exit(0 if $level <= ${u##*:} else 1)"
	done
else
	not_ok "systemd-analyze is installed" "run tools/install-deps"
fi

# The instance ------------------------------------------------------------------------
user=$(test_user)
group=$(id -gn "$user")
mailcert_dirs "$user"
mkdir -p "$T/tls"
. "$C/instance.sh"
sink_port=$(free_port)
pf_sink_start "$T" "$sink_port" || { not_ok "smtp-sink started" "$(cat "$T/sink.log")"; exit 1; }
at_exit "kill $PF_SINK_PID 2>/dev/null"
{
	base_config "$user"
	cat <<CONF
[milter]
socket = unix:$T/run/milter/milter.sock
socket_group = $group
authserv_id = mx.example.net
watch_addresses = certificates@example.net
[ca]
trust_store = $PKI/root.crt
[notify]
smtp = smtp://127.0.0.1:$sink_port
from = mailcert@example.net
[approve]
mode = notify
[target web]
fullchain = $T/tls/fullchain.pem
key = $T/tls/key.pem
CONF
} >"$T/mailcert.conf"
chmod 0644 "$T/mailcert.conf"
mc() { "$MAILCERT" -c "$T/mailcert.conf" "$@"; }

# unit_start UNIT LOG: its ExecStart, as systemd would run it; sets started
unit_start() {
	_exec=$(sed -n 's/^ExecStart=//p' "$C/$1" | sed -e "s|/usr/local/sbin/mailcert-milter|$MILTER|" \
		-e "s|/usr/local/bin/mailcert|$MAILCERT|" -e "s|/etc/mailcert/mailcert.conf|$T/mailcert.conf|")
	_umask=$(sed -n 's/^UMask=//p' "$C/$1")
	if grep -q '^User=' "$C/$1"; then
		(umask "${_umask:-0022}"; exec setpriv --no-new-privs --reuid="$user" --regid="$group" --clear-groups \
			-- $_exec) >"$T/$2" 2>&1 &
	else
		(umask "${_umask:-0022}"; exec $_exec) >"$T/$2" 2>&1 &
	fi
	started=$!
}
# The guide's order: the units start before the first order, when root has
# made no order book yet; each reads a missing one as empty and keeps running.
[ "$(ledger_backend)" = sqlite ] && check "no order book yet" test ! -e "$T/orders.db"
unit_start mailcert-milter.service milter.log
milter_pid=$started
at_exit "kill $milter_pid 2>/dev/null"
unit_start mailcert-approver.service approver.log
approver_pid=$started
at_exit "kill $approver_pid 2>/dev/null"
check "the milter starts before the first order" wait_for 10 test -S "$T/run/milter/milter.sock"
check "the approver starts before the first order" wait_for 10 test -S "$T/run/approver/wake.sock"
listed=$(as_user "$user" "$MAILCERT" -c "$T/mailcert.conf" orders 2>&1); rc=$?
check_eq "mailcert orders, before the first order, exits 0" "$rc" "0"
check_contains "and lists none" "$listed" "DOMAIN"
check "the milter is still running" kill -0 "$milter_pid"
check "the approver is still running" kill -0 "$approver_pid"
unit_start mailcert-installer.service installer.log
installer_pid=$started
at_exit "kill $installer_pid 2>/dev/null"
check "the milter listens on its unit's runtime directory" wait_for 10 test -S "$T/run/milter/milter.sock"
check "the approver binds its wake socket" wait_for 10 test -S "$T/run/approver/wake.sock"
check "the installer binds its wake socket" wait_for 10 test -S "$T/run/installer/wake.sock"
check_eq "the milter's socket is the user's, group $group, 0660" \
	"$(stat -c '%U %G %a' "$T/run/milter/milter.sock")" "$user $group 660"
id=$(mc order add --domain www.example.com --alt-name example.com --ca sectigo --ca-order 1234567890 \
	--key "$PKI/leaf-ec.key" --target web --contact ops@example.com)

# The flow -------------------------------------------------------------------------------
mkdir -p "$T/mails"
python3 "$ROOT/tests/attacks/make-mails" "$T/mails"
sed -e 's/example\.com/www.example.com/g' "$T/mails/match-ours.eml" >"$T/mails/approval.eml"
printf 'From: ca@example.org\r\nTo: certificates@example.net\r\nSubject: your certificate\r\nMessage-ID: <units.1@example.org>\r\n\r\n%s\r\n' \
	"$(cat "$PKI/www-ec.crt" "$PKI/inter2.crt" "$PKI/inter1.crt")" >"$T/mails/cert.eml"
send() {
	miltertest -D socket="unix:$T/run/milter/milter.sock" -D eml="$T/mails/$1.eml" -D rcpt="$2" \
		-s tests/milter/eml.lua 2>"$T/$1.err"
}
# (the milter's watch set takes up to a second to see the book root made
# and the new order in it; an unwatched mail gets no header, and is tried again)
approval_taken() { timeout 5 miltertest -D socket="unix:$T/run/milter/milter.sock" -D eml="$T/mails/approval.eml" \
	-D rcpt=admin@www.example.com -s tests/milter/eml.lua 2>/dev/null | grep -q "approval recorded for order $id"; }
check "the approval mail is recorded, the order book made after the milter started" wait_for 10 approval_taken
check "the approver, woken, mails the contact over SMTP" wait_for 10 sh -c "grep -l 'To: ops@example.com' '$T'/sink/msg.* >/dev/null 2>&1"
notice=$(grep -l 'To: ops@example.com' "$T"/sink/msg.* 2>/dev/null | head -1)
check_contains "the notice holds the link" "$(cat "$notice" 2>/dev/null)" \
	"https://secure.trust-provider.com/products/EnterDCVCode?orderNumber=1234567890"
check_contains "the certificate mail is recorded" "$(send cert certificates@example.net)" \
	"certificate issued for order $id"
wait_for 10 test -s "$T/tls/fullchain.pem"
check_eq "the installer, woken, installs it" \
	"$(openssl x509 -in "$T/tls/fullchain.pem" -noout -serial 2>/dev/null)" \
	"$(openssl x509 -in "$PKI/www-ec.crt" -noout -serial)"
check "and mails its confirmation" wait_for 10 sh -c "grep -l 'installed on' '$T'/sink/msg.* >/dev/null 2>&1"
check_contains "check-config says whose certificate the target holds" "$(mc check-config 2>/dev/null)" \
	"no open order; order $id (www.example.com) installed, its certificate expires"

# Reload -----------------------------------------------------------------------------
# Each unit's ExecReload, as systemd runs it: a target added to the file
# reaches the running installer; a file that does not load is named and
# the daemons go on with what they run with.
for u in mailcert-milter.service mailcert-approver.service mailcert-installer.service mailcert-fetch.service; do
	check_contains "$u has ExecReload" "$(sed -n 's/^ExecReload=//p' "$C/$u")" 'kill -HUP $MAINPID'
done
unit_reload() { sh -c "$(sed -n 's/^ExecReload=//p' "$C/$1" | sed "s/\$MAINPID/$2/")"; }
mkdir -p "$T/tls2"
cp "$T/mailcert.conf" "$T/mailcert.conf.good"
printf '[target web2]\nfullchain = %s\nkey = %s\n' "$T/tls2/fullchain.pem" "$T/tls2/key.pem" >>"$T/mailcert.conf"
unit_reload mailcert-milter.service "$milter_pid"
unit_reload mailcert-approver.service "$approver_pid"
unit_reload mailcert-installer.service "$installer_pid"
check "the installer starts again with the new file" wait_for 10 grep -q "the installer starts again with it" "$T/installer.log"
served_web2() { mc installers --json | python3 -c 'import json,sys
r=json.load(sys.stdin); sys.exit(0 if any("web2" in i["targets"] for i in r["installers"] if i["state"]=="live") else 1)'; }
check "and serves the target added to it" wait_for 10 served_web2
check "the approver starts again with it" wait_for 10 grep -q "the approver starts again with it" "$T/approver.log"
check_eq "and waits again" "$(grep -c 'approver waiting on' "$T/approver.log")" "2"
check "the milter reloads it" wait_for 10 grep -q "configuration and CA profiles reloaded" "$T/milter.log"
# two reloads at once: the second, arriving while the new image starts,
# waits for it instead of ending it
restarts() { grep -c "the installer starts again with it" "$T/installer.log"; }
before=$(restarts)
kill -HUP "$installer_pid"
wait_for 10 test "$(restarts)" -gt "$before"
kill -HUP "$installer_pid"	# while the new image starts
check "two SIGHUPs at once: the installer starts again" wait_for 10 test "$(restarts)" -gt "$before"
check "and is still there, waiting" wait_for 10 sh -c "[ \$(grep -c 'installer waiting on' '$T/installer.log') -ge $((before + 3)) ]"
check "(the same process)" kill -0 "$installer_pid"
printf '[target web3]\nfullchain = relative/path.pem\n' >>"$T/mailcert.conf"
unit_reload mailcert-installer.service "$installer_pid"
unit_reload mailcert-approver.service "$approver_pid"
check "a file that does not load: the installer names what is wrong and keeps running" \
	wait_for 10 grep -q "mailcert.conf:.*the installer keeps the configuration it runs with" "$T/installer.log"
check "and so does the approver" \
	wait_for 10 grep -q "mailcert.conf:.*the approver keeps the configuration it runs with" "$T/approver.log"
for p in $milter_pid $approver_pid $installer_pid; do
	check "process $p runs on after the reloads" kill -0 "$p"
done
cp "$T/mailcert.conf.good" "$T/mailcert.conf"

if [ "$(ledger_backend)" = sqlite ]; then
	check_eq "the intake's ledger is the user's, group-shared" "$(stat -c '%U %a' "$T/intake/ledger.db")" "$user 660"
else
	check "the ledger is PostgreSQL's: no intake file was made" test ! -e "$T/intake/ledger.db"
fi
# (ended: gone, or a zombie its parent, this shell, has not waited for)
ended() { _st=$(ps -o stat= -p "$1"); [ -z "$_st" ] || [ "${_st#Z}" != "$_st" ]; }
for p in $milter_pid $approver_pid $installer_pid; do kill -TERM "$p"; done
check "the milter ends within 2 s of SIGTERM (libmilter alone takes 5)" wait_for 2 ended "$milter_pid"
for p in $milter_pid $approver_pid $installer_pid; do
	wait "$p"
	check_eq "process $p ends cleanly on SIGTERM" "$?" "0"
done
