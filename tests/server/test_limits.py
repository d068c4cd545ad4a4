"""Connection limits of http-api.md: slow requests, idle keep-alive, connection count."""

import os
import socket
import sys
import time

from harness import SpurServer, run_tests, wait_for
import rules

spur = os.path.abspath(sys.argv[1])
CONFIG = """
server:
  listen: 127.0.0.1:0
  limits: {connections: 4, idle_timeout: 1s, request_timeout: 1s}
engine: {rules: [rules]}
"""
server = SpurServer(spur, rules.ALL, CONFIG)
server.start()


def closed_within(sock, seconds):
    """True when the server closes `sock` within `seconds` (reading what it sends)."""
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass
        return True
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True


def test_a_slow_request_is_cut_off():
    s = socket.create_connection(("127.0.0.1", server.port))
    s.sendall(b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
    start = time.time()
    s.sendall(b"Content-Length: 40\r\n\r\n{\"event\":")  # and never the rest
    assert closed_within(s, 5), "the server kept a request that did not arrive in time"
    assert 0.5 < time.time() - start < 4
    s.close()


def test_a_trickling_request_is_cut_off_too():
    s = socket.create_connection(("127.0.0.1", server.port))
    start = time.time()
    s.settimeout(0.2)
    cut = False
    for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100:
        try:
            s.sendall(bytes([byte]))
            if s.recv(1) == b"":
                cut = True
                break
        except socket.timeout:
            continue
        except (BrokenPipeError, ConnectionResetError):
            cut = True
            break
    assert cut and time.time() - start < 5, "one byte every 0.2s kept the connection open"
    s.close()


def test_an_idle_keep_alive_connection_is_closed():
    s = socket.create_connection(("127.0.0.1", server.port))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    s.settimeout(2)
    assert s.recv(4096).startswith(b"HTTP/1.1 200")
    start = time.time()
    assert closed_within(s, 5)
    assert 0.5 < time.time() - start < 4
    s.close()


def test_keep_alive_serves_many_requests_on_one_connection():
    s = socket.create_connection(("127.0.0.1", server.port))
    s.settimeout(2)
    for _ in range(20):
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 200")
    s.close()


def test_a_request_timeout_shorter_than_the_idle_one_is_kept():
    # The request's deadline comes long before the idle deadline set just before it: the
    # connection's one timer must not wait for the later one.
    patient = SpurServer(spur, rules.ALL, CONFIG.replace("connections: 4, idle_timeout: 1s",
                                                         "connections: 4, idle_timeout: 30s")).start()
    try:
        s = socket.create_connection(("127.0.0.1", patient.port))
        s.settimeout(2)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 200")
        time.sleep(0.5)  # idle, well within idle_timeout
        start = time.time()
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        assert closed_within(s, 5), "the server kept a request that did not arrive in time"
        assert 0.5 < time.time() - start < 3
        s.close()
    finally:
        patient.stop()
        patient.cleanup()


def test_connections_over_the_limit_get_503():
    # A server of its own: no connection of another test may still be counted.
    limited = SpurServer(spur, rules.ALL, CONFIG.replace("connections: 4, idle_timeout: 1s",
                                                         "connections: 4, idle_timeout: 30s")).start()
    try:
        held = [socket.create_connection(("127.0.0.1", limited.port)) for _ in range(4)]
        for s in held:  # a round trip each: the server has accepted and counted them all
            s.settimeout(5)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert s.recv(4096).startswith(b"HTTP/1.1 200")
        extra = socket.create_connection(("127.0.0.1", limited.port))
        extra.settimeout(5)
        answer = extra.recv(4096)
        assert answer.startswith(b"HTTP/1.1 503") and b"Retry-After" in answer, answer
        assert b"limit of 4 connections" in answer, answer
        for s in held + [extra]:
            s.close()
        wait_for(lambda: limited.request("GET", "/healthz").status == 200, what="a free connection")
    finally:
        limited.stop()
        limited.cleanup()


try:
    run_tests([(name, fn) for name, fn in list(globals().items()) if name.startswith("test_")])
finally:
    server.stop()
    server.cleanup()
