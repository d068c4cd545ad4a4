"""Hot reload (http-api.md): API, SIGHUP and file watch, good and bad, while events flow;
every accepted event is handled exactly once; state carries over by rule name."""

import os
import signal
import sys
import threading
import time

from harness import SpurServer, run_tests, wait_for
import rules

spur = os.path.abspath(sys.argv[1])
CONFIG = "server: {listen: 127.0.0.1:0}\nengine: {rules: [rules], shards: 2, watch: true}\n"
EXTRA = """
rule extra "Added by a reload"
when
  ping as p
  and p.n < 0
then
  send log {}
end
"""
BROKEN = "rule broken when ping thn send log {} end\n"


def reload_logs(server, cause):
    return [l for l in server.log_lines() if l.get("msg") == "rules reloaded" and l.get("cause") == cause]


def test_reloads_good_and_bad_while_events_flow():
    server = SpurServer(spur, {"every.rules": rules.EVERY}, CONFIG).start()
    try:
        accepted = []
        stop = threading.Event()
        errors = []

        def post():
            seq = 0
            while not stop.is_set():
                batch = [{"event": "ping", "user": f"load-{(seq + i) % 97}", "id": f"load-{seq + i}",
                          "properties": {"n": seq + i}} for i in range(20)]
                r = server.post_events(batch)
                if r.status != 202 or r.json()["accepted"] != 20:
                    errors.append(r)
                accepted.extend(e["id"] for e in batch)
                seq += 20

        posters = [threading.Thread(target=post)]
        for t in posters:
            t.start()
        time.sleep(0.3)
        # A good reload through the API.
        server.write_rule("extra.rules", EXTRA)
        r = server.request("POST", "/v1/rules/reload")
        assert r.status == 200, r
        assert "extra" in r.json()["added"] or "extra" in r.json()["unchanged"], r
        time.sleep(0.2)
        # A bad one: 422 with the diagnostics, the running rules stay.
        server.write_rule("broken.rules", BROKEN)
        r = server.request("POST", "/v1/rules/reload")
        assert r.status == 422, r
        error = r.json()["error"]
        assert error["code"] == "rules_invalid" and error["details"][0]["file"].endswith("broken.rules"), error
        assert error["details"][0]["line"] == 1, error
        names = {rule["name"] for rule in server.request("GET", "/v1/rules").json()["rules"]}
        assert names == {"every", "extra"}, names
        # Fixed, then reloaded by SIGHUP.
        os.remove(os.path.join(server.rules_dir, "broken.rules"))
        time.sleep(0.5)
        server.send_signal(signal.SIGHUP)
        wait_for(lambda: reload_logs(server, "signal"), what="the SIGHUP reload")
        # And by the file watch alone.
        server.write_rule("extra.rules", EXTRA.replace("p.n < 0", "p.n < -1"))
        wait_for(lambda: any("extra" in str(l.get("changed", "")) or l.get("changed") == 1
                             for l in reload_logs(server, "watch")), what="the watch reload")
        time.sleep(0.3)
        stop.set()
        for t in posters:
            t.join()
        assert not errors, errors[:3]
        # Every accepted event fired `every` exactly once: none lost, none twice.
        def all_fired():
            return sum(1 for f in server.firings() if f["rule"] == "every") >= len(accepted)
        wait_for(all_fired, what="every firing")
        triggers = [f["trigger"] for f in server.firings() if f["rule"] == "every"]
        assert sorted(triggers) == sorted(accepted), (len(triggers), len(accepted))
        assert len(accepted) > 100, len(accepted)
        metrics = server.request("GET", "/metrics").body
        assert 'spur_reloads_total{outcome="error"} ' in metrics
        failed = [l for l in server.log_lines() if l.get("msg", "").startswith("reload failed")]
        assert failed and failed[0]["level"] == "error" and failed[0]["diagnostics"], failed
    finally:
        server.stop()
        server.cleanup()


def test_pending_matches_carry_over_by_when():
    server = SpurServer(spur, {"waiting.rules": rules.WAITING, "every.rules": rules.EVERY},
                        CONFIG.replace("watch: true", "watch: false")).start()
    try:
        for i in range(3):
            server.post_events({"event": "add_to_cart", "user": f"carry-{i}", "properties": {"sku": "A"}})
        # Only the actions change: the `when` is the same, so the matches stay.
        server.write_rule("waiting.rules", rules.WAITING.replace("sku: c.sku", "sku: c.sku, v: 2"))
        r = server.request("POST", "/v1/rules/reload").json()
        assert r["changed"] == ["cart_wait"] and r["pending_kept"] == 3 and r["pending_dropped"] == 0, r
        assert not any("keeps its waiting matches" in w["message"] for w in r["warnings"]), r
        listed = {rule["name"]: rule for rule in server.request("GET", "/v1/rules").json()["rules"]}
        assert listed["cart_wait"]["pending"] == 3, listed
        # The actions now read a property the waiting matches did not keep: kept, with
        # a warning that names the rule and the property.
        server.write_rule("waiting.rules", rules.WAITING.replace("sku: c.sku", "sku: c.sku, color: c.color"))
        r = server.request("POST", "/v1/rules/reload").json()
        assert r["pending_kept"] == 3 and r["pending_dropped"] == 0, r
        unkept = [w for w in r["warnings"] if "keeps its waiting matches" in w["message"]]
        assert len(unkept) == 1 and "`cart_wait`" in unkept[0]["message"], r
        assert "`color`" in unkept[0]["message"] and unkept[0]["severity"] == "warning", r
        assert unkept[0]["file"].endswith("waiting.rules") and unkept[0]["line"] > 0, r
        assert any(l.get("level") == "warning" and l.get("rule") == "cart_wait" for l in server.log_lines())
        # The window changes: the `when` differs, so they are dropped.
        server.write_rule("waiting.rules", rules.WAITING.replace("within 1h", "within 2h"))
        r = server.request("POST", "/v1/rules/reload").json()
        assert r["changed"] == ["cart_wait"] and r["pending_kept"] == 0 and r["pending_dropped"] == 3, r
        # A removed rule's state goes with it.
        server.post_events({"event": "add_to_cart", "user": "carry-9", "properties": {"sku": "B"}})
        os.remove(os.path.join(server.rules_dir, "waiting.rules"))
        r = server.request("POST", "/v1/rules/reload").json()
        assert r["removed"] == ["cart_wait"] and r["pending_dropped"] == 1, r
    finally:
        server.stop()
        server.cleanup()


def test_a_server_does_not_start_on_broken_rules():
    server = SpurServer(spur, {"broken.rules": BROKEN}, CONFIG)
    try:
        server.start(expect_failure=True)
        assert server.proc.wait(timeout=10) == 1
        assert "broken.rules:1" in server.stderr_text(), server.stderr_text()
    finally:
        server.cleanup()


run_tests([(name, fn) for name, fn in list(globals().items()) if name.startswith("test_")])
