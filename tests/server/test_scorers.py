"""http scorers in `spur serve` (docs/models.md, "http scorers") against a real model
server on loopback (Python's standard library): the score fetched before the step and
recorded in the firing, the default (marked as such) after a timeout or an error, the
per-user cache, and a user waiting for a slow score holding up neither the other users
nor the order of its own events."""

import contextlib
import http.server
import json
import os
import re
import sys
import threading
import time

from harness import SpurServer, run_tests, wait_for

spur = os.path.abspath(sys.argv[1])
RULES = {"churn.rules": """
model churn
  features { ltv: profile.ltv, plan: profile.plan }
end

rule save_them "A visit by a customer likely to leave"
when
  visit as v
  and score("churn") > 0.5
then
  send log { churn: score("churn"), n: v.n }
end

rule winback "A homepage decision for a customer likely to leave"
when
  decide homepage
  and score("churn") > 0.5
then
  respond { module: "winback", churn: score("churn") }
end

rule big_checkout "A big checkout by a pro likely to leave: the score is asked last"
when
  checkout as c
  and c.amount > 100
  and profile.plan == "pro"
  and score("churn") > 0.5
then
  send log { amount: c.amount }
end

rule cart_left "A cart left for a second: the score is read at the timer's step"
when
  add_to_cart as c
  and no purchase within 1s
then
  send log { churn: score("churn") }
end

rule viewed_then_basket "A view, then a basket within 10s: the basket's step completes it"
when
  view as v
  and basket within 10s
then
  send log { churn: score("churn") }
end

rule relay "A signup emits a check, which a scored rule handles in the same step"
when
  signup
then
  emit welcome_check
end

rule welcome_scored "Triggered by the emitted event: reads the score"
when
  welcome_check
then
  send log { churn: score("churn") }
end

rule every_visit "Every visit, scored or not"
when
  visit as v
then
  send log { n: v.n }
end
"""}


class ModelServer:
    """Answers POST {"model", "user", "features"} with {"score": scores[user]}; a user in
    `slow` is answered after that many seconds, one in `held` once the test sets its
    threading.Event, one in `broken` with a 500."""

    def __init__(self):
        self.lock = threading.Lock()
        self.scores, self.slow, self.held, self.broken = {}, {}, {}, set()
        self.asked = []  # (user, features) in the order asked
        model = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                user = body["user"]
                with model.lock:
                    model.asked.append((user, body["features"], body["model"]))
                    delay = model.slow.get(user, 0)
                    held = model.held.get(user)
                    broken = user in model.broken
                    score = model.scores.get(user, 0.9)
                time.sleep(delay)
                if held is not None:
                    held.wait()
                answer = b'{"error": "down"}' if broken else json.dumps({"score": score}).encode()
                try:
                    self.send_response(500 if broken else 200)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the server gave up waiting

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/score"

    def asked_for(self, user):
        with self.lock:
            return [a for a in self.asked if a[0] == user]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# The scorer's timeout. A slow answer (0.25 s) is within it, even on a loaded CI
# machine running tests side by side; a late one (LATE_S) is well past it.
TIMEOUT_MS = 1000
LATE_S = 2.0


@contextlib.contextmanager
def serving(model, scorer_extra="", default=0.25, timeout_ms=TIMEOUT_MS):
    """`spur serve` asking `model`; both stopped at the end."""
    server = start(model, scorer_extra, default, timeout_ms)
    try:
        yield server
    finally:
        server.stop()
        server.cleanup()
        model.close()


def start(model, scorer_extra="", default=0.25, timeout_ms=TIMEOUT_MS):
    # One shard: the users that must not wait are the waiting user's shard-mates.
    config = ("server: {listen: 127.0.0.1:0}\nengine: {rules: [rules], shards: 1}\n"
              "storage: {mode: memory}\n"
              f"scorers:\n  churn: {{type: http, url: '{model.url}', timeout: {timeout_ms}ms, "
              f"default: {default}{scorer_extra}}}\n")
    return SpurServer(spur, RULES, config).start()


def event(name, user, seq, /, **properties):
    return {"event": name, "user": user, "id": f"{user}-{seq}", "properties": properties}


def visit(user, n):
    return event("visit", user, n, n=n)


def queued_events(server):
    metrics = server.request("GET", "/metrics").body
    return int(re.search(r'spur_shard_queue_events\{shard="0"\} (\d+)', metrics).group(1))


def the_firing(server, user, rule):
    """The one firing of `rule` for `user`, once it has come."""
    wait_for(lambda: firings_of(server, user, rule), what=f"{rule}'s firing for {user}")
    [fired] = firings_of(server, user, rule)
    return fired


def firings_of(server, user, rule=None):
    return [f for f in server.firings() if f["user"] == user and (rule is None or f["rule"] == rule)]


def test_the_fetched_score_decides_and_is_recorded_with_the_features_sent():
    model = ModelServer()
    model.scores = {"keen": 0.1, "leaving": 0.8}
    with serving(model) as server:
        server.request("PUT", "/v1/profiles/leaving", {"ltv": 120, "plan": "pro"})
        assert server.post_events([visit("keen", 1), visit("leaving", 1)]).status == 202
        wait_for(lambda: len(server.firings()) == 3, what="three firings")
        saved = firings_of(server, "leaving", "save_them")
        assert len(saved) == 1 and saved[0]["scores"] == {"churn": 0.8}, saved
        assert saved[0]["actions"][0]["payload"] == {"churn": 0.8, "n": 1}, saved
        assert firings_of(server, "keen", "save_them") == []
        assert model.asked_for("leaving") == [("leaving", [120, "pro"], "churn")]
        metrics = server.request("GET", "/metrics").body
        assert 'spur_http_scores_total{outcome="ok"} 2' in metrics, metrics


def test_the_score_is_asked_only_when_the_cheaper_conditions_hold():
    model = ModelServer()
    with serving(model) as server:
        for user, plan in [("small", "pro"), ("basic", "basic"), ("big", "pro")]:
            server.request("PUT", f"/v1/profiles/{user}", {"ltv": 10, "plan": plan})
        checkouts = [event("checkout", user, 1, amount=amount)
                     for user, amount in [("small", 50), ("basic", 500), ("big", 500)]]
        assert server.post_events(checkouts).status == 202
        wait_for(lambda: len(server.firings()) == 1, what="the big checkout's firing")
        assert [(f["user"], f["scores"]) for f in server.firings()] == [("big", {"churn": 0.9})]
        # The amount rules out "small", the profile "basic": neither was asked about.
        with model.lock:
            assert [a[0] for a in model.asked] == ["big"], model.asked


def test_a_timer_step_finds_the_score_fetched_ahead_of_it():
    model = ModelServer()
    model.scores = {"cart": 0.8}
    with serving(model) as server:
        assert server.post_events([event("add_to_cart", "cart", 1)]).status == 202
        fired = the_firing(server, "cart", "cart_left")
        # Fetched before the timer came due (without it: {"value": 0.25, "default": true}).
        assert fired["scores"] == {"churn": 0.8}, fired
        assert fired["actions"][0]["payload"] == {"churn": 0.8}, fired
        # Once for the add_to_cart step (its rule reads the model), once ahead of the timer.
        assert len(model.asked_for("cart")) == 2, model.asked_for("cart")


def test_an_event_completing_a_waiting_match_fetches_the_score_the_match_reads():
    model = ModelServer()
    model.scores = {"viewer": 0.7}
    with serving(model) as server:
        assert server.post_events([event("view", "viewer", 1)]).status == 202
        assert server.post_events([event("basket", "viewer", 2)]).status == 202
        fired = the_firing(server, "viewer", "viewed_then_basket")
        assert fired["scores"] == {"churn": 0.7}, fired
        assert len(firings_of(server, "viewer")) == 1


def test_a_rule_triggered_by_an_emitted_event_reads_the_score_fetched_for_the_step():
    model = ModelServer()
    model.scores = {"newbie": 0.6}
    with serving(model) as server:
        assert server.post_events([event("signup", "newbie", 1)]).status == 202
        fired = the_firing(server, "newbie", "welcome_scored")
        # Asked before the signup's step, as the step's emits reach the rule that reads it.
        assert fired["scores"] == {"churn": 0.6}, fired
        assert len(model.asked_for("newbie")) == 1, model.asked_for("newbie")


def test_a_timeout_or_an_error_gives_the_default_marked_as_such():
    model = ModelServer()
    model.slow = {"late": LATE_S}  # past the timeout
    model.broken = {"down"}
    with serving(model, default=0.75) as server:
        assert server.post_events([visit("late", 1), visit("down", 1)]).status == 202
        wait_for(lambda: len(server.firings()) == 4, what="four firings")
        for user in ("late", "down"):
            saved = firings_of(server, user, "save_them")
            assert len(saved) == 1, saved
            assert saved[0]["scores"] == {"churn": {"value": 0.75, "default": True}}, saved
        metrics = server.request("GET", "/metrics").body
        assert 'spur_http_scores_total{outcome="default"} 2' in metrics, metrics
        assert "an http scorer gave no score" in server.stderr_text()


def times_asked_for_three_visits(user, scorer_extra):
    """How many times the model is asked for `user`'s three visits, one request each."""
    model = ModelServer()
    with serving(model, scorer_extra) as server:
        for n in range(1, 4):
            assert server.post_events([visit(user, n)]).status == 202
        wait_for(lambda: len(firings_of(server, user, "save_them")) == 3, what="three saves")
        return len(model.asked_for(user))


def test_the_cache_answers_later_steps_of_the_user_without_asking_again():
    assert times_asked_for_three_visits("cached", ", cache: 10m") == 1
    assert times_asked_for_three_visits("uncached", "") == 3  # without a cache, each step asks


def test_a_user_waiting_for_its_score_holds_up_no_one_else_and_keeps_its_order():
    model = ModelServer()
    # The slow user's first answer waits for the test: the others are seen passing while
    # it is held, however slowly this machine runs the test. The timeout is far past it.
    release = threading.Event()
    model.held = {"slow": release}
    with serving(model, timeout_ms=30_000) as server:
        # One batch: the slow user's three visits, among other users'.
        batch = [visit("slow", 1), visit("quick-a", 1), visit("slow", 2), visit("quick-b", 1),
                 visit("slow", 3)]
        posted = []
        thread = threading.Thread(target=lambda: posted.append(server.post_events(batch)))
        thread.start()
        try:
            # The other users' firings come while the slow user's score is held.
            wait_for(lambda: firings_of(server, "quick-a") and firings_of(server, "quick-b"),
                     seconds=5, what="the quick users' firings")
            assert firings_of(server, "slow") == [], "the slow user's steps ran before its score"
            # Its waiting events hold their room in the shard's queue (a flood behind a slow
            # scorer meets the queue's bound), and give it back once handled.
            assert queued_events(server) > 0
        finally:
            release.set()
        thread.join()
        assert posted[0].status == 202
        assert queued_events(server) == 0
        wait_for(lambda: len(firings_of(server, "slow")) == 6, what="the slow user's six firings")
        # Its steps in its events' order, each with the score fetched for it.
        order = [f["actions"][0]["payload"]["n"] for f in firings_of(server, "slow", "every_visit")]
        assert order == [1, 2, 3], order
        assert len(model.asked_for("slow")) == 3


def test_a_decision_is_answered_with_the_score_fetched_for_it_after_the_users_waiting_events():
    model = ModelServer()
    model.scores = {"leaving": 0.8, "keen": 0.2}
    model.slow = {"leaving": 0.25}
    with serving(model) as server:
        r = server.request("POST", "/v1/decide", {"user": "keen", "placement": "homepage"})
        assert r.status == 200 and r.json()["rule"] is None, r
        # A visit that waits for its score, then a decision of the same user: the decision
        # is answered after the visit's step, with a score fetched for it.
        posted = []
        thread = threading.Thread(target=lambda: posted.append(server.post_events([visit("leaving", 1)])))
        thread.start()
        wait_for(lambda: model.asked_for("leaving"), what="the visit's score to be asked")
        r = server.request("POST", "/v1/decide", {"user": "leaving", "placement": "homepage"})
        thread.join()
        assert r.status == 200 and r.json()["rule"] == "winback", r
        assert r.json()["content"] == {"module": "winback", "churn": 0.8}, r
        assert posted[0].status == 202
        # Firings reach stdout through the sink's thread, maybe after the answer.
        wait_for(lambda: len(firings_of(server, "leaving")) == 3, what="the user's three firings")
        rules = [f["rule"] for f in firings_of(server, "leaving")]
        assert rules == ["save_them", "every_visit", "winback"], rules
        assert len(model.asked_for("leaving")) == 2  # the visit's step, then the decision's


def test_after_kill_9_recovery_answers_steps_with_the_scores_they_had():
    model = ModelServer()
    model.scores = {"leaving": 0.8}
    rules = {"churn.rules": """
model churn
  features { ltv: profile.ltv }
end

rule save_them
when
  visit as v
  and score("churn") > 0.5
then
  set profile.saved = v.n
end

rule cart_left
when
  add_to_cart as c
  and no purchase within 1s
  and score("churn") > 0.5
then
  set profile.cart_saved = c.n
end
"""}
    config = ("server: {listen: 127.0.0.1:0}\nengine: {rules: [rules]}\n"
              "storage: {mode: disk, path: data}\n"
              f"scorers:\n  churn: {{type: http, url: '{model.url}', timeout: {TIMEOUT_MS}ms, default: 0.25}}\n")
    server = SpurServer(spur, rules, config).start()
    try:
        assert server.post_events([event("add_to_cart", "leaving", 3, n=3)]).status == 202
        # The timer step a second later reads the score fetched ahead of it (logged too).
        wait_for(lambda: server.request("GET", "/v1/profiles/leaving").json()["attributes"]
                 .get("cart_saved") == 3, what="the timer step's profile change")
        assert server.post_events([visit("leaving", 7)]).status == 202  # durable when answered
        profile = server.request("GET", "/v1/profiles/leaving").json()
        assert profile["attributes"]["saved"] == 7, profile
        server.crash()
        model.close()  # a replay that asked again would get the default, and not save
        server.start(restart=True)
        assert server.request("GET", "/readyz").status == 200
        profile = server.request("GET", "/v1/profiles/leaving").json()
        assert profile["attributes"].get("saved") == 7, profile
        assert profile["attributes"].get("cart_saved") == 3, profile
    finally:
        server.stop()
        server.cleanup()


run_tests([(name, fn) for name, fn in list(globals().items()) if name.startswith("test_")])
