#!/usr/bin/python3
"""An HTTP/2 client that writes frames by hand (Debian's python3-hyperframe and python3-hpack),
for the data plane's tests of what a misbehaving client gets.

  h2_frames.py SCENARIO PORT [ARG]

prints one line per thing the server did that the scenario watches for, then "end":
  "goaway <error code> <last stream id>"   the server said GOAWAY
  "rst <stream> <error code>"              the server reset a stream
  "status <stream> <code>"                 a response head
  "trailer <stream> <name>: <value>"       a trailer field of a response
  "data <stream> <bytes>"                  body bytes received on a stream (summed at the end)
  "body <stream> <text>"                   a short body, as a Python string literal
  "closed"                                 the server closed the connection

Scenarios: get, rapid_reset N, continuation_flood N, settings_flood N, ping_flood N,
empty_data_flood N, priority_flood N, big_header BYTES, bad_request KIND, zero_window PATH,
trailers [PATH] (a POST body followed by trailer fields),
conformance CASE (a connection error of RFC 9113 sections 4-6), neighbours PATH (two
downloads, one of whose windows never opens), idle SECONDS (one request, then silence), drain (a slow request that goes
on past a GOAWAY), swaps N (a slow request open while N more
follow one another on the same connection, 40 ms apart).
"""
import socket
import sys
import time

import hpack
from hyperframe.frame import (ContinuationFrame, DataFrame, Frame, GoAwayFrame, HeadersFrame,
                              PingFrame, PriorityFrame, RstStreamFrame, SettingsFrame,
                              WindowUpdateFrame)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


class Client:
    def __init__(self, port, settings=None):
        self.stop_at_goaway = True
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.encoder = hpack.Encoder()
        self.decoder = hpack.Decoder()
        self.buf = b""
        self.data = {}
        self.bodies = {}
        self.done = set()  # Streams that ended (END_STREAM or RST_STREAM from the server).
        s = SettingsFrame(0)
        for k, v in (settings or {}).items():
            s.settings[k] = v
        self.sock.sendall(PREFACE + s.serialize())

    def send(self, *frames):
        try:
            self.sock.sendall(b"".join(f.serialize() for f in frames))
            return True
        except OSError:
            return False

    def headers(self, stream, path="/", extra=(), end_stream=True, method="GET"):
        fields = [(":method", method), (":scheme", "http"), (":authority", "a.example"),
                  (":path", path)] + list(extra)
        f = HeadersFrame(stream)
        f.data = self.encoder.encode(fields)
        f.flags.add("END_HEADERS")
        if end_stream:
            f.flags.add("END_STREAM")
        return f

    def read_frames(self, until, seconds=10):
        """Reads frames, printing what the scenario watches, until `until(frame)` or the end."""
        end = time.time() + seconds
        while time.time() < end:
            while len(self.buf) >= 9:
                f, length = Frame.parse_frame_header(self.buf[:9])
                if len(self.buf) < 9 + length:
                    break
                f.parse_body(memoryview(self.buf[9:9 + length]))
                self.buf = self.buf[9 + length:]
                if self.note(f) or until(f):
                    return f
            try:
                self.sock.settimeout(max(0.05, end - time.time()))
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                print("closed")
                return None
            self.buf += chunk
        return None

    def wait_end(self, stream, seconds=10):
        if stream not in self.done:
            self.read_frames(lambda f: stream in self.done, seconds)

    def note(self, f):
        if isinstance(f, RstStreamFrame) or (
                isinstance(f, (HeadersFrame, DataFrame)) and "END_STREAM" in f.flags):
            self.done.add(f.stream_id)
        if isinstance(f, GoAwayFrame):
            print("goaway %d %d" % (f.error_code, f.last_stream_id), flush=True)
            return self.stop_at_goaway
        if isinstance(f, RstStreamFrame):
            print("rst %d %d" % (f.stream_id, f.error_code))
        elif isinstance(f, HeadersFrame):
            for name, value in self.decoder.decode(f.data):
                name = name.decode() if isinstance(name, bytes) else name
                value = value.decode() if isinstance(value, bytes) else value
                if name == ":status":
                    print("status %d %s" % (f.stream_id, value))
                elif f.stream_id in self.data:
                    print("trailer %d %s: %s" % (f.stream_id, name, value))
        elif isinstance(f, DataFrame):
            self.data[f.stream_id] = self.data.get(f.stream_id, 0) + len(f.data)
            self.bodies[f.stream_id] = self.bodies.get(f.stream_id, b"") + f.data[:65536]
        elif isinstance(f, SettingsFrame) and "ACK" not in f.flags:
            self.send(SettingsFrame(0, flags=["ACK"]))
        return False

    def finish(self):
        for stream, n in sorted(self.data.items()):
            print("data %d %d" % (stream, n))
        for stream, body in sorted(self.bodies.items()):
            if len(body) <= 4096:
                print("body %d %r" % (stream, body.decode("latin-1")))
        print("end", flush=True)


def ended(stream):
    return lambda f: f.stream_id == stream and (
        isinstance(f, RstStreamFrame) or "END_STREAM" in f.flags)


def main():
    scenario, port = sys.argv[1], int(sys.argv[2])
    arg = sys.argv[3] if len(sys.argv) > 3 else ""
    if scenario == "zero_window":
        # The client's windows never open: the response cannot move.
        c = Client(port, {SettingsFrame.INITIAL_WINDOW_SIZE: 0})
    else:
        c = Client(port)

    if scenario == "get":
        c.send(c.headers(1, arg or "/"))
        c.read_frames(ended(1))
    elif scenario == "rapid_reset":
        # CVE-2023-44487: open a stream and reset it at once, over and over.
        frames = []
        for i in range(int(arg)):
            sid = 1 + 2 * i
            frames += [c.headers(sid, "/slow/1000"), RstStreamFrame(sid, error_code=8)]
            if len(frames) >= 200:
                if not c.send(*frames):
                    break
                frames = []
        c.send(*frames)
        c.read_frames(lambda f: False, 5)
    elif scenario == "continuation_flood":
        # A header block that never ends: CONTINUATION after CONTINUATION (CVE-2024-27316).
        h = HeadersFrame(1)
        h.data = c.encoder.encode([(":method", "GET"), (":scheme", "http"),
                                   (":authority", "a.example"), (":path", "/")])
        frames = [h]
        for i in range(int(arg)):
            cf = ContinuationFrame(1)
            cf.data = c.encoder.encode([("x-filler-%d" % i, "v" * 100)])
            frames.append(cf)
        c.send(*frames)
        c.read_frames(lambda f: False, 5)
    elif scenario in ("settings_flood", "ping_flood", "priority_flood", "empty_data_flood"):
        n = int(arg)
        if scenario == "empty_data_flood":
            c.send(c.headers(1, "/upload", end_stream=False, method="POST"))
        for start in range(0, n, 500):
            batch = []
            for i in range(start, min(n, start + 500)):
                if scenario == "settings_flood":
                    batch.append(SettingsFrame(0))
                elif scenario == "ping_flood":
                    batch.append(PingFrame(0, opaque_data=i.to_bytes(8, "big")))
                elif scenario == "priority_flood":
                    batch.append(PriorityFrame(3 + 2 * (i % 100), depends_on=0, stream_weight=16))
                else:
                    batch.append(DataFrame(1, data=b""))
            if not c.send(*batch):
                break
        c.read_frames(lambda f: False, 5)
    elif scenario == "big_header":
        # One field of BYTES: over the header list limit, spread over a few CONTINUATIONs.
        block = c.encoder.encode([(":method", "GET"), (":scheme", "http"),
                                  (":authority", "a.example"), (":path", "/"),
                                  ("x-big", "b" * int(arg))])
        frames = []
        for i in range(0, len(block), 16384):
            f = HeadersFrame(1) if i == 0 else ContinuationFrame(1)
            f.data = block[i:i + 16384]
            if i + 16384 >= len(block):
                f.flags.add("END_HEADERS")
            if i == 0:
                f.flags.add("END_STREAM")
            frames.append(f)
        c.send(*frames)
        c.read_frames(ended(1))
        # The connection goes on: the next request is served.
        c.send(c.headers(3, "/"))
        c.read_frames(ended(3))
    elif scenario == "bad_request":
        extra = {
            "uppercase": [("X-Upper", "1")],
            "connection": [("connection", "keep-alive")],
            "transfer_encoding": [("transfer-encoding", "chunked")],
            "te": [("te", "gzip")],
            "unknown_pseudo": [(":foo", "bar")],
        }.get(arg)
        if arg == "no_path":
            f = HeadersFrame(1)
            f.data = c.encoder.encode([(":method", "GET"), (":scheme", "http"),
                                       (":authority", "a.example")])
            f.flags.add("END_HEADERS")
            f.flags.add("END_STREAM")
            c.send(f)
        elif arg == "pseudo_after_regular":
            f = HeadersFrame(1)
            f.data = c.encoder.encode([(":method", "GET"), (":scheme", "http"),
                                       ("x-a", "1"), (":authority", "a.example"), (":path", "/")])
            f.flags.add("END_HEADERS")
            f.flags.add("END_STREAM")
            c.send(f)
        else:
            c.send(c.headers(1, "/", extra))
        c.read_frames(ended(1))
        # A stream error: the connection goes on.
        c.send(c.headers(3, "/"))
        c.read_frames(ended(3))
    elif scenario == "drain":
        c.stop_at_goaway = False
        c.send(c.headers(1, "/slow/1500"))
        print("sent", flush=True)
        c.wait_end(1, 15)
        # After GOAWAY, nothing new is taken; the connection closes once stream 1 is done.
        c.read_frames(lambda f: False, 3)
    elif scenario == "swaps":
        c.send(c.headers(1, "/slow/2500"))
        print("started", flush=True)
        for i in range(int(arg)):
            sid = 3 + 2 * i
            c.send(c.headers(sid, "/n/%d" % i))
            c.wait_end(sid, 5)
            time.sleep(0.04)
        c.wait_end(1, 10)
    elif scenario == "trailers":
        # A body with trailer fields: DATA without END_STREAM, then HEADERS that end the stream.
        c.send(c.headers(1, arg or "/echo", end_stream=False, method="POST"),
               DataFrame(1, data=b"abcd"))
        t = HeadersFrame(1)
        t.data = c.encoder.encode([("x-checksum", "abc")])
        t.flags.add("END_HEADERS")
        t.flags.add("END_STREAM")
        c.send(t)
        c.wait_end(1, 10)
    elif scenario == "conformance":
        # One connection error of RFC 9113 sections 4-6 a client can provoke; the server must
        # answer with GOAWAY and the code the RFC names.
        import struct

        def raw(length, ftype, flags, sid, payload):
            return struct.pack(">I", length)[1:] + bytes([ftype, flags]) + \
                struct.pack(">I", sid) + payload
        cases = {
            # 6.5.2: SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1 is FLOW_CONTROL_ERROR.
            "settings_window": raw(6, 4, 0, 0, struct.pack(">HI", 4, 2**31)),
            # 6.5.2: SETTINGS_ENABLE_PUSH other than 0 or 1 is PROTOCOL_ERROR.
            "settings_push": raw(6, 4, 0, 0, struct.pack(">HI", 2, 2)),
            # 6.5: a SETTINGS frame whose length is not a multiple of 6 is FRAME_SIZE_ERROR.
            "settings_length": raw(5, 4, 0, 0, b"\0" * 5),
            # 6.9: a WINDOW_UPDATE of 0 on the connection is PROTOCOL_ERROR.
            "window_zero": raw(4, 8, 0, 0, struct.pack(">I", 0)),
            # 6.1: DATA on stream 0 is PROTOCOL_ERROR.
            "data_stream0": raw(4, 0, 0, 0, b"abcd"),
            # 6.7: a PING of other than 8 bytes is FRAME_SIZE_ERROR.
            "ping_length": raw(6, 6, 0, 0, b"\0" * 6),
            # 4.2: a frame over SETTINGS_MAX_FRAME_SIZE (16384 by default) is FRAME_SIZE_ERROR.
            "frame_size": raw(16385, 0, 0, 1, b"\0" * 16385),
            # 5.1.1: a client's stream with an even id is PROTOCOL_ERROR.
            "even_stream": None,
            # 6.10: a CONTINUATION without a HEADERS before it is PROTOCOL_ERROR.
            "continuation_alone": raw(0, 9, 4, 1, b""),
            # 6.8: a GOAWAY on a stream other than 0 is PROTOCOL_ERROR.
            "goaway_stream": raw(8, 7, 0, 1, b"\0" * 8),
        }
        if arg == "even_stream":
            c.send(c.headers(2, "/"))
        else:
            c.sock.sendall(cases[arg])
        c.read_frames(lambda f: False, 5)
    elif scenario == "neighbours":
        # Two large downloads on one connection: the client opens the window of stream 3 (and
        # the connection's) as bytes come, never that of stream 1. Stream 3 must finish.
        c.send(c.headers(1, arg), c.headers(3, arg))
        end = time.time() + 15
        while 3 not in c.done and time.time() < end:
            before = dict(c.data)
            c.read_frames(lambda f: isinstance(f, DataFrame), 1)
            got3 = c.data.get(3, 0) - before.get(3, 0)
            got = sum(c.data.values()) - sum(before.values())
            updates = []
            if got3 > 0:
                updates.append(WindowUpdateFrame(3, window_increment=got3))
            if got > 0:
                updates.append(WindowUpdateFrame(0, window_increment=got))
            if updates:
                c.send(*updates)
        print("stalled %d" % (1 not in c.done), flush=True)
    elif scenario == "idle":
        # One request, then nothing: the server says GOAWAY once the entrypoint's idle timeout
        # has passed with no stream open.
        c.send(c.headers(1, "/"))
        c.wait_end(1, 5)
        print("answered", flush=True)
        c.read_frames(lambda f: False, float(arg or 5))
    elif scenario == "zero_window":
        c.send(c.headers(1, arg))
        c.read_frames(lambda f: f.stream_id == 1 and isinstance(f, RstStreamFrame), 15)
    else:
        raise SystemExit("unknown scenario " + scenario)
    c.finish()


if __name__ == "__main__":
    main()
