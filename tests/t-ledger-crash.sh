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
# files): the references are checked here across them.

. tests/lib.sh
make_tmpdir
BOOK=$T/orders.db
DB=$T/ledger.db
WRITER=build/tests/tools/ledger_writer
kills=0
torn=0

# Orders of the book without all their names and book events.
book_torn() {
	sqlite3 "$BOOK" "
	  SELECT count(*) FROM orders o WHERE
	    (SELECT count(*) FROM order_names n WHERE n.order_id = o.id) <> 61
	    OR (SELECT count(*) FROM events e WHERE e.order_id = o.id) <> 21;"
}

# Messages of the intake without their 20 events, and events without
# their message.
intake_torn() {
	sqlite3 "$DB" "
	  SELECT (SELECT count(*) FROM messages m WHERE
	      (SELECT count(*) FROM events e WHERE e.order_id = m.order_id) <> 20)
	    + (SELECT count(*) FROM events e WHERE e.order_id NOT IN
	      (SELECT order_id FROM messages));"
}

# Intake rows naming an order the book does not have.
dangling() {
	sqlite3 "$DB" "ATTACH '$BOOK' AS book;
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
check_eq "book integrity_check after the kills" "$(sqlite3 "$BOOK" 'PRAGMA integrity_check;')" "ok"
check_eq "intake integrity_check after the kills" "$(sqlite3 "$DB" 'PRAGMA integrity_check;')" "ok"
check_eq "no torn order or record after any kill" "$torn" "0"
orders=$(sqlite3 "$BOOK" 'SELECT count(*) FROM orders;')
if [ "$orders" -gt 1 ]; then ok "committed orders survived ($orders)"; else not_ok "committed orders survived" "$orders"; fi
messages=$(sqlite3 "$DB" 'SELECT count(*) FROM messages;')
if [ "$messages" -gt 1 ]; then ok "committed messages survived ($messages)"; else not_ok "committed messages survived" "$messages"; fi
check_eq "book events without an order: none" \
	"$(sqlite3 "$BOOK" 'SELECT count(*) FROM events WHERE order_id NOT IN (SELECT id FROM orders);')" "0"
check_eq "intake rows without a book order: none" "$(dangling)" "0"
check "a new writer works after the kills" "$WRITER" "$BOOK" "$DB" 3
check_eq "both stores still whole after it" "$(whole_check)" "0 0 0"
check_eq "the book keeps its rollback journal" "$(sqlite3 "$BOOK" 'PRAGMA journal_mode;')" "delete"
check_eq "the intake still in WAL mode" "$(sqlite3 "$DB" 'PRAGMA journal_mode;')" "wal"
