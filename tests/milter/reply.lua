-- SPDX-License-Identifier: ISC
-- reply.lua - one message file through the milter; prints the milter's
-- answer at the end of the message: "accept X-MAILCERT" or "tempfail".
--
-- Run with -D eml=PATH -D rcpt=ADDRESS -D qid=QUEUEID (and socket=...).
-- Unlike eml.lua it does not fail on a temporary failure: the shell test
-- says which answer it expected (tests/t-ledger-outage.sh).

dofile("tests/milter/common.lua")

local conn = open_conn(eml)
envelope(conn, qid, "<ca@example.org>", {"<" .. rcpt .. ">"}, eml)
send_eml(conn, eml, eml)
local reply = mt.getreply(conn)
if reply == SMFIR_ACCEPT then
	print("accept " .. tostring(mt.getheader(conn, "X-Mailcert", 0)))
elseif reply == SMFIR_TEMPFAIL then
	print("tempfail")
else
	print("reply " .. tostring(reply))
end
mt.disconnect(conn)
