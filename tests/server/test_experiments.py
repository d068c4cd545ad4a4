"""Experiments in serve (language.md section 14): the figures per arm of a rule with a
split, a holdout and a goal in GET /v1/rules/{name} and /metrics. The rule is the
example's (rules/examples/experiment.rules): u1 draws arm 2, u3 arm 1, u2 is held out
(experiment.test.yaml), and u1 and u2 write a review."""

import os
import sys

from harness import SpurServer, run_tests, wait_for

spur = os.path.abspath(sys.argv[1])
examples = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "rules", "examples")
with open(os.path.join(examples, "experiment.rules")) as f:
    experiment = f.read()
server = SpurServer(spur, {"experiment.rules": experiment},
                    "server: {listen: 127.0.0.1:0}\nengine: {rules: [rules], shards: 2}\n")
server.start()

RULE = "review_request_test"


def test_rule_figures_per_arm_with_conversions_and_lift():
    for user in ["u1", "u2", "u3"]:
        r = server.post_events({"event": "order_delivered", "user": user, "id": f"d-{user}"})
        assert r.status == 202, r
    wait_for(lambda: server.request("GET", f"/v1/rules/{RULE}").json()["fired"] == 3,
             what="three firings")
    for user in ["u1", "u2"]:
        r = server.post_events({"event": "review_submitted", "user": user, "id": f"r-{user}"})
        assert r.status == 202, r

    def experiment():
        return server.request("GET", f"/v1/rules/{RULE}").json()["experiment"]

    wait_for(lambda: experiment()["treated"]["conversions"] + experiment()["held_out"]["conversions"] == 2,
             what="two conversions")
    body = server.request("GET", f"/v1/rules/{RULE}").json()
    assert body["fired"] == 3 and body["suppressed"] == 0, body
    e = body["experiment"]
    assert e["goal"] == "review_submitted", e
    assert e["arms"] == {"1": {"firings": 1, "conversions": 0, "rate": 0.0},
                         "2": {"firings": 1, "conversions": 1, "rate": 1.0}}, e
    assert e["control"] == {"firings": 0, "conversions": 0, "rate": None}, e
    assert e["treated"] == {"firings": 2, "conversions": 1, "rate": 0.5}, e
    assert e["held_out"] == {"firings": 1, "conversions": 1, "rate": 1.0}, e
    assert abs(e["lift"]["difference"] + 0.5) < 1e-12, e
    assert abs(e["lift"]["low"] + 1.192951912174839) < 1e-9, e


def test_metrics_count_firings_and_conversions_per_arm():
    text = server.request("GET", "/metrics").body
    for line in [f'spur_rule_firings_total{{rule="{RULE}",arm="1"}} 1',
                 f'spur_rule_firings_total{{rule="{RULE}",arm="2"}} 1',
                 f'spur_rule_firings_total{{rule="{RULE}",arm="control"}} 0',
                 f'spur_rule_firings_total{{rule="{RULE}",arm="held_out"}} 1',
                 f'spur_rule_conversions_total{{rule="{RULE}",arm="2"}} 1',
                 f'spur_rule_conversions_total{{rule="{RULE}",arm="held_out"}} 1',
                 f'spur_rule_conversions_total{{rule="{RULE}",arm="1"}} 0']:
        assert line in text.splitlines(), (line, [l for l in text.splitlines() if "rule_" in l])


try:
    run_tests([(name, fn) for name, fn in list(globals().items()) if name.startswith("test_")])
finally:
    server.stop()
    server.cleanup()
