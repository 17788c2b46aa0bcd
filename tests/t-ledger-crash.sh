# SPDX-License-Identifier: ISC
# t-ledger-crash - a writer killed with SIGKILL mid-transaction leaves both
# stores passing PRAGMA integrity_check and holding only whole records.
#
# build/tests/tools/ledger_writer writes orders into the order book (the
# order, its 61 names and 21 book events in one transaction) and then,
# once that has committed, into the intake's ledger (a message naming the
# order and 20 intake events in one transaction), pausing inside both.  It
# is killed at random moments, 25 times; after each kill another writer
# must still be able to write, every order of the book and every record
# of the intake must be whole, and no intake record may name an order the
# book does not have.  There are no foreign keys (the stores are two
# files): the references are checked here across them.  On PostgreSQL
# (ledger_backend) the stores are two schemas of the test's database, and
# the server must be left with no transaction of a killed writer open.

. tests/lib.sh
make_tmpdir
user=$(test_user)
if [ "$(ledger_backend)" = postgresql ]; then
	make_pg_ledger "$user"
	BOOK="postgresql:///$(pg_database)?host=$MAILCERT_TEST_PGHOST"
	DB=-
	book_q() { book_sql "$1"; }
	intake_q() { intake_sql "$1"; }
	both_q() { intake_sql "$1"; }
else
	BOOK=$T/orders.db
	DB=$T/ledger.db
	book_q() { sqlite3 "$BOOK" "$1"; }
	intake_q() { sqlite3 "$DB" "$1"; }
	both_q() { sqlite3 "$DB" "ATTACH '$BOOK' AS book; $1"; }
fi
WRITER=build/tests/tools/ledger_writer
kills=0
torn=0

# Orders of the book without all their names and book events.
book_torn() {
	book_q "
	  SELECT count(*) FROM orders o WHERE
	    (SELECT count(*) FROM order_names n WHERE n.order_id = o.id) <> 61
	    OR (SELECT count(*) FROM events e WHERE e.order_id = o.id) <> 21;"
}

# Messages of the intake without their 20 events, and events without
# their message.
intake_torn() {
	intake_q "
	  SELECT (SELECT count(*) FROM messages m WHERE
	      (SELECT count(*) FROM events e WHERE e.order_id = m.order_id) <> 20)
	    + (SELECT count(*) FROM events e WHERE e.order_id NOT IN
	      (SELECT order_id FROM messages));"
}

# Intake rows naming an order the book does not have.
dangling() {
	both_q "
	  SELECT (SELECT count(*) FROM messages WHERE order_id NOT IN (SELECT id FROM book.orders))
	    + (SELECT count(*) FROM events WHERE order_id NOT IN (SELECT id FROM book.orders));"
}

whole_check() { echo "$(book_torn) $(intake_torn) $(dangling)"; }

check "the writer makes both stores" "$WRITER" "$BOOK" "$DB" 1
check_eq "both stores whole after it" "$(whole_check)" "0 0 0"

for i in $(seq 1 25); do
	"$WRITER" "$BOOK" "$DB" 100000 2>/dev/null &
	pid=$!
	# 20 to 220 ms: long enough to be inside some transaction.
	sleep "0.$(( (RANDOM % 200) + 20 ))" 2>/dev/null || sleep 0.1
	kill -KILL "$pid" 2>/dev/null && kills=$((kills + 1))
	wait "$pid" 2>/dev/null
	[ "$(whole_check)" = "0 0 0" ] || torn=$((torn + 1))
done

check_eq "writer killed 25 times" "$kills" "25"
if [ "$(ledger_backend)" = sqlite ]; then
	check_eq "book integrity_check after the kills" "$(book_q 'PRAGMA integrity_check;')" "ok"
	check_eq "intake integrity_check after the kills" "$(intake_q 'PRAGMA integrity_check;')" "ok"
else
	# the server ends a dead client's session (and rolls its transaction
	# back) when it notices the socket closed
	open_tx() { both_q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
	  AND application_name = 'ledger_writer'"; }
	check "no session of a killed writer is left" wait_for 10 test "$(open_tx)" = 0
fi
check_eq "no torn order or record after any kill" "$torn" "0"
orders=$(book_q 'SELECT count(*) FROM orders;')
if [ "$orders" -gt 1 ]; then ok "committed orders survived ($orders)"; else not_ok "committed orders survived" "$orders"; fi
messages=$(intake_q 'SELECT count(*) FROM messages;')
if [ "$messages" -gt 1 ]; then ok "committed messages survived ($messages)"; else not_ok "committed messages survived" "$messages"; fi
check_eq "book events without an order: none" \
	"$(book_q 'SELECT count(*) FROM events WHERE order_id NOT IN (SELECT id FROM orders);')" "0"
check_eq "intake rows without a book order: none" "$(dangling)" "0"
check "a new writer works after the kills" "$WRITER" "$BOOK" "$DB" 3
check_eq "both stores still whole after it" "$(whole_check)" "0 0 0"
if [ "$(ledger_backend)" = sqlite ]; then
	check_eq "the book keeps its rollback journal" "$(book_q 'PRAGMA journal_mode;')" "delete"
	check_eq "the intake still in WAL mode" "$(intake_q 'PRAGMA journal_mode;')" "wal"
fi
