-- SPDX-License-Identifier: ISC
-- abort.lua - an SMTP session that gives up in the middle of a watched
-- message (RSET, lost client) frees it; the connection goes on.
dofile("tests/milter/common.lua")

local conn = open_conn("abort")
envelope(conn, "ABT1", "<alice@example.org>", {"<admin@example.com>"}, "aborted message")
expect(conn, SMFIR_CONTINUE, "aborted message: DATA continues")
mt.header(conn, "Subject", "half")
mt.eoh(conn)
mt.bodystring(conn, "the first half\r\n")
if mt.abort(conn) ~= nil then
	fail("abort")
end
ok("abort in the middle of a body is taken")

envelope(conn, "ABT2", "<alice@example.org>", {"<bob@example.net>"}, "after abort, unwatched")
expect(conn, SMFIR_ACCEPT, "after abort, unwatched")
ok("the next message on the same connection is handled afresh")

envelope(conn, "ABT3", "<alice@example.org>", {"<webmaster@example.com>"}, "after abort, watched")
expect(conn, SMFIR_CONTINUE, "after abort, watched: DATA continues")
content(conn, {{"Subject", "whole"}, {"Message-ID", "<abort.3@example.org>"}}, "whole\r\n", "after abort")
header_is(conn, "not CA mail", "a watched message after an abort is marked")

-- A connection that drops in the middle of a message.
local lost = open_conn("lost")
envelope(lost, "ABT4", "<alice@example.org>", {"<admin@example.com>"}, "lost client")
mt.header(lost, "Subject", "cut")
mt.disconnect(lost, false)
ok("a connection dropped in the middle of a message")
mt.disconnect(conn)
