# SPDX-License-Identifier: ISC
# t-contrib-postfix - what contrib/postfix/ hands a Postfix administrator
# stays true to the code: the example configuration documents every key
# of lib/config.c and loads; main.cf.snippet has the lines that keep mail
# flowing; the units and the demo are well-formed; the man page exists.

. tests/lib.sh
make_tmpdir
C=contrib/postfix

# Every key of config_keys[] and target_keys[] appears in the example.
missing=""
for key in $(sed -n 's/^[[:space:]]*{"\([a-z]*\)", "\([a-z_]*\)", CT_.*/\1.\2/p' lib/config.c); do
	section=${key%%.*}
	name=${key#*.}
	if [ "$section" = target ] || [ "$section" = imap ]; then
		grep -Eq "^#?[[:space:]]*$name = |^#[[:space:]]+$name = " "$C/mailcert.conf.example" || missing="$missing $key"
	else
		awk -v s="[$section]" -v n="$name" '
			/^\[/ { in_s = ($0 == s) }
			in_s && ($0 ~ "^#?" n " = ") { found = 1 }
			END { exit !found }' "$C/mailcert.conf.example" || missing="$missing $key"
	fi
done
check_eq "mailcert.conf.example documents every configuration key" "${missing# }" ""

out=$("$MAILCERT" -c "$C/mailcert.conf.example" check-config --file-only 2>&1)
check_contains "mailcert.conf.example loads" "$out" ": ok"
# On a machine without the users, the directories and nginx, the full
# check names each thing to make.
out=$("$MAILCERT" -c "$C/mailcert.conf.example" check-config 2>&1)
if ! id mailcert >/dev/null 2>&1; then
	check_contains "check-config says which user to make" "$out" "adduser --system mailcert"
fi
# With every default written out, the file still loads: the documented
# defaults are values the code accepts.  ([ledger] url has no default and
# excludes path and orders: it is left out.)
mkdir "$T/profiles"
sed -e '/^#url = postgresql:/d' -e 's/^#\([a-z_]* = \)/\1/' -e 's/^#\(\[\(imap\|target\) .*\]\)$/\1/' -e "s|^profiles = .*|profiles = $T/profiles|" \
	"$C/mailcert.conf.example" >"$T/all.conf"
out=$("$MAILCERT" -c "$T/all.conf" check-config --file-only 2>&1)
check_contains "mailcert.conf.example with every default uncommented loads" "$out" ": ok"

snippet=$(cat "$C/main.cf.snippet")
check_contains "snippet: smtpd_milters" "$snippet" "
smtpd_milters = "
check_contains "snippet: non_smtpd_milters" "$snippet" "
non_smtpd_milters = "
check_contains "snippet: milter_default_action = accept" "$snippet" "
milter_default_action = accept"
check_contains "snippet: milter_protocol = 6" "$snippet" "
milter_protocol = 6"
check_contains "snippet: forged Authentication-Results removed on entry" "$snippet" "IGNORE"

check_contains "milter unit runs mailcert-milter" "$(cat "$C/mailcert-milter.service")" \
	"ExecStart=/usr/local/sbin/mailcert-milter -f -c /etc/mailcert/mailcert.conf"
check_contains "milter unit reloads with SIGHUP" "$(cat "$C/mailcert-milter.service")" "kill -HUP"
check_contains "installer unit runs mailcert install --watch" "$(cat "$C/mailcert-installer.service")" \
	"install --watch"
if command -v systemd-analyze >/dev/null 2>&1; then
	for u in "$C"/*.service; do
		# The programs are not installed here: only the unit's syntax counts.
		out=$(systemd-analyze verify --man=no "$u" 2>&1 | grep -v -e 'is not executable' \
			-e 'No such file' -e '/usr/local/')
		check_eq "systemd-analyze verify ${u##*/}" "$out" ""
	done
fi

# make install, as a package build would run it
make -s install PREFIX=/usr DESTDIR="$T/root" >"$T/install.out" 2>&1
check_eq "make install succeeds" "$?" "0"
check_eq "the configuration is installed mode 0644 (the roles re-read it)" \
	"$(stat -c %a "$T/root/etc/mailcert/mailcert.conf")" "644"
check_contains "units name the installed programs" \
	"$(cat "$T/root/lib/systemd/system/mailcert-milter.service")" "ExecStart=/usr/sbin/mailcert-milter -f"
check_contains "and the installer's" "$(cat "$T/root/lib/systemd/system/mailcert-installer.service")" \
	"ExecStart=/usr/bin/mailcert -c"
version=$("$MAILCERT" --version | awk '{ print $2 }')
for m in man1/mailcert.1 man5/mailcert.conf.5 man8/mailcert-milter.8; do
	check_contains "man page $m carries the version" "$(head -1 "$T/root/usr/share/man/$m")" "mailcert $version"
done
check "the test verifier is never installed" test -z "$(find "$T/root" -name '*verifier*')"
check "demo is valid sh" sh -n "$C/demo"
check "instance.sh is valid sh" sh -n "$C/instance.sh"
check "demo is executable" test -x "$C/demo"
check_contains "man page names the program" "$(cat man/mailcert-milter.8)" ".TH MAILCERT-MILTER 8"
check_contains "README says how to remove forged Authentication-Results" "$(cat "$C/README.md")" \
	"Remove forged Authentication-Results"
exit 0
