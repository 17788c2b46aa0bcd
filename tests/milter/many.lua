-- SPDX-License-Identifier: ISC
-- many.lua - many connections at once, their messages interleaved: each
-- gets its own answer (libmilter gives each connection a thread).
dofile("tests/milter/common.lua")

local count = tonumber(connections or "40")
local conns = {}
for i = 1, count do
	conns[i] = open_conn("connection " .. i)
end
ok(count .. " connections open at once")
for i = 1, count do
	local rcpt = (i % 2 == 0) and "<admin@example.com>" or "<user" .. i .. "@example.net>"
	envelope(conns[i], "MANY" .. i, "<alice@example.org>", {rcpt}, "connection " .. i)
end
for i = 1, count do
	if i % 2 == 0 then
		expect(conns[i], SMFIR_CONTINUE, "connection " .. i .. " (watched)")
	else
		expect(conns[i], SMFIR_ACCEPT, "connection " .. i .. " (unwatched)")
	end
end
ok("watched and unwatched messages told apart on every connection")
for i = 2, count, 2 do
	content(conns[i], {{"Subject", "many " .. i}, {"Message-ID", "<many." .. i .. "@example.org>"}},
		"body " .. i .. "\r\n", "connection " .. i)
end
for i = 2, count, 2 do
	expect(conns[i], SMFIR_ACCEPT, "connection " .. i .. " accepted at EOM")
	if mailcert_header(conns[i], "connection " .. i) ~= "not CA mail" then
		fail("connection " .. i .. ": wrong header")
	end
end
ok("every watched message got its header")
for i = 1, count do
	mt.disconnect(conns[i])
end
ok("all connections closed")
