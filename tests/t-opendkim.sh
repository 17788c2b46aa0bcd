# SPDX-License-Identifier: ISC
# t-opendkim - what mailcert believes of the real OpenDKIM's results.
#
# Debian's opendkim runs as a verifying milter on loopback, offline: its
# resolver is libunbound with a configuration of this test's that answers
# the CA's selectors from local-data (and nothing else).  The CA's approval
# mail is signed with opendkim-testmsg: by a key whose selector is in that
# "DNS", by one whose selector is not (a key being rotated in), and by
# both.  miltertest (tests/milter/verifier.lua) hands each to OpenDKIM and
# prints the Authentication-Results field it adds; the field goes on top
# of the mail, as Postfix adds it, and "mailcert parse --json" says
# whether the mail is believed:
#
#   signed by the published key                    believed
#   signed twice, one selector not yet published:
#     one field "ID; dkim=fail ...; dkim=pass ..."  believed (a pass for
#                                                   the CA's domain)
#   signed only by the unpublished key              not believed
#   the twice-signed mail with a second field of ours that fails
#                                                   not believed (fields
#                                                   disagree)
#   AuthservIDWithJobID yes ("ID/JOBID;")           believed

. tests/lib.sh
make_tmpdir

for tool in opendkim opendkim-genkey opendkim-testmsg miltertest python3; do
	command -v "$tool" >/dev/null 2>&1 || { not_ok "$tool is installed" "run tools/install-deps"; exit 1; }
done

mkdir -p "$T/keys" "$T/mails"
for s in old new; do
	opendkim-genkey -D "$T/keys" -d trust-provider.com -s "$s" || { not_ok "keys made" "opendkim-genkey"; exit 1; }
done
# txt_of SELECTOR: the TXT record opendkim-genkey wrote, as unbound's
# local-data takes it: quoted strings of at most 255 bytes
txt_of() {
	python3 - "$T/keys/$1.txt" <<'PY'
import re, sys
text = "".join(re.findall(r'"([^"]*)"', open(sys.argv[1]).read()))
# opendkim-testmsg signs with rsa-sha1: the record must not restrict h=
text = text.replace("h=sha256; ", "")
print(" ".join('"%s"' % text[i:i + 250] for i in range(0, len(text), 250)))
PY
}
cat >"$T/unbound.conf" <<CONF
server:
	module-config: "iterator"
	do-ip6: no
	local-zone: "trust-provider.com." static
	local-data: 'old._domainkey.trust-provider.com. 60 IN TXT $(txt_of old)'
CONF

# opendkim_start CONFNAME [EXTRA LINES]: a verifier on a free port
opendkim_start() {
	_port=$(free_port)
	{
		printf 'Mode v\nSocket inet:%s@127.0.0.1\nAuthservID mx.example.net\n' "$_port"
		printf 'ResolverConfiguration %s\nBackground no\nSyslog no\nPidFile %s/%s.pid\n' \
			"$T/unbound.conf" "$T" "$1"
		printf 'AlwaysAddARHeader yes\nInternalHosts -\n'
		[ "$(id -u)" -eq 0 ] && printf 'UserID opendkim\n'
		shift
		printf '%s\n' "$@"
	} >"$T/opendkim.conf"
	chmod 0644 "$T/opendkim.conf" "$T/unbound.conf"
	opendkim -f -x "$T/opendkim.conf" >"$T/opendkim.log" 2>&1 &
	OPENDKIM_PID=$!
	at_exit "kill $OPENDKIM_PID 2>/dev/null"
	OPENDKIM_SOCKET="inet:$_port@127.0.0.1"
	wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $_port), 1)"
}
opendkim_stop() { kill "$OPENDKIM_PID" 2>/dev/null; wait "$OPENDKIM_PID" 2>/dev/null; }

# The CA's approval mail, without any Authentication-Results, signed.
python3 "$ROOT/tests/attacks/make-mails" "$T/mails"
grep -v '^Authentication-Results:' "$T/mails/match-ours.eml" | tr -d '\r' >"$T/plain.eml"
sign() { opendkim-testmsg -d trust-provider.com -s "$1" -k "$T/keys/$1.private" <"$2" >"$3"; }
sign old "$T/plain.eml" "$T/signed-old.eml" && sign new "$T/signed-old.eml" "$T/signed-both.eml" \
	&& sign new "$T/plain.eml" "$T/signed-new.eml"
check_eq "signed twice: two DKIM-Signature fields" "$(grep -c '^DKIM-Signature:' "$T/signed-both.eml")" "2"

# verified NAME: the field OpenDKIM adds to NAME
verified() {
	miltertest -D socket="$OPENDKIM_SOCKET" -D eml="$T/$1.eml" -s tests/milter/verifier.lua 2>"$T/$1.err"
}
# believed FILE: mailcert's authenticated verdict of FILE
cat >"$T/mailcert.conf" <<CONF
[milter]
user = $(test_user)
authserv_id = mx.example.net
CONF
chmod 0644 "$T/mailcert.conf"
believed() {
	"$MAILCERT" -c "$T/mailcert.conf" parse --json "$1" \
		| python3 -c 'import json,sys; print(json.load(sys.stdin)["authenticated"])'
}
# with_field FIELD IN OUT: IN with "Authentication-Results: FIELD" on top
with_field() { { printf 'Authentication-Results: %s\n' "$1"; cat "$2"; } >"$3"; }

opendkim_start plain
for name in signed-old signed-both signed-new; do
	field=$(verified "$name" | tr -d '\r')
	printf '%s\n' "$field" >"$T/$name.field"
	with_field "$field" "$T/$name.eml" "$T/$name.ar.eml"
done
check_contains "OpenDKIM: the published key passes" "$(cat "$T/signed-old.field")" "dkim=pass"
both=$(cat "$T/signed-both.field")
check_contains "OpenDKIM: signed twice, one field of two results: a fail" "$both" "dkim=fail"
check_contains "and a pass" "$both" "dkim=pass"
check_eq "mailcert believes the mail signed by the published key" "$(believed "$T/signed-old.ar.eml")" "True"
check_eq "mailcert believes the twice-signed mail (a pass for the CA in our verifier's one field)" \
	"$(believed "$T/signed-both.ar.eml")" "True"
check_eq "mailcert does not believe the mail signed only by an unpublished key" \
	"$(believed "$T/signed-new.ar.eml")" "False"
with_field "$(cat "$T/signed-new.field")" "$T/signed-both.ar.eml" "$T/two-fields.eml"
check_eq "two fields of our verifier that disagree are not believed" "$(believed "$T/two-fields.eml")" "False"
opendkim_stop

opendkim_start jobid "AuthservIDWithJobID yes"
field=$(verified signed-old | tr -d '\r')
check_contains "AuthservIDWithJobID: the field names ID/JOBID" "$field" "mx.example.net/"
with_field "$field" "$T/signed-old.eml" "$T/jobid.eml"
check_eq "mailcert believes it" "$(believed "$T/jobid.eml")" "True"
opendkim_stop
