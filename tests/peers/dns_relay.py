#!/usr/bin/python3
"""A zone's authoritative nameserver as the DNS-01 propagation check finds it: on port 53 of
a loopback address of its own (the NS record's), passing each UDP query on to the BIND server
the test runs on another port, as a secondary that has the zone would answer.

    dns_relay.py ADDRESS UPSTREAM_PORT [WITHHOLD_SECONDS]

With WITHHOLD_SECONDS, TXT answers for a name are held back (answered without records) for
that long after its first TXT query: a secondary that has not transferred the change yet.

Prints "port 53" once listening, and one line per TXT query: "TXT NAME answered|withheld"."""
import socket
import sys
import time

ADDRESS, UPSTREAM = sys.argv[1], int(sys.argv[2])
WITHHOLD = float(sys.argv[3]) if len(sys.argv) > 3 else 0
TXT = 16


def question(packet):
    """The question's name, type and where the question section ends."""
    labels, at = [], 12
    while packet[at]:
        labels.append(packet[at + 1:at + 1 + packet[at]].decode())
        at += 1 + packet[at]
    at += 1
    return ".".join(labels) + ".", int.from_bytes(packet[at:at + 2], "big"), at + 4


def empty_answer(query, end):
    """The answer of a server with the name but no record of that type yet (NOERROR, no data)."""
    flags = 0x8400 | (int.from_bytes(query[2:4], "big") & 0x0100)  # QR, AA, the query's RD.
    return query[:2] + flags.to_bytes(2, "big") + b"\x00\x01" + b"\x00" * 6 + query[12:end]


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind((ADDRESS, 53))
    print("port 53", file=sys.stderr, flush=True)
    upstream = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    upstream.settimeout(2)
    first_asked = {}
    while True:
        query, client = listener.recvfrom(4096)
        try:
            name, qtype, end = question(query)
        except (IndexError, UnicodeDecodeError):
            continue
        if qtype == TXT:
            first = first_asked.setdefault(name, time.monotonic())
            if time.monotonic() - first < WITHHOLD:
                print(f"TXT {name} withheld", file=sys.stderr, flush=True)
                listener.sendto(empty_answer(query, end), client)
                continue
        upstream.sendto(query, ("127.0.0.1", UPSTREAM))
        try:
            answer = b""
            while answer[:2] != query[:2]:  # Not a late answer to an earlier query.
                answer, _ = upstream.recvfrom(65535)
        except socket.timeout:
            continue
        if qtype == TXT:
            print(f"TXT {name} answered", file=sys.stderr, flush=True)
        listener.sendto(answer, client)


main()
