"""Bad requests get the status and error body of http-api.md, and never take data.

Every case checks the status, the error shape ({"error": {"code", "message"}}) where
there is a body, and that the server still answers afterwards.
"""

import json
import os
import sys
import time

from harness import SpurServer, run_tests
import rules

spur = os.path.abspath(sys.argv[1])
TOKENS = {"SPUR_T_INGEST": "ingest-secret", "SPUR_T_READ": "read-secret", "SPUR_T_ADMIN": "admin-secret"}
CONFIG = """
server:
  listen: 127.0.0.1:0
  limits: {body: 64KiB, batch: 5, json_depth: 8, header: 4KiB}
engine: {rules: [rules], max_lateness: 1h}
auth:
  tokens:
    - {name: backend, env: SPUR_T_INGEST, scopes: [ingest]}
    - {name: dashboard, env: SPUR_T_READ, scopes: [read]}
    - {name: ops, env: SPUR_T_ADMIN, scopes: [read, admin]}
"""
server = SpurServer(spur, rules.ALL, CONFIG, env=TOKENS)
server.start()
INGEST, READ, ADMIN = "ingest-secret", "read-secret", "admin-secret"
JSON = {"Content-Type": "application/json"}
NDJSON = {"Content-Type": "application/x-ndjson"}
GOOD = {"event": "ping", "user": "bad-good", "properties": {"n": 1}}
NOW_MS = int(time.time() * 1000)

# (name, method, path, body bytes or JSON value, headers, token, expected status, expected code)
CASES = [
    ("malformed JSON", "POST", "/v1/events", b'{"event": "ping", "user":', JSON, INGEST, 400, "malformed_body"),
    ("empty body", "POST", "/v1/events", b"", JSON, INGEST, 400, "malformed_body"),
    ("trailing garbage", "POST", "/v1/events", b'{"event":"ping","user":"u"} x', JSON, INGEST, 400, "malformed_body"),
    ("bad UTF-8", "POST", "/v1/events", b'{"event":"ping","user":"\xff\xfe"}', JSON, INGEST, 400, "malformed_body"),
    ("too deep", "POST", "/v1/events", b'{"event":"ping","user":"u","properties":' + b'{"a":' * 9 + b"1" + b"}" * 10,
     JSON, INGEST, 400, "malformed_body"),
    ("text/plain", "POST", "/v1/events", b'{"event":"ping","user":"u"}', {"Content-Type": "text/plain"}, INGEST, 415,
     "unsupported_media_type"),
    ("form encoded", "POST", "/v1/events", b"event=ping&user=u",
     {"Content-Type": "application/x-www-form-urlencoded"}, INGEST, 415, "unsupported_media_type"),
    ("missing user", "POST", "/v1/events", {"event": "ping"}, None, INGEST, 422, None),
    ("missing event", "POST", "/v1/events", {"user": "u"}, None, INGEST, 422, None),
    ("user is an object", "POST", "/v1/events", {"event": "ping", "user": {"id": 1}}, None, INGEST, 422, None),
    ("user is a fraction", "POST", "/v1/events", {"event": "ping", "user": 1.5}, None, INGEST, 422, None),
    ("empty event name", "POST", "/v1/events", {"event": "", "user": "u"}, None, INGEST, 422, None),
    ("event name too long", "POST", "/v1/events", {"event": "e" * 257, "user": "u"}, None, INGEST, 422, None),
    ("user too long", "POST", "/v1/events", {"event": "ping", "user": "u" * 257}, None, INGEST, 422, None),
    ("time not RFC 3339", "POST", "/v1/events", {"event": "ping", "user": "u", "time": "yesterday"}, None, INGEST,
     422, None),
    ("time without offset", "POST", "/v1/events", {"event": "ping", "user": "u", "time": "2026-11-23T10:00:00"},
     None, INGEST, 422, None),
    ("time a fraction", "POST", "/v1/events", {"event": "ping", "user": "u", "time": 1.5}, None, INGEST, 422, None),
    ("properties a list", "POST", "/v1/events", {"event": "ping", "user": "u", "properties": [1]}, None, INGEST,
     422, None),
    ("a JSON number", "POST", "/v1/events", 42, None, INGEST, 422, None),
    ("a JSON string", "POST", "/v1/events", b'"ping"', JSON, INGEST, 422, None),
    ("array of non-events", "POST", "/v1/events", [1, "two", None], None, INGEST, 422, None),
    ("late event", "POST", "/v1/events", {"event": "ping", "user": "u", "time": NOW_MS - 3 * 3600 * 1000}, None,
     INGEST, 422, None),
    ("future event", "POST", "/v1/events", {"event": "ping", "user": "u", "time": NOW_MS + 3 * 3600 * 1000}, None,
     INGEST, 422, None),
    ("batch over limit", "POST", "/v1/events", [GOOD] * 6, None, INGEST, 413, "too_many_events"),
    ("NDJSON over limit", "POST", "/v1/events", b"\n".join([json.dumps(GOOD).encode()] * 6), NDJSON, INGEST, 413,
     "too_many_events"),
    ("body over limit", "POST", "/v1/events", b'{"event":"ping","user":"u","properties":{"x":"' + b"a" * 70000 + b'"}}',
     JSON, INGEST, 413, "body_too_large"),
    ("NDJSON all bad", "POST", "/v1/events", b"nope\nstill nope\n", NDJSON, INGEST, 400, "malformed_body"),
    ("NDJSON blank only", "POST", "/v1/events", b"\n\n", NDJSON, INGEST, 400, "malformed_body"),
    ("no token", "POST", "/v1/events", GOOD, None, None, 401, "unauthorized"),
    ("unknown token", "POST", "/v1/events", GOOD, None, "not-a-token", 401, "unauthorized"),
    ("read token ingesting", "POST", "/v1/events", GOOD, None, READ, 403, "forbidden"),
    ("ingest token reloading", "POST", "/v1/rules/reload", b"", None, INGEST, 403, "forbidden"),
    ("ingest token reading rules", "GET", "/v1/rules", None, None, INGEST, 403, "forbidden"),
    ("read token erasing", "DELETE", "/v1/profiles/u", None, None, READ, 403, "forbidden"),
    ("metrics without token", "GET", "/metrics", None, None, None, 401, "unauthorized"),
    ("unknown route", "GET", "/v1/nothing", None, None, ADMIN, 404, "unknown_route"),
    ("root", "GET", "/", None, None, ADMIN, 404, "unknown_route"),
    ("GET events", "GET", "/v1/events", None, None, INGEST, 405, "method_not_allowed"),
    ("DELETE rules", "DELETE", "/v1/rules", None, None, ADMIN, 405, "method_not_allowed"),
    ("GET reload", "GET", "/v1/rules/reload", None, None, ADMIN, 405, "method_not_allowed"),
    ("POST healthz", "POST", "/healthz", b"", None, None, 405, "method_not_allowed"),
    ("unknown profile", "GET", "/v1/profiles/nobody", None, None, READ, 404, "unknown_user"),
    ("unknown rule", "GET", "/v1/rules/no_such_rule", None, None, READ, 404, "unknown_rule"),
    ("explain unknown rule", "GET", "/v1/users/u/explain?rule=nope", None, None, READ, 404, "unknown_rule"),
    ("profile not an object", "PATCH", "/v1/profiles/u", [1, 2], None, INGEST, 422, "invalid_profile"),
    ("profile malformed", "PUT", "/v1/profiles/u", b"{ltv: 1}", JSON, INGEST, 400, "malformed_body"),
    ("profile wrong type", "PATCH", "/v1/profiles/u", b"ltv=1", {"Content-Type": "text/csv"}, INGEST, 415,
     "unsupported_media_type"),
    ("firings limit not a number", "GET", "/v1/users/u/firings?limit=abc", None, None, READ, 400, "bad_parameter"),
    ("firings limit zero", "GET", "/v1/users/u/firings?limit=0", None, None, READ, 400, "bad_parameter"),
    ("user id not UTF-8", "PATCH", "/v1/profiles/%FF%FE", {"ltv": 1}, None, INGEST, 400, "bad_path"),
    ("validate as JSON", "POST", "/v1/rules/validate", {"text": "rule"}, None, ADMIN, 415, "unsupported_media_type"),
]


def check_case(case):
    name, method, path, body, headers, token, status, code = case
    r = server.request(method, path, body, headers, token)
    assert r.status == status, f"{name}: expected {status}, got {r}"
    if r.body:
        error = r.json()
        if status >= 400 and "error" in error:
            assert set(error["error"]) >= {"code", "message"} and error["error"]["message"], (name, error)
            if code:
                assert error["error"]["code"] == code, (name, error)
        else:  # 422 from /v1/events: the accepted/rejected body
            assert error["accepted"] == 0 and error["rejected"], (name, error)
            assert error["rejected"][0]["message"], (name, error)


def test_every_bad_request_gets_its_status():
    assert len(CASES) >= 30
    for case in CASES:
        check_case(case)


def test_nothing_of_a_refused_request_was_taken():
    before = server.request("GET", "/metrics", token=READ).body
    accepted = [line for line in before.splitlines() if line.startswith("spur_events_accepted_total")]
    for case in CASES:
        if case[2] == "/v1/events":
            server.request(case[1], case[2], case[3], case[4], case[5])
    after = server.request("GET", "/metrics", token=READ).body
    assert accepted == [line for line in after.splitlines() if line.startswith("spur_events_accepted_total")]


def test_json_labelled_form_encoded_is_read_as_json():
    # `curl -d` and Python's urllib label a body given without a type so; a body that is
    # form-encoded indeed ("form encoded" above) is still refused with 415.
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    r = server.request("POST", "/v1/events", json.dumps(dict(GOOD, id="form-1")), form, INGEST)
    assert r.status == 202 and r.json()["accepted"] == 1, r
    r = server.request("PATCH", "/v1/profiles/form-user", ' \n{"ltv": 7}', form, INGEST)
    assert r.status == 200, r
    assert server.request("GET", "/v1/profiles/form-user", token=READ).json()["attributes"] == {"ltv": 7}
    r = server.request("POST", "/v1/events", b"[{broken", form, INGEST)
    assert r.status == 400 and r.json()["error"]["code"] == "malformed_body", r
    r = server.request("POST", "/v1/rules/validate", "rule r when x then send log end", form, ADMIN)
    assert r.status == 200 and r.json()["ok"] is True, r


def test_ndjson_with_one_bad_line_takes_the_others():
    body = json.dumps(GOOD) + "\n{broken\n" + json.dumps(dict(GOOD, id="nd-3")) + "\n"
    r = server.request("POST", "/v1/events", body, NDJSON, INGEST)
    assert r.status == 202, r
    assert r.json()["accepted"] == 2 and [x["index"] for x in r.json()["rejected"]] == [1], r


def test_batch_with_one_bad_event_takes_the_others():
    r = server.request("POST", "/v1/events", [GOOD, {"event": "ping"}, GOOD], None, INGEST)
    assert r.status == 202, r
    body = r.json()
    assert body["accepted"] == 2 and body["rejected"][0]["index"] == 1, body
    assert body["rejected"][0]["code"] == "invalid_event" and "user" in body["rejected"][0]["message"], body


def test_late_and_future_events_name_the_limit():
    r = server.request("POST", "/v1/events", {"event": "ping", "user": "u", "time": NOW_MS - 3 * 3600 * 1000},
                       None, INGEST)
    assert r.json()["rejected"][0]["code"] == "too_late" and "max_lateness" in r.body, r
    r = server.request("POST", "/v1/events", {"event": "ping", "user": "u", "time": NOW_MS + 3 * 3600 * 1000},
                       None, INGEST)
    assert r.json()["rejected"][0]["code"] == "too_early", r


def test_limits_name_their_value():
    r = server.request("POST", "/v1/events", [GOOD] * 6, None, INGEST)
    assert "batch limit of 5" in r.json()["error"]["message"], r
    r = server.request("POST", "/v1/events", b'{"a":"' + b"a" * 70000 + b'"}', JSON, INGEST)
    assert "65536" in r.json()["error"]["message"], r
    deep = b'{"event":"ping","user":"u","properties":' + b'{"a":' * 9 + b"1" + b"}" * 10
    r = server.request("POST", "/v1/events", deep, JSON, INGEST)
    assert "json_depth limit of 8" in r.json()["error"]["message"], r


def test_headers_over_the_limit():
    raw = server.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 8192 + b"\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 431"), raw[:100]
    assert b"header limit of 4096" in raw, raw


def test_garbage_instead_of_http():
    raw = server.raw(b"\x16\x03\x01 this is not HTTP\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 400"), raw[:100]


def test_wrong_method_lists_the_allowed_ones():
    r = server.request("PUT", "/v1/events", GOOD, None, INGEST)
    assert r.status == 405 and r.headers["allow"] == "POST", r


def test_unauthorized_says_bearer():
    r = server.request("GET", "/v1/rules")
    assert r.status == 401 and r.headers["www-authenticate"].startswith("Bearer"), r


def test_the_bearer_scheme_is_case_insensitive():
    r = server.request("POST", "/v1/events", GOOD, {"Authorization": "bearer  " + INGEST})
    assert r.status == 202, r
    r = server.request("POST", "/v1/events", GOOD, {"Authorization": "Basic " + INGEST})
    assert r.status == 401, r


def test_health_needs_no_token():
    assert server.request("GET", "/healthz").status == 200
    assert server.request("GET", "/readyz").status == 200


def test_server_still_serves_after_all_that():
    r = server.request("POST", "/v1/events", GOOD, None, INGEST)
    assert r.status == 202 and r.json()["accepted"] == 1, r
    assert server.proc.poll() is None


def test_secrets_never_reach_the_log():
    log = server.stderr_text()
    for secret in TOKENS.values():
        assert secret not in log


try:
    run_tests([(name, fn) for name, fn in list(globals().items()) if name.startswith("test_")])
finally:
    server.stop()
    server.cleanup()
