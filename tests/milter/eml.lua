-- SPDX-License-Identifier: ISC
-- eml.lua - one message file through the milter, as the MTA passes it.
--
-- Run with -D eml=PATH -D rcpt=ADDRESS (and socket=...).  Prints the
-- X-Mailcert header the milter added, so the shell test can say what it
-- expected; fails when the milter adds none or does not accept the mail.

dofile("tests/milter/common.lua")

local conn = open_conn(eml)
envelope(conn, "ATTACK1", "<noreply_support@trust-provider.com>", {"<" .. rcpt .. ">"}, eml)
send_eml(conn, eml, eml)
expect(conn, SMFIR_ACCEPT, eml .. ": the mail is accepted")
print(mailcert_header(conn, eml))
mt.disconnect(conn)
