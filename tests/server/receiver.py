"""A webhook receiver on loopback for the adapter tests (Python's standard library only).

It verifies each request's X-Spur-Signature, deduplicates on Idempotency-Key, and
misbehaves on demand: `script` is a list of what to do with the next requests, one entry
each ("500", "429", "400", "close": drop the connection without an answer, "hang": answer
after `hang_seconds`); once it is used up, every request is answered 200. `down()` makes
every request fail with 503 until `up()`. With `tls=(certificate, key)` (PEM files) it
speaks https, as `localhost`.
"""

import hashlib
import hmac
import http.server
import json
import ssl
import threading
import time


class Receiver:
    def __init__(self, secret, port=0, hang_seconds=2.0, tls=None):
        self.secret = secret.encode()
        self.tls = tls is not None
        self.hang_seconds = hang_seconds
        self.lock = threading.Lock()
        self.script = []
        self.failing = False
        self.delivered = {}     # Idempotency-Key -> firing (2xx answers only)
        self.duplicates = 0     # 2xx answers to a key already delivered
        self.bad_signatures = 0
        self.attempts = {}      # Idempotency-Key -> [time of each request]
        self.connections = set()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                key = self.headers.get("Idempotency-Key", "")
                signature = self.headers.get("X-Spur-Signature", "")
                expected = "sha256=" + hmac.new(receiver.secret, body, hashlib.sha256).hexdigest()
                with receiver.lock:
                    receiver.connections.add(self.client_address)
                    receiver.attempts.setdefault(key, []).append(time.time())
                    if not hmac.compare_digest(signature, expected):
                        receiver.bad_signatures += 1
                    action = receiver.script.pop(0) if receiver.script else ("503" if receiver.failing else "200")
                if action == "close":
                    self.close_connection = True
                    self.connection.close()
                    return
                if action == "hang":
                    time.sleep(receiver.hang_seconds)
                    action = "200"
                if action == "200":
                    with receiver.lock:
                        if key in receiver.delivered:
                            receiver.duplicates += 1
                        receiver.delivered[key] = json.loads(body)
                try:
                    self.send_response(int(action))
                    if action == "429":
                        self.send_header("Retry-After", "1")
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"{}")
                except OSError:
                    pass  # the client gave up on a hung answer

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a sender killed mid-request (the kill -9 test) is not the receiver's error

        self.server = Server(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        if self.tls:
            return f"https://localhost:{self.port}/hook"
        return f"http://127.0.0.1:{self.port}/hook"

    def down(self):
        with self.lock:
            self.failing = True

    def up(self):
        with self.lock:
            self.failing = False

    def keys(self):
        with self.lock:
            return set(self.delivered)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
