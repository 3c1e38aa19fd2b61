"""The server side shared by the minimal protocol responders (tools/*_responder.py): a threading
TCP server on --host/--port (0 = any free port), whose port goes to stdout and to --port-file so a
test script knows where to connect."""
import argparse
import socketserver


def recv_exact(sock, n):
    """Exactly n bytes from `sock`, or None when the peer closes first."""
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def serve(handler, description):
    """Parses the command line and serves `handler` (a socketserver request handler) until
    interrupted."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    args = ap.parse_args()
    srv = Server((args.host, args.port), handler)
    host, port = srv.server_address[:2]
    print(f"listening {host} {port}", flush=True)
    if args.port_file:
        with open(args.port_file, "w") as f:
            f.write(f"{port}\n")
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
