-- SPDX-License-Identifier: ISC
-- unwatched.lua - mail for recipients nobody watches is accepted at DATA:
-- the milter needs neither headers nor body.
dofile("tests/milter/common.lua")

local conn = open_conn("unwatched")
envelope(conn, "UNW1", "<alice@example.org>", {"<bob@example.com>"}, "ordinary recipient")
expect(conn, SMFIR_ACCEPT, "ordinary recipient")
ok("an ordinary recipient at an order's domain is accepted at DATA")

envelope(conn, "UNW2", "<alice@example.org>", {"<admin@unrelated.example>", "<hostmaster@other.example>"},
	"approver mailbox elsewhere")
expect(conn, SMFIR_ACCEPT, "approver mailbox elsewhere")
ok("approver mailboxes of domains without an open order are accepted at DATA")

envelope(conn, "UNW3", "<>", {"<root@localhost.example>"}, "null sender")
expect(conn, SMFIR_ACCEPT, "null sender")
ok("a bounce to an unwatched recipient is accepted at DATA")

mt.disconnect(conn)
ok("connection closed after three early accepts")
