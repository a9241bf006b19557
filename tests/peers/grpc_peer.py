#!/usr/bin/python3
"""A real gRPC server and client (Debian's python3-grpcio) for the data plane's tests.

No generated code: the methods of service wharf.Test take and return raw bytes.

  grpc_peer.py serve                 prints "port N" on stderr, serves until killed
  grpc_peer.py call TARGET KIND ARG [--tls CA_FILE NAME]
      KIND unary|server|client|bidi|abort; prints the outcome on stdout as
      "ok <result>" or "error <StatusCode name> <details>"

Methods:
  Unary(b)         -> b"echo:" + b
  Abort(b)         -> aborts with PERMISSION_DENIED and details "no entry: " + b
  ServerStream(n)  -> n messages b"0", b"1", ...
  ClientStream(..) -> b"sum:<total bytes>,count:<messages>"
  Bidi(..)         -> each message upper-cased, as it comes
"""
import sys
import time
from concurrent import futures

import grpc

SERVICE = "wharf.Test"


def unary(req, ctx):
    return b"echo:" + req


def abort(req, ctx):
    ctx.abort(grpc.StatusCode.PERMISSION_DENIED, "no entry: " + req.decode())


def server_stream(req, ctx):
    for i in range(int(req)):
        yield str(i).encode()


def client_stream(it, ctx):
    total = count = 0
    for m in it:
        total += len(m)
        count += 1
    return b"sum:%d,count:%d" % (total, count)


def bidi(it, ctx):
    for m in it:
        yield m.upper()


def serve():
    handler = grpc.method_handlers_generic_handler(SERVICE, {
        "Unary": grpc.unary_unary_rpc_method_handler(unary),
        "Abort": grpc.unary_unary_rpc_method_handler(abort),
        "ServerStream": grpc.unary_stream_rpc_method_handler(server_stream),
        "ClientStream": grpc.stream_unary_rpc_method_handler(client_stream),
        "Bidi": grpc.stream_stream_rpc_method_handler(bidi),
    })
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print("port %d" % port, file=sys.stderr, flush=True)
    server.wait_for_termination()


def call(target, kind, arg, tls):
    if tls:
        with open(tls[0], "rb") as f:
            creds = grpc.ssl_channel_credentials(root_certificates=f.read())
        channel = grpc.secure_channel(
            target, creds, options=[("grpc.ssl_target_name_override", tls[1])])
    else:
        channel = grpc.insecure_channel(target)
    path = "/%s/" % SERVICE
    try:
        if kind == "unary":
            out = channel.unary_unary(path + "Unary")(arg.encode(), timeout=20)
        elif kind == "abort":
            out = channel.unary_unary(path + "Abort")(arg.encode(), timeout=20)
        elif kind == "server":
            out = b"|".join(channel.unary_stream(path + "ServerStream")(arg.encode(), timeout=20))
        elif kind == "client":
            n = int(arg)
            out = channel.stream_unary(path + "ClientStream")(
                (b"x" * 1000 for _ in range(n)), timeout=20)
        elif kind == "bidi":
            # Each message waits for its answer before the next goes: the call only works if
            # both directions move at once through the proxy.
            import queue
            q = queue.Queue()
            words = arg.split(",")
            answers = []

            def requests():
                for w in words:
                    yield w.encode()
                    answers.append(q.get(timeout=10))
            responses = channel.stream_stream(path + "Bidi")(requests(), timeout=20)
            for r in responses:
                q.put(r)
            out = b"|".join(answers)
        else:
            raise SystemExit("unknown kind " + kind)
        print("ok " + out.decode())
    except grpc.RpcError as e:
        print("error %s %s" % (e.code().name, e.details()))
    channel.close()


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve()
    elif sys.argv[1] == "call":
        tls = None
        if len(sys.argv) > 5 and sys.argv[5] == "--tls":
            tls = (sys.argv[6], sys.argv[7])
        call(sys.argv[2], sys.argv[3], sys.argv[4], tls)
