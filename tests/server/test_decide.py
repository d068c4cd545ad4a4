"""POST /v1/decide (http-api.md, language.md section 10) against a real server: answers,
exclusive groups, the step not in history, the firing recorded and delivered, scopes,
bad requests, and a decision's state across a kill -9 in storage mode disk."""

import json
import math
import os
import sys
import time

from harness import SpurServer, run_tests, wait_for

spur = os.path.abspath(sys.argv[1])
RULES = {"home.rules": """
group homepage
  exclusive
end

rule vip_banner
  priority 50
  group homepage
when
  decide homepage as req
  and profile.tier == "vip" and req.device == "mobile"
then
  respond { module: "exclusive_offers", device: req.device }
  send log { shown: "exclusive_offers" }
end

rule default_banner
  priority 10
  group homepage
when
  decide homepage
then
  respond { module: "bestsellers" }
end

rule daily_offer
  cooldown 1d
when
  decide checkout
then
  set profile.offered = true
  respond { module: "offer" }
end

rule seen_home
when
  view and count(homepage in last 1h) >= 1
then
  send log
end
"""}
TOKENS = """auth:
  tokens:
    - {name: decider, env: SPUR_E2E_DECIDE, scopes: [decide]}
    - {name: writer, env: SPUR_E2E_INGEST, scopes: [ingest, read]}
"""
ENV = {"SPUR_E2E_DECIDE": "decide-secret", "SPUR_E2E_INGEST": "ingest-secret"}
DECIDE = "decide-secret"


def decide(server, body, token=DECIDE):
    return server.request("POST", "/v1/decide", body, token=token)


def memory_server():
    return SpurServer(spur, RULES, "server: {listen: 127.0.0.1:0}\nengine: {rules: [rules], shards: 2}\n"
                      "storage: {mode: memory}\n" + TOKENS, env=ENV)


def test_the_answer_is_the_first_respond_and_the_firing_is_delivered():
    server = memory_server().start()
    try:
        r = server.request("PUT", "/v1/profiles/u1", {"tier": "vip"}, token="ingest-secret")
        assert r.status == 200, r
        r = decide(server, {"user": "u1", "placement": "homepage", "context": {"device": "mobile"}})
        assert r.status == 200, r
        answer = r.json()
        assert list(answer) == ["placement", "content", "rule", "firing_id"], answer
        assert answer["placement"] == "homepage" and answer["rule"] == "vip_banner", answer
        assert answer["content"] == {"module": "exclusive_offers", "device": "mobile"}, answer
        # The firing is recorded and its send delivered like any other, with the same id.
        wait_for(lambda: any(f["rule"] == "vip_banner" for f in server.firings()), what="the firing")
        firing = next(f for f in server.firings() if f["rule"] == "vip_banner")
        assert firing["firing_id"] == answer["firing_id"], (firing, answer)
        assert firing["actions"] == [{"respond": {"module": "exclusive_offers", "device": "mobile"}},
                                     {"send": "log", "payload": {"shown": "exclusive_offers"}}], firing
        recent = server.request("GET", "/v1/users/u1/firings", token="ingest-secret").json()["firings"]
        assert recent[0]["firing_id"] == answer["firing_id"], recent
        # The exclusive group: one answer a step; on a desktop, the default banner.
        r = decide(server, {"user": "u1", "placement": "homepage", "context": {"device": "desktop"}})
        assert r.json()["rule"] == "default_banner" and r.json()["content"] == {"module": "bestsellers"}, r
        # A placement no rule answers: nulls, 200.
        r = decide(server, {"user": "u1", "placement": "nowhere"})
        assert r.status == 200, r
        assert r.json() == {"placement": "nowhere", "content": None, "rule": None, "firing_id": None}, r
        metrics = server.request("GET", "/metrics", token="ingest-secret").body
        assert 'spur_decisions_total{outcome="answered"} 3' in metrics, metrics
    finally:
        server.stop()
        server.cleanup()


def test_a_decision_is_not_an_event_of_the_user():
    server = memory_server().start()
    try:
        assert decide(server, {"user": "h1", "placement": "homepage"}).json()["rule"] == "default_banner"
        r = server.post_events({"event": "view", "user": "h1", "id": "v1"}, token="ingest-secret")
        assert r.status == 202, r
        time.sleep(0.3)
        assert not any(f["rule"] == "seen_home" for f in server.firings()), server.firings()
        profile = server.request("GET", "/v1/profiles/h1", token="ingest-secret").json()
        assert profile["first_seen"] == profile["last_seen"], profile  # the view alone
    finally:
        server.stop()
        server.cleanup()


def test_scopes_and_bad_requests_are_refused_with_what_to_do():
    server = memory_server().start()
    try:
        body = {"user": "s1", "placement": "homepage"}
        assert decide(server, body, token=None).status == 401
        assert decide(server, body, token="ingest-secret").status == 403
        r = server.request("POST", "/v1/decide", "{not json", {"Content-Type": "application/json"}, DECIDE)
        assert r.status == 400 and r.json()["error"]["code"] == "malformed_body", r
        for bad, field in (({"user": "s1"}, "placement"), ({"placement": "homepage"}, "user"),
                           ({"user": "s1", "placement": "homepage", "context": [1]}, "context"),
                           ({"user": "s1", "placement": "homepage", "time": "yesterday"}, "time")):
            r = decide(server, bad)
            assert r.status == 422 and r.json()["error"]["code"] == "invalid_request", (bad, r)
            assert f"`{field}`" in r.json()["error"]["message"], (bad, r)
        r = server.request("POST", "/v1/decide", "user=s1", {"Content-Type": "text/plain"}, DECIDE)
        assert r.status == 415, r
        form = {"Content-Type": "application/x-www-form-urlencoded"}  # curl -d's label
        r = server.request("POST", "/v1/decide", "user=s1&placement=homepage", form, DECIDE)
        assert r.status == 415, r
        r = server.request("POST", "/v1/decide", json.dumps(body), form, DECIDE)
        assert r.status == 200 and r.json()["placement"] == "homepage", r
        assert server.request("GET", "/v1/decide", token=DECIDE).status == 405
    finally:
        server.stop()
        server.cleanup()


def test_a_decisions_cooldown_and_profile_write_survive_a_crash():
    server = SpurServer(spur, RULES, "server: {listen: 127.0.0.1:0}\nengine: {rules: [rules]}\n"
                        "storage: {fsync: always}\n" + TOKENS, env=ENV).start()
    try:
        r = decide(server, {"user": "c1", "placement": "checkout"})
        assert r.json()["rule"] == "daily_offer", r
        # The step is logged with its shard's turn; a profile write after it is answered
        # once durable, and so is everything logged before it.
        assert server.request("PATCH", "/v1/profiles/c1", {"seen": 1}, token="ingest-secret").status == 200
        server.crash()
        server.start(restart=True)
        wait_for(lambda: server.request("GET", "/readyz").status == 200, what="recovery")
        profile = server.request("GET", "/v1/profiles/c1", token="ingest-secret").json()
        assert profile["attributes"] == {"offered": True, "seen": 1}, profile
        r = decide(server, {"user": "c1", "placement": "checkout"})
        assert r.status == 200 and r.json()["rule"] is None, r  # within the cooldown
    finally:
        server.stop()
        server.cleanup()


def propensity_server(rule):
    """A server whose rules declare the model `propensity` (a file scorer reading
    propensity.json in its folder, not yet written) and hold `rule`."""
    return SpurServer(spur, {"offer.rules": "model propensity\n  features { ltv: profile.ltv }\nend\n\n" + rule},
                      "server: {listen: 127.0.0.1:0}\nengine: {rules: [rules]}\nstorage: {mode: memory}\n"
                      "scorers:\n  propensity: {type: file, path: propensity.json}\n")


def test_a_file_scorer_scores_the_decision_and_its_firing_records_it():
    server = propensity_server("""
rule likely_buyer
when
  decide checkout
  and score("propensity") > 0.5
then
  respond { module: "offer", propensity: score("propensity") }
end
""")
    with open(os.path.join(server.dir, "propensity.json"), "w") as f:
        f.write('{"type": "logistic_regression", "intercept": -5, "weights": {"ltv": 0.01}}')
    server.start()
    try:
        server.request("PUT", "/v1/profiles/b1", {"ltv": 900})
        r = server.request("POST", "/v1/decide", {"user": "b1", "placement": "checkout"})
        expected = 1 / (1 + math.exp(-4))
        assert r.status == 200 and r.json()["rule"] == "likely_buyer", r
        assert abs(r.json()["content"]["propensity"] - expected) < 1e-12, r
        wait_for(lambda: server.firings(), what="the firing")
        assert abs(server.firings()[0]["scores"]["propensity"] - expected) < 1e-12, server.firings()
        r = server.request("POST", "/v1/decide", {"user": "nobody", "placement": "checkout"})
        assert r.json()["rule"] is None, r  # ltv missing: z = -5
    finally:
        server.stop()
        server.cleanup()


def test_a_reload_reads_the_model_files_again_and_keeps_them_when_one_is_broken():
    server = propensity_server("""
rule likely_buyer
when
  decide checkout
then
  respond { propensity: score("propensity") }
end
""")
    model = os.path.join(server.dir, "propensity.json")

    def write_model(text):
        with open(model + ".tmp", "w") as f:
            f.write(text)
        os.replace(model + ".tmp", model)

    def propensity():
        r = server.request("POST", "/v1/decide", {"user": "m1", "placement": "checkout"})
        assert r.status == 200, r
        return r.json()["content"]["propensity"]

    write_model('{"type": "logistic_regression", "intercept": 0, "weights": {"ltv": 0}}')
    server.start()
    try:
        assert propensity() == 0.5
        # Retrained: the reload takes it.
        write_model('{"type": "logistic_regression", "intercept": 2, "weights": {"ltv": 0}}')
        r = server.request("POST", "/v1/rules/reload")
        assert r.status == 200, r
        assert abs(propensity() - 1 / (1 + math.exp(-2))) < 1e-12
        # A broken file fails the reload, naming the scorer; the running model stays.
        write_model('{"type": "logistic_regression", "intercept": "two"}')
        r = server.request("POST", "/v1/rules/reload")
        assert r.status == 422 and "scorers.propensity.path" in r.body, r
        assert abs(propensity() - 1 / (1 + math.exp(-2))) < 1e-12
    finally:
        server.stop()
        server.cleanup()


def test_a_model_file_that_cannot_be_read_stops_the_start():
    server = SpurServer(spur, RULES, "server: {listen: 127.0.0.1:0}\nengine: {rules: [rules]}\n"
                        "storage: {mode: memory}\nscorers:\n  churn: {type: file, path: nowhere.json}\n")
    try:
        server.start(expect_failure=True)
        assert server.proc.wait(timeout=10) != 0
        assert "scorers.churn.path: cannot read the model file nowhere.json" in server.stderr_text(), \
            server.stderr_text()
    finally:
        server.cleanup()


run_tests([(name, fn) for name, fn in list(globals().items()) if name.startswith("test_")])
