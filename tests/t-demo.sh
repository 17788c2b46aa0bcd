# SPDX-License-Identifier: ISC
# t-demo - make demo's script as a new administrator runs it, its output
# going to a file: it ends with "Done.", prints no terminal escapes into
# the file, and leaves nothing behind: no process of its directory runs
# on (the installer daemon included), and the directory is gone.

. tests/lib.sh
make_tmpdir
if [ "$(id -u)" -ne 0 ]; then
	ok "# skipped: the demo's Postfix needs root"
	exit 0
fi
for tool in postfix smtp-sink swaks; do
	command -v "$tool" >/dev/null 2>&1 || { not_ok "$tool is installed" "run tools/install-deps"; exit 1; }
done
contrib/postfix/demo >"$T/demo.out" 2>&1
check_eq "the demo succeeds" "$?" "0" || sed 's/^/# /' "$T/demo.out" | tail -20
check_eq "and ends with Done." "$(tail -1 "$T/demo.out")" "Done."
check_contains "it installed the certificate" "$(cat "$T/demo.out")" "the certificate was installed"
check_eq "no terminal escape sequences in a file" "$(grep -c "$(printf '\033')" "$T/demo.out")" "0"
D=$(sed -e 's/\x1b\[[0-9;]*m//g' "$T/demo.out" | sed -n 's/^== configuration (\(.*\)\/mailcert\.conf)$/\1/p')
check "the demo says where it ran" test -n "$D"
check_eq "no process of the demo runs on after it" "$(pgrep -af "${D:-/nonexistent}" | grep -v pgrep)" ""
check "its directory is gone" test ! -e "${D:-/nonexistent}"
