# SPDX-License-Identifier: ISC
# t-license - mailcert is released under the ISC license: LICENSE says so,
# every source file's header names it (SPDX-License-Identifier), and
# debian/copyright is machine-readable (DEP-5) and names it for every file.

. tests/lib.sh

check_contains "LICENSE is the ISC license" "$(head -1 LICENSE)" "ISC License"
check_contains "and says whose" "$(cat LICENSE)" "Copyright (c) 2026 The mailcert developers"
missing=""
for f in $(git ls-files '*.c' '*.h' '*.sh' '*.py' '*.lua' '*.service' Makefile bench/Makefile \
	debian/rules debian/mailcert.postinst debian/mailcert.postrm .ci/run tools/install-deps \
	contrib/postfix/demo tests/run-tests tests/pg-cluster tests/fake-sendmail bench/run-bench \
	bench/run-scale bench/run-stress bench/profile-milter bench/make-stress-mails \
	tests/attacks/make-mails tests/fixtures/make-cert-mails tests/pki/make-test-pki); do
	# in the header: the first comment of a C file, the first lines of a script
	sed -n '1,/\*\//p' "$f" | head -200 | grep -q 'SPDX-License-Identifier: ISC' || missing="$missing $f"
done
check_eq "every source file's header names the license" "${missing# }" ""
check_contains "debian/copyright is DEP-5" "$(head -1 debian/copyright)" \
	"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
check_eq "and gives ISC for every file" "$(sed -n '/^Files: \*$/,/^$/p' debian/copyright | sed -n 's/^License: //p')" "ISC"
check "and holds its text" grep -q '^License: ISC$' debian/copyright
