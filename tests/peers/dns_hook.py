#!/usr/bin/python3
"""A DNS-01 HTTP hook as users write them for lego's httpreq provider: POST /present and
/cleanup with {"fqdn": "_acme-challenge.example.com.", "value": "..."} behind basic
authentication, each turned into an nsupdate to a BIND server.

    dns_hook.py USER:PASSWORD NAMESERVER_PORT KEY_NAME KEY_SECRET [LATE_SECONDS]

With LATE_SECONDS, a present is answered at once but reaches the server only that much later
(a DNS that takes its time to publish). A RAW-mode body ({"domain", "token", "keyAuth"}) is
turned into the record here, as such hooks do.

prints "port N" once listening on 127.0.0.1, and one line per request it handled."""
import base64
import hashlib
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

CREDENTIALS, NS_PORT, KEY_NAME, KEY_SECRET = sys.argv[1:5]
LATE = float(sys.argv[5]) if len(sys.argv) > 5 else 0


class Hook(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        expected = "Basic " + base64.b64encode(CREDENTIALS.encode()).decode()
        if self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.end_headers()
            return
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        if "keyAuth" in body:  # HTTPREQ_MODE=RAW: the hook makes the record.
            digest = hashlib.sha256(body["keyAuth"].encode()).digest()
            body = {"fqdn": "_acme-challenge." + body["domain"].removeprefix("*.") + ".",
                    "value": base64.urlsafe_b64encode(digest).decode().rstrip("="),
                    "raw": body["domain"]}
        action = self.path.rsplit("/", 1)[-1]
        verb = {"present": "add", "cleanup": "delete"}.get(action)
        if verb is None:
            self.send_response(404)
            self.end_headers()
            return
        script = (f"server 127.0.0.1 {NS_PORT}\n"
                  f"update {verb} {body['fqdn']} 60 TXT \"{body['value']}\"\nsend\n")
        update = ["nsupdate", "-y", f"hmac-sha256:{KEY_NAME}:{KEY_SECRET}"]
        if LATE and verb == "add":
            def later():
                time.sleep(LATE)
                subprocess.run(update, input=script.encode(), capture_output=True)
                print(f"published {body['fqdn']}", file=sys.stderr, flush=True)
            threading.Thread(target=later).start()
            print(f"{self.path} {body['fqdn']} later", file=sys.stderr, flush=True)
            self.send_response(200)
            self.end_headers()
            return
        done = subprocess.run(update, input=script.encode(), capture_output=True)
        raw = f" (raw {body['raw']})" if "raw" in body else ""
        print(f"{self.path} {body['fqdn']} {done.returncode}{raw}", file=sys.stderr, flush=True)
        self.send_response(200 if done.returncode == 0 else 500)
        self.end_headers()
        self.wfile.write(done.stderr)


server = HTTPServer(("127.0.0.1", 0), Hook)
print(f"port {server.server_port}", file=sys.stderr, flush=True)
server.serve_forever()
