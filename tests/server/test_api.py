"""Every endpoint of http-api.md against a real server, with the answers it documents."""

import http.client
import os
import sys
import time

from harness import SpurServer, run_tests, wait_for
import rules

spur = os.path.abspath(sys.argv[1])
server = SpurServer(spur, rules.ALL, "server: {listen: 127.0.0.1:0}\nengine: {rules: [rules], shards: 2}\n")
server.start()


def test_health_and_ready():
    r = server.request("GET", "/healthz")
    assert r.status == 200, r
    r = server.request("GET", "/readyz")
    assert r.status == 200 and r.json()["status"] == "ready", r


def test_one_event_fires_to_the_log_adapter():
    r = server.post_events({"event": "ping", "user": "api-1", "id": "p-1", "properties": {"n": 7}})
    assert r.status == 202, r
    assert r.json() == {"accepted": 1, "duplicates": 0, "rejected": []}, r
    wait_for(lambda: any(f["trigger"] == "p-1" for f in server.firings()), what="the firing")
    firing = next(f for f in server.firings() if f["trigger"] == "p-1")
    assert list(firing) == ["firing_id", "rule", "user", "time", "trigger", "priority", "scores", "actions"]
    assert firing["rule"] == "every" and firing["user"] == "api-1"
    assert firing["actions"] == [{"send": "log", "payload": {"n": 7}}], firing


def test_array_and_ndjson_batches():
    events = [{"event": "ping", "user": f"batch-{i}", "properties": {"n": i}} for i in range(50)]
    r = server.post_events(events)
    assert r.status == 202 and r.json()["accepted"] == 50, r
    r = server.post_events(events, ndjson=True)
    assert r.status == 202 and r.json()["accepted"] == 50, r


def test_duplicate_ids_are_counted_not_handled_twice():
    e = {"event": "ping", "user": "dup-1", "id": "same-id", "properties": {"n": 1}}
    assert server.post_events(e).json()["accepted"] == 1
    r = server.post_events([e, e])
    assert r.status == 202 and r.json() == {"accepted": 0, "duplicates": 2, "rejected": []}, r
    def handled():
        return sum(1 for f in server.firings() if f["trigger"] == "same-id")
    # The firing reaches stdout through the log adapter's queue, after the answer.
    wait_for(lambda: handled() >= 1, what="the first post's firing")
    time.sleep(0.2)
    assert handled() == 1, server.firings()


def test_events_without_id_get_one_assigned():
    r = server.post_events({"event": "ping", "user": "noid-1", "properties": {"n": 3}})
    assert r.status == 202, r
    wait_for(lambda: any(f["user"] == "noid-1" for f in server.firings()), what="the firing")
    firing = next(f for f in server.firings() if f["user"] == "noid-1")
    assert firing["trigger"].startswith("spur-"), firing


def test_profiles_get_patch_put_delete():
    assert server.request("GET", "/v1/profiles/prof-1").status == 404
    r = server.request("PATCH", "/v1/profiles/prof-1", {"ltv": 900, "tier": "gold", "nested": {"a": 1, "b": 2}})
    assert r.status == 200 and r.json()["attributes"]["ltv"] == 900, r
    r = server.request("PATCH", "/v1/profiles/prof-1", {"tier": None, "nested": {"a": None}})
    assert r.json()["attributes"] == {"ltv": 900, "nested": {"b": 2}}, r
    r = server.request("GET", "/v1/profiles/prof-1")
    body = r.json()
    assert r.status == 200 and set(body) == {"user", "attributes", "segments", "first_seen", "last_seen"}, r
    # Segments are evaluated at the user's next step.
    server.post_events({"event": "ping", "user": "prof-1", "properties": {"n": 0}})
    assert server.request("GET", "/v1/profiles/prof-1").json()["segments"] == ["vip"]
    r = server.request("PUT", "/v1/profiles/prof-1", {"attributes": {"ltv": 10}})
    assert r.status == 200 and r.json()["attributes"] == {"ltv": 10}, r
    r = server.request("DELETE", "/v1/profiles/prof-1")
    assert r.status == 204 and r.body == "", r
    assert server.request("GET", "/v1/profiles/prof-1").status == 404
    assert server.request("GET", "/v1/users/prof-1/firings").status == 404


def test_answers_on_one_keep_alive_connection_are_framed_exactly():
    # The server writes its answers' bytes itself: each must end where its Content-Length
    # says (a 204 has none and no body), or the next answer on the connection is misread.
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    json_headers = {"Content-Type": "application/json"}
    seen = []
    for method, path, body in [("GET", "/healthz", None),
                               ("PATCH", "/v1/profiles/frame-1", '{"ltv": 5}'),
                               ("DELETE", "/v1/profiles/frame-1", None),
                               ("GET", "/v1/profiles/frame-1", None),
                               ("POST", "/v1/decide", '{"user": "frame-1", "placement": "none"}')]:
        conn.request(method, path, body=body, headers=json_headers if body else {})
        r = conn.getresponse()
        payload = r.read()
        seen.append((r.status, r.reason))
        assert r.getheader("Server") == "spur" and r.getheader("Connection") is None, r.getheaders()
        if r.status == 204:
            assert payload == b"" and r.getheader("Content-Length") is None, r.getheaders()
            assert r.getheader("Content-Type") is None, r.getheaders()
        else:
            assert r.getheader("Content-Type") == "application/json", r.getheaders()
            assert int(r.getheader("Content-Length")) == len(payload) > 0, r.getheaders()
    assert seen == [(200, "OK"), (200, "OK"), (204, "No Content"), (404, "Not Found"), (200, "OK")], seen
    conn.request("GET", "/healthz", headers={"Connection": "close"})
    r = conn.getresponse()
    assert r.status == 200 and r.getheader("Connection") == "close", r.getheaders()
    r.read()
    conn.close()


def test_user_firings_newest_first_with_limit():
    for i in range(5):
        server.post_events({"event": "ping", "user": "fir-1", "id": f"fir-{i}", "properties": {"n": i}})
    r = server.request("GET", "/v1/users/fir-1/firings?limit=3")
    assert r.status == 200, r
    triggers = [f["trigger"] for f in r.json()["firings"]]
    assert triggers == ["fir-4", "fir-3", "fir-2"], triggers


def test_explain_says_why():
    server.post_events({"event": "add_to_cart", "user": "exp-1", "id": "exp-c", "properties": {"sku": "A"}})
    server.post_events({"event": "ping", "user": "exp-1", "id": "exp-p", "properties": {"n": 1}})
    r = server.request("GET", "/v1/users/exp-1/explain")
    assert r.status == 200, r
    by_rule = {e["rule"]: e for e in r.json()["rules"]}
    assert by_rule["every"]["status"] == "fired", by_rule
    r = server.request("GET", "/v1/users/exp-1/explain?rule=every")
    assert [e["rule"] for e in r.json()["rules"]] == ["every"], r
    assert server.request("GET", "/v1/users/nobody-here/explain").status == 404
    # Not matched: the first false condition, with the values it compared.
    server.post_events({"event": "purchase", "user": "exp-2", "id": "exp-b", "properties": {"amount": 50}})
    r = server.request("GET", "/v1/users/exp-2/explain")
    body = r.json()
    assert body["event"]["id"] == "exp-b" and body["event"]["event"] == "purchase", body
    [entry] = body["rules"]
    assert entry == {"rule": "big_spender", "status": "not_matched", "condition": "p.amount > 100",
                     "values": [50, 100]}, entry
    # The step's event is kept as text: what explain reads back is what the step saw.
    server.post_events({"event": "purchase", "user": "exp-4", "id": "exp-t",
                        "properties": {"note": "\"quoted\" \u00e9\n\u0000", "deep": {"a": [1, {"b": None}]},
                                       "amount": 99.125}})
    [entry] = server.request("GET", "/v1/users/exp-4/explain").json()["rules"]
    assert entry["values"] == [99.125, 100], entry
    # Waiting: the deadline of the absence window.
    r = server.request("GET", "/v1/users/exp-1/explain?rule=cart_wait")
    assert r.status == 200 and r.json()["rules"] == [], r  # the latest step was the ping
    server.post_events({"event": "add_to_cart", "user": "exp-3", "id": "exp-w", "properties": {"sku": "W"}})
    [entry] = server.request("GET", "/v1/users/exp-3/explain").json()["rules"]
    assert entry["rule"] == "cart_wait" and entry["status"] == "waiting" and entry["deadline"], entry


def test_rules_list_and_one():
    server.post_events({"event": "add_to_cart", "user": "rules-1", "properties": {"sku": "B"}})
    r = server.request("GET", "/v1/rules")
    assert r.status == 200, r
    body = r.json()
    assert body["version"] and body["loaded_at"], body
    by_name = {rule["name"]: rule for rule in body["rules"]}
    assert set(by_name) == {"every", "cart_wait", "big_spender"}, by_name
    every = by_name["every"]
    assert every["description"] == "Fires on every ping" and every["file"].endswith("every.rules"), every
    assert every["line"] == 2 and every["fired"] >= 1 and every["triggered"] >= every["fired"], every
    assert by_name["cart_wait"]["pending"] >= 1 and by_name["cart_wait"]["priority"] == 10
    r = server.request("GET", "/v1/rules/every")
    assert r.status == 200 and r.json()["source"].startswith("rule every"), r
    assert r.json()["source"].rstrip().endswith("end"), r


def test_validate_installs_nothing():
    r = server.request("POST", "/v1/rules/validate", "rule x when ping then send log {} end",
                       {"Content-Type": "text/plain"})
    assert r.status == 200 and r.json() == {"ok": True, "diagnostics": []}, r
    r = server.request("POST", "/v1/rules/validate", "rule x when ping thn send log {} end",
                       {"Content-Type": "text/plain"})
    body = r.json()
    assert r.status == 200 and body["ok"] is False and body["diagnostics"][0]["severity"] == "error", r
    assert "x" not in {rule["name"] for rule in server.request("GET", "/v1/rules").json()["rules"]}


def test_reload_unchanged_keeps_pending():
    server.post_events({"event": "add_to_cart", "user": "rel-1", "properties": {"sku": "C"}})
    r = server.request("POST", "/v1/rules/reload")
    assert r.status == 200, r
    body = r.json()
    assert set(body) == {"version", "added", "removed", "changed", "unchanged", "pending_kept",
                         "pending_dropped", "warnings"}, body
    assert body["unchanged"] == ["big_spender", "cart_wait", "every"] and body["pending_kept"] >= 1, body
    assert body["pending_dropped"] == 0, body


def test_metrics_in_prometheus_text():
    r = server.request("GET", "/metrics")
    assert r.status == 200 and r.headers["content-type"].startswith("text/plain"), r
    for name in ["spur_events_received_total", "spur_events_accepted_total", "spur_events_rejected_total",
                 "spur_events_duplicate_total", 'spur_rule_fired_total{rule="every"}',
                 'spur_rule_suppressed_total{rule="every"}', 'spur_pending_matches{rule="cart_wait"}',
                 'spur_shard_queue_events{shard="1"}', "spur_evaluation_seconds_bucket",
                 "spur_http_request_seconds_count", 'spur_action_deliveries_total{adapter="stdout",outcome="ok"}',
                 'spur_reloads_total{outcome="ok"}']:
        assert name in r.body, name


def test_segment_says_not_in_this_build():
    r = server.request("POST", "/v1/segment", {"type": "track"})
    assert r.status == 501 and r.json()["error"]["code"] == "not_implemented", r


try:
    run_tests([(name, fn) for name, fn in list(globals().items()) if name.startswith("test_")])
finally:
    server.stop()
    server.cleanup()
