# SPDX-License-Identifier: ISC
# instance.sh - a private Postfix instance on loopback, for the tests and
# for "make demo".  Source it; it defines shell functions only.
#
#	pf_start DIR SMTP_PORT SINK_PORT MILTER
#		a Postfix whose configuration, queue, data and log are all
#		under DIR, listening on 127.0.0.1:SMTP_PORT, relaying
#		everything to [127.0.0.1]:SINK_PORT, with MILTER (Postfix
#		syntax, e.g. inet:127.0.0.1:10025) as smtpd and non-smtpd
#		milter and milter_default_action = accept.  Returns 1 (the
#		log tail on stderr) when it does not come up within 20 s.
#	pf_stop DIR	stop it (bounded), and undo the change to
#			/etc/postfix/main.cf
#	pf_sink_start DIR PORT
#		smtp-sink on 127.0.0.1:PORT writing each message to a file
#		DIR/sink/msg.*; sets PF_SINK_PID
#	pf_sink_count DIR	how many messages the sink has received
#	pf_wait_port PORT SECONDS	until something listens there
#
# Facts this relies on: "postfix -c DIR start" as root refuses a DIR not
# listed in alternate_config_directories of /etc/postfix/main.cf (the
# directory is added here and taken out again by pf_stop; the file is
# created when missing and removed when nothing else is listed);
# maillog_file must be under one of
# maillog_file_prefixes; the directories must be readable by the postfix
# user; Postfix writes fatal errors to its log, not to stderr.  chroot is
# off for every service of the private master.cf.

PF_SYSTEM_MAINCF=/etc/postfix/main.cf
PF_MARK="# created by mailcert (tests, make demo) for private Postfix instances; removed when they end"

pf_wait_port() {
	python3 - "$1" "$2" <<'PY'
import socket, sys, time
port, limit = int(sys.argv[1]), time.time() + float(sys.argv[2])
while time.time() < limit:
    try:
        socket.create_connection(("127.0.0.1", port), 0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
}

# pf_allow_dir DIR - list DIR in alternate_config_directories of the
# system's main.cf (created, marked as ours, when there is none)
pf_allow_dir() {
	if [ ! -f "$PF_SYSTEM_MAINCF" ]; then
		mkdir -p /etc/postfix
		printf '%s\nalternate_config_directories = %s\n' "$PF_MARK" "$1" >"$PF_SYSTEM_MAINCF"
		return 0
	fi
	_old=$(postconf -c /etc/postfix -h alternate_config_directories 2>/dev/null)
	postconf -c /etc/postfix -e "alternate_config_directories = ${_old:+$_old, }$1"
}

# pf_restore_system DIR - take DIR out of the list again; remove the file
# when it is ours and lists nothing else (other runs may share it)
pf_restore_system() {
	[ -f "$PF_SYSTEM_MAINCF" ] || return 0
	_new=""
	for _d in $(postconf -c /etc/postfix -h alternate_config_directories 2>/dev/null | tr ',' ' '); do
		[ "$_d" = "$1" ] || _new="${_new:+$_new, }$_d"
	done
	if [ -z "$_new" ] && head -1 "$PF_SYSTEM_MAINCF" | grep -q '^# created by mailcert' \
	    && [ "$(grep -cv -e '^#' -e '^alternate_config_directories' -e '^$' "$PF_SYSTEM_MAINCF")" -eq 0 ]; then
		rm -f "$PF_SYSTEM_MAINCF"
	else
		postconf -c /etc/postfix -e "alternate_config_directories = $_new"
	fi
}

pf_write_master_cf() {
	cat >"$1/master.cf" <<MASTER
# service type  private unpriv  chroot  wakeup  maxproc command
127.0.0.1:$2 inet n   -       n       -       -       smtpd
pickup     unix  n       -       n       60      1       pickup
cleanup    unix  n       -       n       -       0       cleanup
qmgr       unix  n       -       n       300     1       qmgr
rewrite    unix  -       -       n       -       -       trivial-rewrite
bounce     unix  -       -       n       -       0       bounce
defer      unix  -       -       n       -       0       bounce
trace      unix  -       -       n       -       0       bounce
verify     unix  -       -       n       -       1       verify
flush      unix  n       -       n       1000?   0       flush
proxymap   unix  -       -       n       -       -       proxymap
smtp       unix  -       -       n       -       -       smtp
relay      unix  -       -       n       -       -       smtp
showq      unix  n       -       n       -       -       showq
error      unix  -       -       n       -       -       error
retry      unix  -       -       n       -       -       error
discard    unix  -       -       n       -       -       discard
anvil      unix  -       -       n       -       1       anvil
scache     unix  -       -       n       -       1       scache
postlog    unix-dgram n  -       n       -       1       postlogd
MASTER
}

pf_write_main_cf() {
	cat >"$1/main.cf" <<MAIN
compatibility_level = 3.6
queue_directory = $1/queue
data_directory = $1/data
maillog_file = $1/postfix.log
maillog_file_prefixes = $1
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.example.net
mydomain = example.net
myorigin = \$myhostname
mydestination =
local_recipient_maps =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
relayhost = [127.0.0.1]:$3
smtp_dns_support_level = disabled
smtputf8_enable = no
biff = no
in_flow_delay = 0
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
default_destination_concurrency_limit = 20
smtpd_milters = $4
non_smtpd_milters = $4
milter_default_action = accept
milter_protocol = 6
milter_connect_timeout = 5s
milter_command_timeout = 10s
milter_content_timeout = 30s
MAIN
}

pf_start() {
	_dir=$1
	mkdir -p "$_dir"
	chmod 755 "$_dir"
	pf_write_main_cf "$_dir" "$2" "$3" "$4"
	pf_write_master_cf "$_dir" "$2"
	pf_allow_dir "$_dir"
	mkdir -p "$_dir/queue" "$_dir/data"
	chmod 755 "$_dir/queue"
	chown postfix:postfix "$_dir/data"
	chmod 700 "$_dir/data"
	: >"$_dir/postfix.log"
	if ! postfix -c "$_dir" start >"$_dir/start.out" 2>&1; then
		echo "postfix start failed:" >&2
		cat "$_dir/start.out" >&2
		tail -20 "$_dir/postfix.log" >&2
		return 1
	fi
	if ! pf_wait_port "$2" 20; then
		echo "postfix did not listen on 127.0.0.1:$2:" >&2
		tail -20 "$_dir/postfix.log" >&2
		return 1
	fi
	return 0
}

pf_stop() {
	_dir=$1
	[ -f "$_dir/main.cf" ] || return 0
	_pid=$(cat "$_dir/queue/pid/master.pid" 2>/dev/null | tr -d ' ')
	postfix -c "$_dir" stop >/dev/null 2>&1
	_i=0
	while [ -n "$_pid" ] && kill -0 "$_pid" 2>/dev/null && [ "$_i" -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ -n "$_pid" ] && kill -9 "$_pid" 2>/dev/null
	pf_restore_system "$_dir"
	return 0
}

pf_sink_start() {
	mkdir -p "$1/sink"
	chown postfix "$1/sink" 2>/dev/null
	smtp-sink -u postfix -d "$1/sink/msg." "127.0.0.1:$2" 256 >"$1/sink.log" 2>&1 &
	PF_SINK_PID=$!
	pf_wait_port "$2" 10
}

pf_sink_count() {
	find "$1/sink" -type f -name 'msg.*' 2>/dev/null | wc -l | tr -d ' '
}
