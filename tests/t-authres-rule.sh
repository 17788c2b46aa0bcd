# SPDX-License-Identifier: ISC
# t-authres-rule - the documented Postfix rule against forged
# Authentication-Results (contrib/postfix/header_checks.mailcert) and the
# parser agree: for every spelling of a header that names our authserv-id
# (the plain one, a space or tab before the colon, a comment or quotes
# before the id, the id in a comment, folded, another case), postmap -q
# says the rule removes it; the parser believes only the plain one, and
# refuses a mail with any other spelling; two plain results that disagree
# are not believed.  The real delivery through Postfix is in
# t-milter-postfix.sh.

. tests/lib.sh
make_tmpdir
RULE=contrib/postfix/header_checks.mailcert
command -v postmap >/dev/null 2>&1 || { not_ok "postmap is installed" "make deps"; exit 1; }
# (parse, run as root, parses as [milter] user)
cat >"$T/mailcert.conf" <<CONF
[milter]
authserv_id = mx.example.net
user = $(test_user)
CONF
chmod 0644 "$T/mailcert.conf"
PASS="dkim=pass header.d=trust-provider.com"
mkdir "$T/pf"
: >"$T/pf/main.cf"
postmap_q() { postmap -c "$T/pf" -q - "regexp:$RULE" 2>&1 | awk -F'\t' '{ print $NF }'; }

# with_header FILE HEADER... - the approval fixture without its own
# Authentication-Results, with these instead
with_header() {
	_out=$1
	shift
	python3 - "$_out" "$@" <<'PY'
import sys
out, headers = sys.argv[1], sys.argv[2:]
lines = open("tests/fixtures/approval-sectigo-plain.eml", newline="").read().split("\n")
kept, skipping = [], False
for line in lines:
    if line.lower().startswith("authentication-results"):
        skipping = True
        continue
    if skipping and line[:1] in (" ", "\t"):
        continue
    skipping = False
    kept.append(line)
kept[1:1] = [h.replace("\\n", "\n") for h in headers]
open(out, "w", newline="").write("\n".join(kept))
PY
}

# variant NAME HEADER-LINE - one spelling; postmap and the parser
i=0
variant() {
	i=$((i + 1))
	got=$(printf '%s\n' "$2" | postmap_q)
	check_contains "the rule removes: $1" "$got" "IGNORE"
	with_header "$T/v$i.eml" "$2"
	believed=$("$MAILCERT" -c "$T/mailcert.conf" parse --json "$T/v$i.eml" \
		| python3 -c 'import json,sys; print(json.load(sys.stdin)["authenticated"])')
}

variant "the plain form" "Authentication-Results: mx.example.net; $PASS"
check_eq "the parser believes the plain form" "$believed" "True"
variant "no space after the colon" "Authentication-Results:mx.example.net; $PASS"
check_eq "the parser believes it too" "$believed" "True"
variant "another case" "authentication-results: MX.Example.NET; $PASS"
check_eq "the parser believes another case" "$believed" "True"
for v in \
	"a space before the colon|Authentication-Results : mx.example.net; $PASS" \
	"a tab before the colon|Authentication-Results	: mx.example.net; $PASS" \
	"a comment before the id|Authentication-Results: (verified) mx.example.net; $PASS" \
	"a quoted id|Authentication-Results: \"mx.example.net\"; $PASS" \
	"the id in a comment|Authentication-Results: other.example; $PASS (by mx.example.net)" \
	"the id after a version|Authentication-Results: 1 mx.example.net; $PASS"; do
	variant "${v%%|*}" "${v#*|}"
	check_eq "the parser does not believe ${v%%|*}" "$believed" "False"
done

# Two plain results that disagree.
with_header "$T/two.eml" "Authentication-Results: mx.example.net; $PASS" \
	"Authentication-Results: mx.example.net; dkim=fail header.d=trust-provider.com"
out=$("$MAILCERT" -c "$T/mailcert.conf" parse --json "$T/two.eml")
check_eq "two results of ours that disagree are not believed" \
	"$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["authenticated"])')" "False"
check_contains "and the reason says so" "$out" "disagree"

# An upstream host's result, not ours, is left alone by the rule.
got=$(printf 'Authentication-Results: relay.example.org; dkim=pass header.d=x.example\n' | postmap_q)
check_eq "the rule leaves other hosts' results" "$got" ""
exit 0
