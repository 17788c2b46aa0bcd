# SPDX-License-Identifier: ISC
# t-debian - the Debian package: built from a copy of the source with
# dpkg-buildpackage (what "make deb" runs), checked with lintian (an error
# fails, warnings go to the log), installed with dpkg -i and apt-get -f
# install, its users, directories and configuration checked with
# mailcert-milter -n and mailcert check-config, then purged: its state and
# keys gone, the users kept (expired, as Debian does) and what the guide
# had the administrator make named in what purge says.  It installs on this machine, so it needs root, and it
# leaves alone a mailcert package someone installed before.

. tests/lib.sh
make_tmpdir

if [ "$(id -u)" -ne 0 ]; then
	ok "# skipped: installing a package needs root"
	exit 0
fi
for tool in dpkg-buildpackage lintian dh; do
	command -v "$tool" >/dev/null 2>&1 || { not_ok "$tool is installed" "run tools/install-deps"; exit 1; }
done
if dpkg-query -W -f='${Status}' mailcert 2>/dev/null | grep -q 'ok installed'; then
	ok "# skipped: a mailcert package is installed on this machine already"
	exit 0
fi
# users a purge of this package left (expired) are ours; any other is not
if [ -e /etc/mailcert ] || [ -e /var/lib/mailcert ] \
	|| { getent passwd mailcert >/dev/null && [ "$(getent passwd mailcert | cut -d: -f5 | cut -d, -f1)" != "mailcert milter" ]; }; then
	not_ok "no mailcert of another kind on this machine" "/etc/mailcert, /var/lib/mailcert or the user exists"
	exit 1
fi
# users the test makes (the package does) are taken away again at the end
if ! getent passwd mailcert >/dev/null; then
	at_exit "for u in mailcert-web mailcert-approver mailcert; do deluser --system --quiet \$u >/dev/null 2>&1; done; delgroup --system --quiet mailcert >/dev/null 2>&1"
fi

# Build ------------------------------------------------------------------------------
mkdir -p "$T/src"
git ls-files --cached --others --exclude-standard -z | (cd "$ROOT" && xargs -0 cp --parents -t "$T/src")
(cd "$T/src" && dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1
check_eq "dpkg-buildpackage -us -uc -b succeeds" "$?" "0" || tail -20 "$T/build.log"
deb=$(ls "$T"/mailcert_*_*.deb 2>/dev/null | head -1)
check "it gives mailcert_*.deb" test -n "$deb"
[ -n "$deb" ] || exit 1
contents=$(dpkg -c "$deb")
check_contains "the units run /usr/sbin/mailcert-milter" \
	"$(dpkg --fsys-tarfile "$deb" | tar -xO ./lib/systemd/system/mailcert-milter.service)" \
	"ExecStart=/usr/sbin/mailcert-milter -f"
check_contains "the configuration is in /etc" "$contents" "./etc/mailcert/mailcert.conf"
check_contains "and a conffile" "$(dpkg-deb -f "$deb" Conffiles 2>/dev/null; dpkg-deb -I "$deb" conffiles)" \
	"/etc/mailcert/mailcert.conf"
check_contains "tmpfiles for /run/mailcert" "$contents" "./usr/lib/tmpfiles.d/mailcert.conf"
check_contains "README.Debian" "$contents" "./usr/share/doc/mailcert/README.Debian"
lintian "$T"/mailcert_*.changes >"$T/lintian.log" 2>&1
check_eq "lintian reports no error" "$(grep -c '^E:' "$T/lintian.log")" "0" || grep '^E:' "$T/lintian.log"
sed 's/^/# lintian: /' "$T/lintian.log" | grep -v 'running with root privileges'

# Install ----------------------------------------------------------------------------
at_exit "dpkg --purge mailcert >/dev/null 2>&1"
dpkg -i "$deb" >"$T/install.log" 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get -f install -y >>"$T/install.log" 2>&1
check "dpkg -i (and apt-get -f install) installs it" sh -c "dpkg-query -W -f='\${Status}' mailcert | grep -q 'ok installed'"
check_eq "the milter's user" "$(id -gn mailcert 2>/dev/null)" "mailcert"
check_eq "the approver's user, in group mailcert" "$(id -gn mailcert-approver 2>/dev/null)" "mailcert"
check_eq "the web view's user, in group mailcert" "$(id -gn mailcert-web 2>/dev/null)" "mailcert"
check_eq "/var/lib/mailcert is root's" "$(stat -c '%U %a' /var/lib/mailcert)" "root 755"
check_eq "the intake's directory is mailcert's, group-shared" "$(stat -c '%U %G %a' /var/lib/mailcert/intake)" \
	"mailcert mailcert 2770"
check_eq "the installer's state is root's alone" "$(stat -c '%U %a' /var/lib/mailcert/installer)" "root 700"
check_eq "the keys' directory is root's alone" "$(stat -c '%U %a' /etc/mailcert/keys)" "root 700"
check_eq "the configuration is 0644" "$(stat -c '%a' /etc/mailcert/mailcert.conf)" "644"
out=$(/usr/sbin/mailcert-milter -n 2>&1)
check_eq "mailcert-milter -n passes with the packaged configuration" "$?" "0" || echo "# $out"
# The packaged file is the example: check-config names what is left to
# fill in, and says nothing is wrong with what the package made.
out=$(/usr/bin/mailcert check-config 2>&1)
check_eq "mailcert check-config fails on the example's values" "$?" "1"
check_contains "and names the example's authserv_id" "$out" "[milter] authserv_id mx.example.net is the example's"
check_contains "and that there is no target" "$out" "no [target NAME]"
check_eq "and nothing else but what the example leaves to fill in" \
	"$(printf '%s\n' "$out" | grep '^mailcert: ' | grep -v "is the example's\|no \[target NAME\]\|smtpd runs chrooted")" ""
check_contains "and says the units make their runtime directories" "$out" "makes it when it starts"
check_contains "--version is the build's" "$(/usr/bin/mailcert --version)" "mailcert $("$MAILCERT" --version | awk '{ print $2 }')"

check "README.Debian says how to remove what purge keeps" \
	grep -q "deluser --system mailcert-approver" /usr/share/doc/mailcert/README.Debian
check "contrib/targets is in the package" test -f /usr/share/doc/mailcert/targets/nginx.conf

# Purge --------------------------------------------------------------------------------
# What the guide has the administrator make: the socket directory in
# Postfix's chroot, the web view's password file.
made_spool=""
if [ ! -e /var/spool/postfix/mailcert ] && [ -d /var/spool/postfix ]; then
	install -d -o mailcert -m 0750 /var/spool/postfix/mailcert
	made_spool=yes
fi
install -o mailcert-web -m 0600 /dev/null /etc/mailcert/web.passwd
files=$(dpkg -L mailcert | grep -v '^/\.$')
dpkg --purge mailcert >"$T/purge.log" 2>&1
check_eq "dpkg --purge succeeds" "$?" "0"
purged=$(cat "$T/purge.log")
check_contains "purge says it kept the users, expired" "$purged" \
	"kept, expired: the users mailcert, mailcert-approver, mailcert-web and the group mailcert"
check_contains "and what the administrator made" "$purged" "kept, made by you: /etc/mailcert (web.passwd)"
[ -n "$made_spool" ] && check "the socket directory in the chroot, empty, is removed" test ! -e /var/spool/postfix/mailcert
check_contains "and how to remove them" "$purged" "deluser --system mailcert"
check "the password file is kept" test -f /etc/mailcert/web.passwd
check_eq "the users are kept, expired" "$(getent shadow mailcert | cut -d: -f8)" "1"
rm -r /etc/mailcert
left=""
for f in $files; do
	[ -f "$f" ] && left="$left $f"
done
check_eq "no file of the package is left" "${left# }" ""
check "nor the state, the keys or the runtime directory" \
	sh -c "! test -e /var/lib/mailcert -o -e /etc/mailcert/keys -o -e /run/mailcert"
