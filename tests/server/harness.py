"""Runs a real `spur serve` on 127.0.0.1 for the end-to-end tests.

Each SpurServer gets a temporary working folder with its own rule files and
spur.yaml, listens on a port the kernel picks (server.listen 127.0.0.1:0), and
captures firings (stdout) and log lines (stderr) in files. Python's standard
library only: the tests need nothing beyond Debian's python3.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

STARTUP_SECONDS = 20


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


def read_until_close(sock, seconds):
    """What the peer sends on `sock` until it closes (or resets) or `seconds` pass."""
    sock.settimeout(seconds)
    chunks = []
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    except (socket.timeout, ConnectionResetError):
        pass
    return b"".join(chunks)


class SpurServer:
    def __init__(self, spur, rules, config="", env=None, use_default_config=False):
        """`rules`: file name -> rule text. `config`: extra spur.yaml text
        (server.listen and engine.rules are set here unless given)."""
        self.spur = spur
        self.dir = tempfile.mkdtemp(prefix="spur-e2e-")
        self.rules_dir = os.path.join(self.dir, "rules")
        os.makedirs(self.rules_dir)
        for name, text in rules.items():
            self.write_rule(name, text)
        self.config_path = os.path.join(self.dir, "spur.yaml")
        with open(self.config_path, "w") as f:
            f.write(config)
        self.args = [spur, "serve"] + ([] if use_default_config else ["--config", self.config_path])
        self.env = dict(os.environ, **(env or {}))
        self.stdout_path = os.path.join(self.dir, "stdout.ndjson")
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        self.proc = None
        self.port = None

    def write_rule(self, name, text):
        path = os.path.join(self.rules_dir, name)
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)  # one inotify event, never a half-written file

    def start(self, expect_failure=False, restart=False):
        """`restart`: start again in the same folder (its data folder, rules and files),
        appending to the output of the runs before."""
        mode = "a" if restart else "w"
        self.lines_before = len(self.log_lines()) if restart else 0
        self.stdout = open(self.stdout_path, mode)
        self.stderr = open(self.stderr_path, mode)
        self.runs = getattr(self, "runs", 0) + 1
        self.proc = subprocess.Popen(self.args, cwd=self.dir, env=self.env,
                                     stdout=self.stdout, stderr=self.stderr)
        deadline = time.time() + STARTUP_SECONDS
        while time.time() < deadline:
            for line in self.log_lines()[self.lines_before:] if restart else self.log_lines():
                if line.get("msg") == "spur serve started":
                    self.port = int(line["listen"].rsplit(":", 1)[1])
                    return self
            if self.proc.poll() is not None:
                if expect_failure:
                    return self
                raise AssertionError(f"spur serve exited {self.proc.returncode}:\n{self.stderr_text()}")
            time.sleep(0.05)
        raise AssertionError("spur serve did not start:\n" + self.stderr_text())

    def stderr_text(self):
        with open(self.stderr_path) as f:
            return f.read()

    def log_lines(self):
        lines = []
        for raw in self.stderr_text().splitlines():
            try:
                lines.append(json.loads(raw))
            except ValueError:
                pass
        return lines

    def firings(self):
        with open(self.stdout_path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def request(self, method, path, body=None, headers=None, token=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = dict(headers or {})
        if body is not None and not isinstance(body, (str, bytes)):
            body = json.dumps(body)
            headers.setdefault("Content-Type", "application/json")
        if isinstance(body, str):
            body = body.encode()
        if token:
            headers["Authorization"] = "Bearer " + token
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        response = Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode("utf-8", "replace"))
        conn.close()
        return response

    def post_events(self, events, token=None, ndjson=False):
        if ndjson:
            body = "\n".join(json.dumps(e) for e in events) + "\n"
            return self.request("POST", "/v1/events", body,
                                {"Content-Type": "application/x-ndjson"}, token)
        return self.request("POST", "/v1/events", events, token=token)

    def raw(self, data, read_timeout=5):
        """Sends raw bytes on a fresh connection; returns what comes back until close."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=read_timeout)
        s.sendall(data)
        answer = read_until_close(s, read_timeout)
        s.close()
        return answer

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=timeout)
        for f in (getattr(self, "stdout", None), getattr(self, "stderr", None)):
            if f:
                f.close()
        # Under the sanitizers (CI), a report in the server's stderr fails the suite.
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                       "WARNING: ThreadSanitizer"):
            if marker in self.stderr_text():
                raise AssertionError("the server's sanitizer report:\n" + self.stderr_text())
        return self.proc.returncode if self.proc else None

    def crash(self):
        """kill -9: no drain, no flush, nothing the process does on its way out."""
        self.proc.kill()
        self.proc.wait()
        for f in (self.stdout, self.stderr):
            f.close()

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def pings(users, prefix):
    """`ping` events of users prefix-0 .. prefix-(users-1), one each, with `n`."""
    return [{"event": "ping", "user": f"{prefix}-{u}", "id": f"{prefix}-{u}", "properties": {"n": u}}
            for u in range(users)]


def log_adapter_firings(server, name):
    """The firings a log adapter wrote to `name` in the server's folder (none yet: [])."""
    path = os.path.join(server.dir, name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def wait_for(predicate, seconds=10, what="condition"):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def run_tests(tests):
    """Runs (name, function) pairs; prints PASS/FAIL per test; exit status 1 on any failure."""
    import sys
    import traceback
    failed = 0
    # SPUR_TESTS=name,name runs only those (for a developer chasing one failure).
    only = [n for n in os.environ.get("SPUR_TESTS", "").split(",") if n]
    for name, fn in tests:
        if only and name not in only:
            continue
        start = time.time()
        try:
            fn()
            print(f"PASS {name} ({time.time() - start:.1f}s)", flush=True)
        except Exception:  # a failing test must not stop the others
            failed += 1
            print(f"FAIL {name}", flush=True)
            traceback.print_exc()
    print(f"{len(tests) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
