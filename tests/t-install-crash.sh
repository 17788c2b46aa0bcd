# SPDX-License-Identifier: ISC
# t-install-crash - the installer killed with SIGKILL at random points of an
# install (writing the backup set, writing the files, in test_command or
# reload_command, recording the outcome), 20 times, each time with a new
# certificate: after every kill each target file is wholly the old version
# or wholly the new one, never torn, and the next "install --pending" takes
# the job up again at once and installs the new certificate.

. tests/lib.sh
make_tmpdir
PKI="$ROOT/tests/fixtures/pki"
ROUNDS=20
mkdir -p "$T/tls" "$T/ca"

user=$(test_user)
mailcert_dirs "$user"
{
	base_config "$user"
	cat <<CONF
[milter]
authserv_id = mx.example.net
[ca]
trust_store = $PKI/root.crt
[installer]
command_timeout = 10
max_attempts = 100
retry_base = 1
[target web]
cert = $T/tls/cert.pem
chain = $T/tls/chain.pem
fullchain = $T/tls/fullchain.pem
key = $T/tls/key.pem
combined = $T/tls/combined.pem
test_command = /bin/sleep 0.15
reload_command = /bin/sleep 0.15
CONF
} >"$T/mailcert.conf"
mc() { "$MAILCERT" -c "$T/mailcert.conf" "$@"; }
show() { mc show "$1" --json | python3 -c "import json,sys; d=json.load(sys.stdin); print($2)"; }
FILES="cert chain fullchain key combined"

# The old files: something else entirely.
for f in $FILES; do printf 'old %s\n' "$f" >"$T/tls/$f.pem"; done
hashes() { for f in $FILES; do sha256sum <"$T/tls/$f.pem" | cut -c1-64; done; }

# random_delay: 0.000 to 0.599 seconds
random_delay() { printf '0.%03d' $(( $(od -An -N2 -tu2 /dev/urandom) % 600 )); }

id=$(mc order add --domain www.example.com --alt-name example.com --ca sectigo \
	--key "$PKI/leaf-ec.key" --target web)
printf 'extendedKeyUsage = serverAuth\nsubjectAltName = DNS:www.example.com, DNS:example.com\n' >"$T/ca/ext.cnf"
openssl req -new -key "$PKI/leaf-ec.key" -subj /CN=www.example.com -out "$T/ca/req.csr" 2>/dev/null

torn=0
unfinished=0
killed_mid=0
round=1
while [ "$round" -le "$ROUNDS" ]; do
	next_second	# each certificate is issued later than the one before
	openssl x509 -req -in "$T/ca/req.csr" -CA "$PKI/inter1.crt" -CAkey "$PKI/inter1.key" \
		-set_serial "$((1000 + round))" -days 30 -extfile "$T/ca/ext.cnf" \
		-out "$T/ca/leaf.crt" 2>/dev/null
	job=$("$ROOT/build/tests/tools/record_cert" "$T/mailcert.conf" "$id" "$T/ca/leaf.crt" "$PKI/inter1.crt")
	before=$(hashes)
	"$MAILCERT" -c "$T/mailcert.conf" install --pending >/dev/null 2>&1 &
	pid=$!
	sleep "$(random_delay)"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	after_kill=$(hashes)
	[ "$(show "$id" 'd["install_job"]["state"]')" = "running" ] && killed_mid=$((killed_mid + 1))
	mc install --pending >/dev/null 2>"$T/err"
	after=$(hashes)
	state=$(show "$id" 'd["install_job"]["state"]')
	[ "$state" = "done" ] || { unfinished=$((unfinished + 1)); echo "# round $round: job $job $state: $(cat "$T/err")"; }
	i=1
	for f in $FILES; do
		k=$(echo "$after_kill" | sed -n "${i}p")
		b=$(echo "$before" | sed -n "${i}p")
		a=$(echo "$after" | sed -n "${i}p")
		if [ "$k" != "$b" ] && [ "$k" != "$a" ]; then
			torn=$((torn + 1))
			echo "# round $round: $f.pem is neither old nor new after the kill"
		fi
		i=$((i + 1))
	done
	round=$((round + 1))
done
echo "# $killed_mid of $ROUNDS installers killed in the middle of a job"
check "some installers were killed in the middle of a job" [ "$killed_mid" -gt 0 ]
check_eq "no target file torn by a kill" "$torn" "0"
check_eq "every job finished by the next install --pending" "$unfinished" "0"
check_eq "the last certificate installed" "$(openssl x509 -in "$T/tls/cert.pem" -noout -serial)" \
	"serial=$(printf '%04X' $((1000 + ROUNDS)))"
check_eq "fullchain is leaf + chain" "$(cat "$T/tls/fullchain.pem")" \
	"$(cat "$T/tls/cert.pem" "$T/tls/chain.pem")"
check_eq "combined is key + leaf + chain" "$(cat "$T/tls/combined.pem")" \
	"$(cat "$T/tls/key.pem" "$T/tls/cert.pem" "$T/tls/chain.pem")"
check_eq "order installed" "$(show "$id" 'd["state"]')" "installed"
check_eq "key mode 0600 after it all" "$(stat -c %a "$T/tls/key.pem")" "600"
check_eq "no job left" "$(mc install --pending 2>/dev/null)" "0 job(s) run, 0 not installed"
