#!/usr/bin/python3
"""A TCP server for the TCP router tests, written apart from Wharf so that what Wharf sends is
checked by code that shares nothing with it.

    tcp_peer.py [--proxy] [--banner TEXT] [--name NAME]
    tcp_peer.py --udp [--name NAME]

Listens on 127.0.0.1 and a port of the kernel's choice, prints "port N" once listening, and
serves each connection in a thread:
  --proxy   the connection must open with a PROXY protocol header (HAProxy's spec, v1 text or
            v2 binary); the first line sent back is "proxy v1 ADDR PORT" or "proxy v2 ADDR
            PORT" with the client it names, or "proxy bad" and the connection is closed;
  --banner  TEXT is sent first, before anything is read (a server that speaks first: SMTP);
  --name    NAME is sent as "NAME\\n" before echoing, so tests tell servers apart.
Then every byte received is sent back; when the client half-closes, "<eof>\\n" follows and the
server closes its side.

With --udp it answers each datagram with the datagram, " from PORT" (the port it came from:
one per session of the proxy in front) and " NAME" when given."""
import socket
import socketserver
import struct
import sys

ARGS = sys.argv[1:]
PROXY = "--proxy" in ARGS
BANNER = ARGS[ARGS.index("--banner") + 1].encode() if "--banner" in ARGS else b""
NAME = ARGS[ARGS.index("--name") + 1].encode() if "--name" in ARGS else b""
V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


def read_exactly(sock, n):
    out = b""
    while len(out) < n:
        got = sock.recv(n - len(out))
        if not got:
            raise EOFError
        out += got
    return out


def proxy_header(sock):
    """The client a PROXY header names, as 'v1 ADDR PORT' or 'v2 ADDR PORT', or None."""
    first = read_exactly(sock, 12)
    if first == V2_SIGNATURE:
        ver_cmd, family, length = struct.unpack("!BBH", read_exactly(sock, 4))
        body = read_exactly(sock, length)
        if ver_cmd >> 4 != 2 or ver_cmd & 0xF != 1:
            return None
        if family == 0x11:
            return "v2 %s %d" % (socket.inet_ntop(socket.AF_INET, body[0:4]),
                                 struct.unpack("!H", body[8:10])[0])
        if family == 0x21:
            return "v2 %s %d" % (socket.inet_ntop(socket.AF_INET6, body[0:16]),
                                 struct.unpack("!H", body[32:34])[0])
        return None
    line = first
    while not line.endswith(b"\r\n"):
        if len(line) > 107:
            return None
        line += read_exactly(sock, 1)
    parts = line[:-2].decode("ascii").split(" ")
    if len(parts) != 6 or parts[0] != "PROXY" or parts[1] not in ("TCP4", "TCP6"):
        return None
    return "v1 %s %s" % (parts[2], parts[4])


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        try:
            if PROXY:
                said = proxy_header(sock)
                sock.sendall(b"proxy " + (said or "bad").encode() + b"\n")
                if said is None:
                    return
            if BANNER:
                sock.sendall(BANNER + b"\n")
            if NAME:
                sock.sendall(NAME + b"\n")
            while True:
                data = sock.recv(65536)
                if not data:
                    sock.sendall(b"<eof>\n")
                    sock.shutdown(socket.SHUT_WR)
                    return
                sock.sendall(data)
        except (EOFError, OSError):
            return


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


if "--udp" in ARGS:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    print("port %d" % sock.getsockname()[1], file=sys.stderr, flush=True)
    while True:
        data, peer = sock.recvfrom(65536)
        sock.sendto(data + b" from %d" % peer[1] + (b" " + NAME if NAME else b""), peer)

with Server(("127.0.0.1", 0), Handler) as server:
    print("port %d" % server.server_address[1], file=sys.stderr, flush=True)
    server.serve_forever()
