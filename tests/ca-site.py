#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""ca-site.py - a CA's approval web site, played for tests/t-approve.sh.

Usage: ca-site.py PORT CERT KEY LOG [LIFETIME [MAX_REQUESTS]]

Listens with TLS on 127.0.0.1:PORT only (the test PKI's certificate) and
writes one line per request to LOG: "METHOD PATH BODY".  Exits by itself
after LIFETIME seconds (default 60) or MAX_REQUESTS requests (default 100).

It behaves like Sectigo's EnterDCVCode pages, keyed on the order number so
that one server plays every case of the test:

  POST /products/EnterDCVCode2 with orderNumber, dcvCode, postPaymentPage=N:
    orderNumber 1001..1099, dcvCode == GOOD_CODE  -> the success page
    orderNumber 1001..1099, another dcvCode       -> "Invalid Validation Code!"
    orderNumber 3021  -> 302 to https://evil.example/products/EnterDCVCode2
    orderNumber 3022  -> 302 to /products/RejectDCVCode?... on this host
    orderNumber 5000..5099 -> 500 Internal Server Error
    orderNumber 7000  -> a 200 KiB page (over the test's max_response_size)
  GET /products/EnterDCVCode -> the form page
  GET /products/RejectDCVCode -> "Order rejected" (must never be requested)
  anything else -> 404
"""
import http.server
import ssl
import sys
import time
import urllib.parse

GOOD_CODE = "Xy7-Q*9z_aB3+c/d="
SUCCESS = ("<html><body><p>You have entered the correct Domain Control Validation"
           "\n code.</p><p>Your certificate will now be issued.</p></body></html>")
FAILURE = "<html><body><h1>Invalid Validation Code!</h1></body></html>"
FORM = ("<html><body><form method=post action=/products/EnterDCVCode2>"
        "<input name=dcvCode></form></body></html>")


class CASite(http.server.BaseHTTPRequestHandler):
    log_path = None
    requests = 0

    def log_message(self, fmt, *args):
        pass

    def record(self, body):
        CASite.requests += 1
        with open(self.log_path, "a") as log:
            log.write("%s %s %s\n" % (self.command, self.path, body))

    def answer(self, status, text, location=None):
        data = text.encode()
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.record("")
        path = urllib.parse.urlsplit(self.path).path
        if path == "/products/EnterDCVCode":
            self.answer(200, FORM)
        elif path == "/products/RejectDCVCode":
            self.answer(200, "<p>Order rejected</p>")
        else:
            self.answer(404, "not found")

    def do_POST(self):
        length = min(int(self.headers.get("Content-Length", "0")), 65536)
        body = self.rfile.read(length).decode("ascii", "replace")
        self.record(body)
        if urllib.parse.urlsplit(self.path).path != "/products/EnterDCVCode2":
            self.answer(404, "not found")
            return
        form = urllib.parse.parse_qs(body, keep_blank_values=True)
        order = form.get("orderNumber", [""])[0]
        code = form.get("dcvCode", [""])[0]
        page = form.get("postPaymentPage", [""])[0]
        if order == "3021":
            self.answer(302, "moved", "https://evil.example/products/EnterDCVCode2")
        elif order == "3022":
            self.answer(302, "moved", "/products/RejectDCVCode?orderNumber=3022&dcvCode=" + code)
        elif order == "7000":
            self.answer(200, "<p>" + "x" * (200 * 1024) + "</p>")
        elif order.startswith("50") and len(order) == 4:
            self.answer(500, "oops")
        elif order.startswith("10") and len(order) == 4 and code == GOOD_CODE and page == "N":
            self.answer(200, SUCCESS)
        else:
            self.answer(200, FAILURE)


def main():
    port, cert, key, log = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    lifetime = float(sys.argv[5]) if len(sys.argv) > 5 else 60
    max_requests = int(sys.argv[6]) if len(sys.argv) > 6 else 100
    CASite.log_path = log
    server = http.server.HTTPServer(("127.0.0.1", port), CASite)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.timeout = 0.5
    deadline = time.time() + lifetime
    open(log, "a").close()
    while time.time() < deadline and CASite.requests < max_requests:
        server.handle_request()
    server.server_close()


if __name__ == "__main__":
    main()
