-- SPDX-License-Identifier: ISC
-- watched.lua - mail for a watched recipient is read to the end and
-- delivered with one X-Mailcert header saying what mailcert did; an
-- X-Mailcert header that came with the message is removed.
dofile("tests/milter/common.lua")

local plain = {
	{"From", "Alice <alice@example.org>"},
	{"To", "admin@example.com"},
	{"Subject", "hello"},
	{"Message-ID", "<plain.1@example.org>"},
	{"X-Mailcert", "approval recorded for order 1"},
}

local conn = open_conn("watched")
envelope(conn, "WAT1", "<alice@example.org>", {"<admin@example.com>"}, "approver mailbox")
expect(conn, SMFIR_CONTINUE, "approver mailbox: DATA continues")
ok("admin@ a domain with an open order is watched: DATA continues")
content(conn, plain, "Hello,\r\njust a note.\r\n", "plain mail to a watched mailbox")
expect(conn, SMFIR_ACCEPT, "plain mail: accepted at EOM")
header_is(conn, "not CA mail", "plain mail to a watched mailbox is marked \"not CA mail\"")
if not mt.eom_check(conn, MT_HDRCHANGE, "X-Mailcert") then
	fail("the forged X-Mailcert header was not removed")
end
ok("an X-Mailcert header that came with the message is removed")

-- An unwatched recipient first must not cause an early accept.
envelope(conn, "WAT2", "<alice@example.org>", {"<bob@example.net>", "<Hostmaster@WWW.Example.COM>"},
	"second recipient watched")
expect(conn, SMFIR_CONTINUE, "second recipient watched: DATA continues")
ok("a watched second recipient (any case) keeps the message")
plain[4] = {"Message-ID", "<plain.2@example.org>"}
content(conn, plain, "again\r\n", "second message")
header_is(conn, "not CA mail", "second message on the same connection is marked")

-- A parent domain of an order's name is watched (BR 3.2.2.4.4).
envelope(conn, "WAT3", "<alice@example.org>", {"<postmaster@shop.example.net>"}, "parent domain")
expect(conn, SMFIR_CONTINUE, "parent domain: DATA continues")
ok("postmaster@ a parent domain of an order's name is watched")
mt.abort(conn)

-- [milter] watch_addresses and an order's approver address.
envelope(conn, "WAT4", "<alice@example.org>", {"<certs@example.org>"}, "watch_addresses")
expect(conn, SMFIR_CONTINUE, "watch_addresses: DATA continues")
ok("a watch_addresses entry is watched")
mt.abort(conn)
envelope(conn, "WAT5", "<alice@example.org>", {"<dns-team@example.net>"}, "approver")
expect(conn, SMFIR_CONTINUE, "approver: DATA continues")
ok("an order's approver address is watched")
mt.abort(conn)

-- A local part outside watch_local_parts at a watched domain is not.
envelope(conn, "WAT6", "<alice@example.org>", {"<info@example.com>"}, "other local part")
expect(conn, SMFIR_ACCEPT, "other local part")
ok("info@ a watched domain is not watched")

mt.disconnect(conn)
