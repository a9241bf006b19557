#!/usr/bin/python3
"""A stand-in for Cloudflare's v4 API, as much as DNS-01 uses: GET zones?name=, POST, GET and
DELETE zones/<id>/dns_records, every answer in Cloudflare's envelope ({"success", "errors",
"messages", "result"}). One zone, home.example. Token EDIT may change records; token READ only
read zones (a token without DNS:Edit); anything else is an authentication error. Records are
written to a BIND server with nsupdate, so a CA resolving there sees them.

    cloudflare_api.py NAMESERVER_PORT KEY_NAME KEY_SECRET

prints "port N" once listening on 127.0.0.1, and one line per request."""
import json
import subprocess
import sys
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

NS_PORT, KEY_NAME, KEY_SECRET = sys.argv[1:4]
ZONE = {"id": "023e105f4ecef8ad9ca31a8372d0c353", "name": "home.example"}
RECORDS = {}


def nsupdate(verb, name, value):
    script = f"server 127.0.0.1 {NS_PORT}\nupdate {verb} {name}. 60 TXT \"{value}\"\nsend\n"
    subprocess.run(["nsupdate", "-y", f"hmac-sha256:{KEY_NAME}:{KEY_SECRET}"],
                   input=script.encode(), check=True)


class Api(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, result=None, errors=()):
        body = json.dumps({"success": not errors, "errors": list(errors), "messages": [],
                           "result": result}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        print(f"{self.command} {self.path} {status}", file=sys.stderr, flush=True)

    def token(self):
        auth = self.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        if token not in ("EDIT", "READ"):
            self.reply(403, errors=[{"code": 10000, "message": "Authentication error"}])
            return None
        return token

    def do_GET(self):
        token = self.token()
        if token is None:
            return
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/client/v4/zones":
            self.reply(200, [ZONE] if query.get("name") == ZONE["name"] else [])
        elif url.path == f"/client/v4/zones/{ZONE['id']}/dns_records":
            found = [r for r in RECORDS.values()
                     if r["name"] == query.get("name") and r["content"] == query.get("content")]
            self.reply(200, found)
        else:
            self.reply(404, errors=[{"code": 7003, "message": "Could not route to " + url.path}])

    def do_POST(self):
        token = self.token()
        if token is None:
            return
        if token != "EDIT":
            self.reply(403, errors=[{"code": 9109,
                                     "message": "Unauthorized to access requested resource"}])
            return
        record = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        record["id"] = uuid.uuid4().hex
        RECORDS[record["id"]] = record
        nsupdate("add", record["name"], record["content"])
        self.reply(200, record)

    def do_DELETE(self):
        token = self.token()
        if token is None:
            return
        record = RECORDS.pop(self.path.rsplit("/", 1)[-1], None)
        if token != "EDIT" or record is None:
            self.reply(404, errors=[{"code": 81044, "message": "Record does not exist."}])
            return
        nsupdate("delete", record["name"], record["content"])
        self.reply(200, {"id": record["id"]})


server = HTTPServer(("127.0.0.1", 0), Api)
print(f"port {server.server_port}", file=sys.stderr, flush=True)
server.serve_forever()
