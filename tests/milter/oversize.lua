-- SPDX-License-Identifier: ISC
-- oversize.lua - a watched message over max_message_size (4k in the test
-- configuration) is not buffered further, not parsed, and still delivered.
dofile("tests/milter/common.lua")

local conn = open_conn("oversize")
envelope(conn, "BIG1", "<alice@example.org>", {"<admin@example.com>"}, "big message")
expect(conn, SMFIR_CONTINUE, "big message: DATA continues")
local headers = {
	{"From", "alice@example.org"},
	{"Subject", "a big one"},
	{"Message-ID", "<big.1@example.org>"},
}
for _, h in ipairs(headers) do
	mt.header(conn, h[1], h[2])
end
mt.eoh(conn)
local line = string.rep("x", 76) .. "\r\n"
if mt.bodystring(conn, string.rep(line, 40)) ~= nil then
	fail("first body chunk")
end
local reply = mt.getreply(conn)
if reply ~= SMFIR_SKIP and reply ~= SMFIR_CONTINUE then
	fail("body over the limit: got reply " .. tostring(reply))
end
ok("the body chunk that crosses the limit is answered (skip or continue)")
if reply == SMFIR_CONTINUE then
	mt.bodystring(conn, string.rep(line, 40))
end
if mt.eom(conn) ~= nil then
	fail("eom")
end
expect(conn, SMFIR_ACCEPT, "big message accepted")
header_is(conn, "not parsed: over max_message_size", "a message over max_message_size is delivered, marked")
mt.disconnect(conn)
