# SPDX-License-Identifier: ISC
# t-milter-spool - a watched message larger than [milter] memory_size goes
# to a file in spool_dir (0700, files 0600) while it arrives; SIGKILL the
# milter with one there, start it again: the file is gone.

. tests/lib.sh
make_tmpdir
if ! command -v miltertest >/dev/null 2>&1; then
	not_ok "miltertest is installed" "run tools/install-deps"
	exit 1
fi
port=$(free_port)
user=$(test_user)
mailcert_dirs "$user"
{
	base_config "$user"
	cat <<CONF
[milter]
socket = inet:$port@127.0.0.1
memory_size = 1k
watch_addresses = certs@example.org
authserv_id = mx.example.net
[target web]
fullchain = $T/tls/fullchain.pem
CONF
} >"$T/mailcert.conf"
chmod 0644 "$T/mailcert.conf"
"$MAILCERT" -c "$T/mailcert.conf" order add --domain example.com --ca sectigo \
	--key "$ROOT/tests/fixtures/pki/leaf-ec.key" --target web >/dev/null
start_milter() {
	"$MILTER" -c "$T/mailcert.conf" -f -v >>"$T/milter.log" 2>&1 &
	milter_pid=$!
	wait_for 10 sh -c "[ \$(grep -c 'listening on' '$T/milter.log') -ge $1 ]" && return 0
	not_ok "the milter started" "$(cat "$T/milter.log")"
	exit 1
}
start_milter 1
at_exit 'kill $milter_pid 2>/dev/null'
spool_files() { find "$T/intake/spool" -type f | wc -l; }

# A message that stops half way: headers and 8 KB of body, then it waits.
cat >"$T/half.lua" <<'LUA'
dofile("tests/milter/common.lua")
local conn = open_conn("half")
envelope(conn, "HALF1", "<ca@example.org>", {"<certs@example.org>"}, "half")
content_headers = {{"From", "ca@example.org"}, {"Subject", "half a message"}}
for _, h in ipairs(content_headers) do
	mt.header(conn, h[1], h[2])
	expect(conn, SMFIR_CONTINUE, "header")
end
mt.eoh(conn)
expect(conn, SMFIR_CONTINUE, "eoh")
mt.bodystring(conn, string.rep("x", 8192))
expect(conn, SMFIR_CONTINUE, "body")
mt.sleep(30)
LUA
miltertest -D socket="inet:$port@127.0.0.1" -s "$T/half.lua" >/dev/null 2>&1 &
mt_pid=$!
at_exit "kill $mt_pid 2>/dev/null"
wait_for 10 sh -c "[ \$(find '$T/intake/spool' -type f | wc -l) -ge 1 ]"
check_eq "the message past memory_size is in a spool file" "$(spool_files)" "1"
perm() { printf '%o' $(( 0$(stat -c %a "$1") & 0777 )); }
check_eq "the spool directory is mode 0700 (setgid from its parent aside)" "$(perm "$T/intake/spool")" "700"
check_eq "the spool file is mode 0600" "$(stat -c %a "$(find "$T/intake/spool" -type f | head -1)")" "600"
kill -9 "$milter_pid"
wait "$milter_pid" 2>/dev/null
kill "$mt_pid" 2>/dev/null
check_eq "SIGKILL leaves it behind" "$(spool_files)" "1"
start_milter 2
check "the spool directory is still there" test -d "$T/intake/spool"
check_eq "the milter started again removes it" "$(spool_files)" "0"
check_contains "and says so" "$(cat "$T/milter.log")" "spool"
kill -TERM "$milter_pid"
wait "$milter_pid"
check_eq "the milter ends cleanly" "$?" "0"
