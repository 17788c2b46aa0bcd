-- SPDX-License-Identifier: ISC
-- verifier.lua - one message file through a DKIM verifier milter (the real
-- OpenDKIM); prints the Authentication-Results field it adds.
--
-- Run with -D eml=PATH (and socket=...).  tests/t-opendkim.sh puts that
-- field on top of the message, as Postfix would, and asks mailcert what it
-- believes.

local conn = mt.connect(socket, 40, 0.25)
if conn == nil then
	io.stderr:write("not ok - cannot connect to " .. tostring(socket) .. "\n")
	error("connect")
end
local function step(rc, what)
	if rc ~= nil then
		io.stderr:write("not ok - " .. what .. ": " .. tostring(rc) .. "\n")
		error(what)
	end
end
step(mt.conninfo(conn, "mail.trust-provider.com", "192.0.2.7"), "conninfo")
step(mt.macro(conn, SMFIC_MAIL, "i", "DKIM1"), "macro")
step(mt.mailfrom(conn, "<noreply_support@trust-provider.com>"), "mailfrom")
step(mt.rcptto(conn, "<admin@example.com>"), "rcptto")
local f = io.open(eml, "rb")
local text = f:read("*a"):gsub("\r\n", "\n")
f:close()
local head, body = text:match("^(.-)\n\n(.*)$")
local headers = {}
for line in (head .. "\n"):gmatch("(.-)\n") do
	if line:match("^[ \t]") and #headers > 0 then
		headers[#headers][2] = headers[#headers][2] .. "\r\n" .. line
	else
		local name, value = line:match("^([^:]+):[ \t]?(.*)$")
		if name ~= nil then
			headers[#headers + 1] = {name, value}
		end
	end
end
for _, h in ipairs(headers) do
	step(mt.header(conn, h[1], h[2]), "header " .. h[1])
end
step(mt.eoh(conn), "eoh")
step(mt.bodystring(conn, (body:gsub("\n", "\r\n"))), "body")
step(mt.eom(conn), "eom")
if mt.eom_check(conn, MT_HDRINSERT, "Authentication-Results") or
   mt.eom_check(conn, MT_HDRADD, "Authentication-Results") then
	print(mt.getheader(conn, "Authentication-Results", 0))
else
	io.stderr:write("not ok - the verifier added no Authentication-Results\n")
	error("no header")
end
mt.disconnect(conn)
