# t-ledger-crash - a writer killed with SIGKILL mid-transaction leaves a
# ledger that passes PRAGMA integrity_check and holds only whole records.
#
# build/tests/tools/ledger_writer writes orders of 61 names, 21 events and
# one message, each in one transaction, pausing inside it.  It is killed
# at random moments, 25 times; after each kill another writer must still
# be able to write, and every order must be whole.

. tests/lib.sh
make_tmpdir
DB=$T/ledger.db
WRITER=build/tests/tools/ledger_writer
kills=0
torn=0

whole_orders_check() {
	sqlite3 "$DB" "
	  SELECT count(*) FROM orders o WHERE
	    (SELECT count(*) FROM order_names n WHERE n.order_id = o.id) <> 61
	    OR (SELECT count(*) FROM events e WHERE e.order_id = o.id) <> 21
	    OR (SELECT count(*) FROM messages m WHERE m.order_id = o.id) <> 1;"
}

for i in $(seq 1 25); do
	"$WRITER" "$DB" 100000 2>/dev/null &
	pid=$!
	# 20 to 220 ms: long enough to be inside some transaction.
	sleep "0.$(( (RANDOM % 200) + 20 ))" 2>/dev/null || sleep 0.1
	kill -KILL "$pid" 2>/dev/null && kills=$((kills + 1))
	wait "$pid" 2>/dev/null
	bad=$(whole_orders_check)
	[ "$bad" = "0" ] || torn=$((torn + 1))
done

check_eq "writer killed 25 times" "$kills" "25"
check_eq "integrity_check after the kills" "$(sqlite3 "$DB" 'PRAGMA integrity_check;')" "ok"
check_eq "no torn order after any kill" "$torn" "0"
orders=$(sqlite3 "$DB" 'SELECT count(*) FROM orders;')
if [ "$orders" -gt 0 ]; then ok "committed orders survived ($orders)"; else not_ok "committed orders survived" "none"; fi
check_eq "foreign keys hold" "$(sqlite3 "$DB" 'PRAGMA foreign_key_check;')" ""
check_eq "events without an order: none" \
	"$(sqlite3 "$DB" 'SELECT count(*) FROM events WHERE order_id NOT IN (SELECT id FROM orders);')" "0"
check "a new writer works after the kills" "$WRITER" "$DB" 3
check_eq "ledger still whole after it" "$(whole_orders_check)" "0"
check_eq "still in WAL mode" "$(sqlite3 "$DB" 'PRAGMA journal_mode;')" "wal"
