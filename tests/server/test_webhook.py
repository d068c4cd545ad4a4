"""The webhook adapter against a real receiver on loopback (tests/server/receiver.py):
signatures, exactly once by Idempotency-Key through 500s, timeouts, dropped connections
and 429s, the dead letter, https with certificate verification, a dead receiver not holding up another adapter, and firings
not yet confirmed surviving kill -9 in storage mode disk."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from harness import SpurServer, log_adapter_firings, pings, run_tests, wait_for
from receiver import Receiver

spur = os.path.abspath(sys.argv[1])
SECRET = "s3cret-for-tests"
RULES = {"hook.rules": """
rule notify "Every ping, to the webhook and to the audit log"
when
  ping as p
then
  send hook { n: p.n }
  send audit { n: p.n }
end
"""}


# The delivery timeout: an ordinary answer is well within it, even on a loaded CI machine
# running tests side by side (one past it is sent again, a duplicate the tests count); the
# receiver's "hang" (its default hang_seconds, 2 s) is well past it.
TIMEOUT_MS = 1000


def config(url, extra="", storage="memory"):
    return ("server: {listen: 127.0.0.1:0}\nengine: {rules: [rules]}\n"
            f"storage: {{mode: {storage}, path: data}}\n"
            "actions:\n"
            f"  hook: {{type: webhook, url: '{url}', timeout: {TIMEOUT_MS}ms, "
            "secret_env: HOOK_SECRET, "
            f"headers: {{X-Source: spur-test}}{extra}}}\n"
            "  audit: {type: log, path: audit.ndjson}\n")


def start(url, extra="", storage="memory", env=None):
    return SpurServer(spur, RULES, config(url, extra, storage),
                      env=dict({"HOOK_SECRET": SECRET}, **(env or {}))).start()


def audit_ids(server):
    return {f["firing_id"] for f in log_adapter_firings(server, "audit.ndjson")}


def dead_letters(server, count):
    """The first `count` lines of the server's dead.ndjson, once it has them."""
    path = os.path.join(server.dir, "dead.ndjson")
    wait_for(lambda: os.path.exists(path) and len(open(path).read().splitlines()) >= count,
             what=f"{count} lines in the dead letter")
    return [json.loads(line) for line in open(path).read().splitlines()[:count]]


def metric(server, name, adapter, outcome=None):
    text = server.request("GET", "/metrics").body
    label = f'{name}{{adapter="{adapter}"' + (f',outcome="{outcome}"' if outcome else "") + "}"
    for line in text.splitlines():
        if line.startswith(label + " "):
            return int(line.split()[-1])
    raise AssertionError(f"{label} not in /metrics")


def wait_for_metric(server, value, name, adapter, outcome=None):
    """Waits until the metric reads `value`: the adapter counts an outcome once it has read
    the receiver's answer, which comes after the receiver has recorded the firing."""
    wait_for(lambda: metric(server, name, adapter, outcome) == value,
             what=f"{name} of {adapter} {outcome or ''} to reach {value}")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_every_firing_arrives_once_signed_through_500s_timeouts_drops_and_429s():
    receiver = Receiver(SECRET)
    receiver.script = ["500", "close", "hang", "500", "429"]
    server = start(receiver.url, ", retries: 20")
    try:
        r = server.post_events(pings(40, "a"))
        assert r.status == 202, r
        wait_for(lambda: len(audit_ids(server)) == 40, what="the audit log's 40 firings")
        expected = audit_ids(server)
        wait_for(lambda: receiver.keys() == expected, seconds=30, what="all 40 firings at the receiver")
        assert receiver.bad_signatures == 0
        # Deduplicated on Idempotency-Key, each firing arrived once. Only the answer that
        # came after the timeout can have been a second copy.
        assert receiver.duplicates <= 1, receiver.duplicates
        firing = next(iter(receiver.delivered.values()))
        assert firing["rule"] == "notify" and firing["actions"][0]["send"] == "hook", firing
        # The firing that got the 429 came back no sooner than its Retry-After.
        retried = [times for times in receiver.attempts.values() if len(times) > 1]
        assert retried, receiver.attempts
        wait_for_metric(server, 40, "spur_action_deliveries_total", "hook", "ok")
        assert metric(server, "spur_action_deliveries_total", "hook", "retried") >= 4
        wait_for_metric(server, 0, "spur_action_queue_depth", "hook")
        assert len(receiver.connections) < 40  # keep-alive: connections are reused
    finally:
        server.stop()
        server.cleanup()
        receiver.close()


def test_a_429_is_retried_after_its_retry_after():
    receiver = Receiver(SECRET)
    receiver.script = ["429"]
    server = start(receiver.url, ", connections: 1")
    try:
        server.post_events(pings(1, "r"))
        wait_for(lambda: len(receiver.keys()) == 1, what="the firing after its 429")
        times = next(iter(receiver.attempts.values()))
        assert len(times) == 2 and times[1] - times[0] >= 0.95, times
    finally:
        server.stop()
        server.cleanup()
        receiver.close()


def test_after_the_last_retry_and_on_a_4xx_the_firing_goes_to_the_dead_letter():
    receiver = Receiver(SECRET)
    receiver.script = ["500", "500", "500", "400"]
    server = start(receiver.url, ", retries: 2, connections: 1, dead_letter: dead.ndjson")
    try:
        server.post_events(pings(1, "d"))
        dead = dead_letters(server, 1)[0]
        assert dead["adapter"] == "hook" and dead["attempts"] == 3, dead
        assert "HTTP 500" in dead["error"], dead
        assert dead["firing"]["user"] == "d-0", dead
        server.post_events(pings(1, "e"))  # answered 400: no retry
        refused = dead_letters(server, 2)[1]
        assert refused["attempts"] == 1 and "HTTP 400" in refused["error"], refused
        wait_for_metric(server, 2, "spur_action_deliveries_total", "hook", "dead_letter")
        assert receiver.keys() == set()
    finally:
        server.stop()
        server.cleanup()
        receiver.close()


def self_signed_certificate(directory):
    """A certificate for `localhost` and its key, made by the openssl command."""
    certificate, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                    "-keyout", key, "-out", certificate],
                   check=True, capture_output=True)
    return certificate, key


def test_https_goes_to_a_receiver_the_ca_store_trusts_and_never_to_one_it_does_not():
    directory = tempfile.mkdtemp(prefix="spur-tls-")
    certificate, key = self_signed_certificate(directory)
    receiver = Receiver(SECRET, tls=(certificate, key))
    # OpenSSL's default verify paths, which the adapter uses, read SSL_CERT_FILE: the
    # receiver's certificate stands for the system's CA store here.
    trusting = start(receiver.url, ", retries: 1", env={"SSL_CERT_FILE": certificate})
    try:
        trusting.post_events(pings(20, "tls"))
        wait_for(lambda: len(audit_ids(trusting)) == 20, what="the audit log's 20 firings")
        expected = audit_ids(trusting)
        wait_for(lambda: receiver.keys() == expected, what="all 20 firings over https")
        assert receiver.bad_signatures == 0 and receiver.duplicates == 0
        wait_for(lambda: metric(trusting, "spur_action_deliveries_total", "hook", "ok") == 20,
                 what="20 deliveries counted")
    finally:
        trusting.stop()
        trusting.cleanup()
    # The same receiver, with the machine's own store, which does not know its certificate.
    doubting = start(receiver.url, ", retries: 1, dead_letter: dead.ndjson")
    try:
        doubting.post_events(pings(1, "untrusted"))
        dead = dead_letters(doubting, 1)[0]
        assert "certificate verify failed" in dead["error"], dead
        assert dead["firing"]["user"] == "untrusted-0", dead
        assert len(receiver.keys()) == 20  # the first server's only
    finally:
        doubting.stop()
        doubting.cleanup()
        receiver.close()
        shutil.rmtree(directory)


def test_a_dead_receiver_holds_up_no_other_adapter_and_gets_everything_once_back():
    port = free_port()  # nothing listens there yet
    server = start(f"http://127.0.0.1:{port}/hook", ", retries: 100")
    receiver = None
    try:
        for batch in range(5):
            assert server.post_events(pings(20, f"b{batch}")).status == 202
        # The audit log has every firing at once, while the webhook's wait in its queue.
        wait_for(lambda: len(audit_ids(server)) == 100, what="the audit log's firings")
        wait_for_metric(server, 100, "spur_action_queue_depth", "hook")
        # The breaker opened: the dead receiver is not hammered.
        assert metric(server, "spur_action_deliveries_total", "hook", "retried") < 100
        receiver = Receiver(SECRET, port=port)
        wait_for(lambda: receiver.keys() == audit_ids(server), seconds=60,
                 what="every firing once the receiver is back")
        assert receiver.duplicates == 0 and receiver.bad_signatures == 0
    finally:
        server.stop()
        server.cleanup()
        if receiver:
            receiver.close()


def test_firings_not_confirmed_survive_kill_9_and_are_delivered_after_the_restart():
    receiver = Receiver(SECRET)
    receiver.down()
    server = start(receiver.url, ", retries: 100", storage="disk")
    try:
        assert server.post_events(pings(30, "k")).status == 202
        wait_for(lambda: len(audit_ids(server)) == 30, what="the audit log's firings")
        expected = audit_ids(server)
        wait_for(lambda: len(receiver.attempts) > 0, what="the first attempts")
        server.crash()
        receiver.up()
        server.start(restart=True)
        wait_for(lambda: receiver.keys() == expected, seconds=30,
                 what="every firing after the restart")
        # A clean stop after every confirmation leaves nothing to deliver again.
        server.stop()
        delivered = len(receiver.attempts)
        server.start(restart=True)
        recovered = [l for l in server.log_lines() if l["msg"] == "recovered"]
        assert recovered[-1]["firings_redelivered"] == 0, recovered
        time.sleep(0.5)
        assert len(receiver.attempts) == delivered
    finally:
        server.stop()
        server.cleanup()
        receiver.close()


def test_held_out_firings_go_to_no_adapter_and_stay_in_the_firing_log():
    # holdout 50%: by bucket("holdout", "held_back", user), h-0, h-2, h-3, h-6, h-7 and
    # h-9 are held out, h-1, h-4, h-5 and h-8 treated.
    receiver = Receiver(SECRET)
    server = SpurServer(spur, {"held.rules": """
rule held_back
  holdout 50%
when
  ping
then
  send hook
  send audit
end
"""}, config(receiver.url), env={"HOOK_SECRET": SECRET}).start()
    try:
        assert server.post_events(pings(10, "h")).status == 202
        treated = {"h-1", "h-4", "h-5", "h-8"}
        wait_for(lambda: len(receiver.keys()) == 4, what="the treated users' firings")
        assert {f["user"] for f in receiver.delivered.values()} == treated
        # The audit adapter has a queue of its own: it may write after the hook's receiver.
        wait_for(lambda: len(log_adapter_firings(server, "audit.ndjson")) >= 4,
                 what="the treated users' audit lines")
        audited = [f["user"] for f in log_adapter_firings(server, "audit.ndjson")]
        assert sorted(audited) == sorted(treated), audited
        firings = server.request("GET", "/v1/users/h-0/firings").json()["firings"]
        assert len(firings) == 1 and firings[0]["holdout"] is True and firings[0]["actions"] == [], firings
        time.sleep(0.3)
        assert len(receiver.keys()) == 4
    finally:
        server.stop()
        server.cleanup()
        receiver.close()


def test_a_missing_secret_or_a_bad_url_stops_the_start_with_what_to_fix():
    server = SpurServer(spur, RULES, config("http://127.0.0.1:1/hook")).start(expect_failure=True)
    try:
        assert server.proc.wait(timeout=10) != 0
        assert "HOOK_SECRET" in server.stderr_text(), server.stderr_text()
    finally:
        server.cleanup()
    server = SpurServer(spur, RULES, config("ftp://example/hook"), env={"HOOK_SECRET": SECRET})
    server.start(expect_failure=True)
    try:
        assert server.proc.wait(timeout=10) != 0
        assert "actions.hook.url" in server.stderr_text(), server.stderr_text()
    finally:
        server.cleanup()


run_tests([(name, fn) for name, fn in list(globals().items()) if name.startswith("test_")])
