-- SPDX-License-Identifier: ISC
-- common.lua - what the miltertest scripts of mailcert share.
--
-- The shell test (tests/t-milter-miltertest.sh) starts mailcert-milter and
-- runs each script with -D socket=inet:PORT@127.0.0.1.  miltertest prints
-- nothing for error(), so every failure is written to stderr first.

function fail(what)
	io.stderr:write("not ok - " .. what .. "\n")
	error(what)
end

function ok(what)
	print("ok - " .. what)
end

-- A new connection to the milter.  mailcert-milter asks the MTA not to
-- send the CONNECT step, which it has no use for, and miltertest refuses
-- to send a step negotiated away: that refusal is checked here.
function open_conn(name)
	local conn = mt.connect(socket, 40, 0.25)
	if conn == nil then
		fail(name .. ": cannot connect to " .. tostring(socket))
	end
	local sent, err = pcall(mt.conninfo, conn, "client.example.org", "192.0.2.1")
	if sent or not string.find(tostring(err), "SMFIP_NOCONNECT", 1, true) then
		fail(name .. ": CONNECT should have been negotiated away: " .. tostring(err))
	end
	return conn
end

function expect(conn, want, what)
	local got = mt.getreply(conn)
	if got ~= want then
		fail(what .. ": got reply " .. tostring(got) .. ", want " .. tostring(want))
	end
end

-- Envelope of one message; the queue id is sent as macro i with MAIL FROM.
function envelope(conn, qid, from, rcpts, what)
	if mt.macro(conn, SMFIC_MAIL, "i", qid) ~= nil then
		fail(what .. ": macro")
	end
	if mt.mailfrom(conn, from) ~= nil then
		fail(what .. ": mailfrom")
	end
	expect(conn, SMFIR_CONTINUE, what .. ": MAIL FROM continues")
	for _, rcpt in ipairs(rcpts) do
		if mt.rcptto(conn, rcpt) ~= nil then
			fail(what .. ": rcptto " .. rcpt)
		end
		expect(conn, SMFIR_CONTINUE, what .. ": RCPT TO " .. rcpt .. " continues")
	end
	if mt.data(conn) ~= nil then
		fail(what .. ": data")
	end
end

-- Headers (a table of {name, value}) and one body string, then EOM.
function content(conn, headers, body, what)
	for _, h in ipairs(headers) do
		if mt.header(conn, h[1], h[2]) ~= nil then
			fail(what .. ": header " .. h[1])
		end
		expect(conn, SMFIR_CONTINUE, what .. ": header " .. h[1] .. " continues")
	end
	if mt.eoh(conn) ~= nil then
		fail(what .. ": eoh")
	end
	expect(conn, SMFIR_CONTINUE, what .. ": end of headers continues")
	-- A milter body chunk is at most 65535 bytes (MILTER_CHUNK_SIZE), as
	-- the MTA sends it.
	if body ~= nil then
		for at = 1, #body, 65535 do
			if mt.bodystring(conn, body:sub(at, at + 65534)) ~= nil then
				fail(what .. ": body")
			end
			expect(conn, SMFIR_CONTINUE, what .. ": body chunk continues")
		end
	end
	if mt.eom(conn) ~= nil then
		fail(what .. ": eom")
	end
end

-- The value of the X-Mailcert header the milter added at EOM.
function mailcert_header(conn, what)
	if not mt.eom_check(conn, MT_HDRADD, "X-Mailcert") then
		fail(what .. ": no X-Mailcert header added")
	end
	return mt.getheader(conn, "X-Mailcert", 0)
end

function header_is(conn, want, what)
	local got = mailcert_header(conn, what)
	if got ~= want then
		fail(what .. ": X-Mailcert is \"" .. tostring(got) .. "\", want \"" .. want .. "\"")
	end
	ok(what)
end

-- send_eml - a message file as the MTA would pass it: header by header
-- (folded lines joined), then the body.
function send_eml(conn, path, what)
	local f = io.open(path, "rb")
	if f == nil then
		fail(what .. ": cannot open " .. path)
	end
	local text = f:read("*a")
	f:close()
	text = text:gsub("\r\n", "\n")
	local head, body = text:match("^(.-)\n\n(.*)$")
	if head == nil then
		head, body = text, ""
	end
	local headers = {}
	for line in (head .. "\n"):gmatch("(.-)\n") do
		if line:match("^[ \t]") and #headers > 0 then
			headers[#headers][2] = headers[#headers][2] .. "\n" .. line
		else
			local name, value = line:match("^([^:]+):[ \t]?(.*)$")
			if name ~= nil then
				headers[#headers + 1] = {name, value}
			end
		end
	end
	content(conn, headers, (body:gsub("\n", "\r\n")), what)
end
