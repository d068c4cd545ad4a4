"""Storage mode disk: acknowledged means durable, recovery, kill -9, erasure, bad folders."""

import datetime
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

from harness import SpurServer, run_tests, wait_for
import rules

spur = os.path.abspath(sys.argv[1])
BASE = "server: {listen: 127.0.0.1:0}\nengine: {rules: [rules]}\n"
# Results that do not depend on when the server handled what: every event's time is set
# by the client a little in the past (a step runs at its event's time), a cart is either
# followed by its purchase in the same request or never, and firing ids are compared.
RULES = {"every.rules": rules.EVERY, "d.rules": """
rule cart_wait "A cart without a purchase within 2s"
when
  add_to_cart as c
  and no purchase within 2s
then
  send log { sku: c.sku }
end
"""}


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + ".%03dZ" % (ms % 1000)


def now_ms():
    return int(time.time() * 1000)


def firing_ids(server, rule=None):
    return [f["firing_id"] for f in server.firings() if rule is None or f["rule"] == rule]


def test_waiting_matches_survive_a_restart_and_missed_deadlines_fire_once_late():
    server = SpurServer(spur, RULES, BASE).start()
    try:
        t = now_ms() - 50
        events = [{"event": "add_to_cart", "user": "u1", "id": "c1", "time": iso(t), "properties": {"sku": "A"}},
                  {"event": "add_to_cart", "user": "u2", "id": "c2", "time": iso(t), "properties": {"sku": "B"}},
                  {"event": "purchase", "user": "u2", "id": "p2", "time": iso(t)}]
        assert server.request("POST", "/v1/events", events).status == 202
        before = server.request("GET", "/v1/profiles/u1").json()
        assert server.stop() == 0
        time.sleep(2.5)  # the deadline passes while the server is down
        server.start(restart=True)
        assert server.request("GET", "/readyz").status == 200
        wait_for(lambda: firing_ids(server, "cart_wait"), what="the missed deadline's firing")
        time.sleep(0.5)
        fired = [f for f in server.firings() if f["rule"] == "cart_wait"]
        # Stamped with its deadline: 2s after the step, which ran at the clock's time.
        assert len(fired) == 1 and fired[0]["user"] == "u1" and fired[0]["late"] is True, fired
        assert fired[0]["trigger"] == "c1" and fired[0]["time"] < iso(now_ms() - 400), fired
        recovered = [l for l in server.log_lines() if l["msg"] == "recovered"]
        assert recovered and recovered[-1]["steps"] == 3, recovered
        metrics = server.request("GET", "/metrics").body
        assert "spur_recovery_seconds" in metrics and "spur_recovery_steps" in metrics
        # A clean restart delivers nothing twice: the outbox was emptied at the stop.
        assert server.stop() == 0
        server.start(restart=True)
        time.sleep(0.5)
        assert len(firing_ids(server, "cart_wait")) == 1, server.firings()
        assert server.request("GET", "/v1/profiles/u1").json() == before
    finally:
        server.stop()
        server.cleanup()


def test_a_crash_between_a_write_and_its_delivery_loses_no_firing():
    # The server exits when its first firing is about to reach the adapter: the step is
    # on disk, its firings are not delivered, and they are in no outbox (no checkpoint
    # was written with them): the restart makes them again by replaying the step.
    server = SpurServer(spur, RULES, BASE, env={"SPUR_FAILPOINTS": "exit_before_delivery"}).start()
    try:
        t = now_ms() - 50
        pings = [{"event": "ping", "user": "u1", "id": f"p{i}", "time": iso(t), "properties": {"n": i}}
                 for i in range(3)]
        try:
            server.request("POST", "/v1/events", pings, timeout=10)
        except (ConnectionError, OSError, http.client.HTTPException):
            pass  # the process is gone before it answers
        assert server.proc.wait(timeout=10) == 137
        server.stop()
        assert server.firings() == []
        del server.env["SPUR_FAILPOINTS"]
        server.start(restart=True)
        wait_for(lambda: len(firing_ids(server, "every")) == 3, what="the three firings made again")
        recovered = [l for l in server.log_lines() if l["msg"] == "recovered"]
        assert recovered[-1]["firings_made_again"] == 3, recovered
        assert recovered[-1]["firings_redelivered"] == 0, recovered
        fired = server.firings()
        assert sorted(f["trigger"] for f in fired) == ["p0", "p1", "p2"], fired
        # The ids the uninterrupted run gives: the same step at the same clock.
        assert all(f["firing_id"] == firing_id_of(f) for f in fired), fired
        # Delivered now: a clean restart makes none again.
        assert server.stop() == 0
        server.start(restart=True)
        time.sleep(0.5)
        assert len(firing_ids(server, "every")) == 3, server.firings()
        recovered = [l for l in server.log_lines() if l["msg"] == "recovered"]
        assert recovered[-1]["firings_made_again"] == 0, recovered
    finally:
        server.stop()
        server.cleanup()


def firing_id_of(firing):
    """formats.md: 16 hex digits of FNV-1a-64 over rule, user, trigger id and time."""
    when = datetime.datetime.fromisoformat(firing["time"].replace("Z", "+00:00"))
    ms = round(when.timestamp() * 1000)
    h = 0xcbf29ce484222325
    data = b"".join(p.encode() + b"\0" for p in (firing["rule"], firing["user"], firing["trigger"]))
    for b in data + str(ms).encode():
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def test_a_restart_with_other_rule_files_is_a_reload():
    server = SpurServer(spur, RULES, BASE).start()
    try:
        t = now_ms() - 50
        cart = {"event": "add_to_cart", "user": "u1", "id": "c1", "time": iso(t), "properties": {"sku": "A"}}
        assert server.request("POST", "/v1/events", cart).status == 202
        assert server.stop() == 0
        # A new waiting rule that the old cart would have met: added by the restart, it
        # starts empty, as a reload would have it, and cart_wait keeps its match.
        server.write_rule("new.rules", rules.QUICK)
        time.sleep(2.5)
        server.start(restart=True)
        wait_for(lambda: firing_ids(server, "cart_wait"), what="the unchanged rule's late firing")
        cart2 = dict(cart, user="u2", id="c2", time=iso(now_ms() - 50))
        assert server.request("POST", "/v1/events", cart2).status == 202
        wait_for(lambda: firing_ids(server, "quick_wait"), what="the new rule on a new cart")
        fired = [(f["rule"], f["user"]) for f in server.firings() if f["rule"] != "every"]
        assert ("quick_wait", "u1") not in fired, fired
        # Once more: the log now holds both rule sets, each step replayed under its own.
        assert server.stop() == 0
        server.start(restart=True)
        time.sleep(2.5)
        fired = [(f["rule"], f["user"]) for f in server.firings() if f["rule"] != "every"]
        assert sorted(fired) == [("cart_wait", "u1"), ("cart_wait", "u2"), ("quick_wait", "u2")], fired
    finally:
        server.stop()
        server.cleanup()


# Checkpoints every 300 ms: tests that want them see several passes in a few seconds.
CHECKPOINTED = BASE + "storage: {snapshot_interval: 300ms}\n"
LONG_WAIT = """
rule cart_long "A cart without a purchase within 6s"
when
  add_to_cart as c
  and no purchase within 6s
then
  send log { sku: c.sku }
end
"""


def metric(server, name):
    for line in server.request("GET", "/metrics").body.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0


def passes_after(server, count):
    """Waits until `count` more checkpoint passes have ended on every shard."""
    shards = [l for l in server.log_lines() if l["msg"] == "spur serve started"][-1]["shards"]
    def ended():
        per_shard = {}
        for l in server.log_lines():
            if l["msg"] == "checkpoint written":
                per_shard[l["shard"]] = per_shard.get(l["shard"], 0) + 1
        return per_shard
    start = ended()
    wait_for(lambda: len(ended()) == shards and all(n >= start.get(shard, 0) + count
                                                    for shard, n in ended().items()),
             seconds=30, what=f"{count} checkpoint passes on each of {shards} shards")


def test_a_restart_reads_checkpoints_and_the_log_is_trimmed_behind_them():
    server = SpurServer(spur, dict(RULES, **{"long.rules": LONG_WAIT}), CHECKPOINTED).start()
    try:
        t = now_ms() - 50
        carts = [{"event": "add_to_cart", "user": f"u{i}", "id": f"c{i}", "time": iso(t),
                  "properties": {"sku": f"s{i}"}} for i in range(20)]
        pings = [{"event": "ping", "user": f"u{i}", "id": f"p{i}", "time": iso(t), "properties": {"n": i}}
                 for i in range(20)]
        assert server.request("POST", "/v1/events", carts + pings).status == 202
        patch = server.request("PATCH", "/v1/profiles/u3", {"tier": "gold"})
        assert patch.status in (200, 204), patch.status
        wait_for(lambda: len(firing_ids(server, "cart_wait")) == 20, what="the 2s carts' firings")
        # Two passes on every shard: the second ends after every step was in the first.
        passes_after(server, 2)
        before = server.request("GET", "/v1/users/u3/firings").json()
        assert len(before["firings"]) == 2, before  # every and cart_wait
        assert metric(server, "spur_checkpoint_users_total") >= 20
        assert metric(server, "spur_checkpoint_longest_chunk_seconds") > 0
        assert server.stop() == 0
        # A restart with one more rule file: a reload of the checkpoints' rules.
        server.write_rule("new.rules", rules.QUICK)
        server.start(restart=True)
        recovered = [l for l in server.log_lines() if l["msg"] == "recovered"][-1]
        # Every step is in a checkpoint, and trimmed from the log.
        assert recovered["checkpoints"] == 20 and recovered["steps"] == 0, recovered
        assert server.request("GET", "/v1/profiles/u3").json()["attributes"] == {"tier": "gold"}
        after = server.request("GET", "/v1/users/u3/firings").json()
        assert after == before, (before, after)
        explain = server.request("GET", "/v1/users/u3/explain").json()
        assert "p3" in json.dumps(explain), explain
        # The dedup window came back with them.
        again = server.request("POST", "/v1/events", carts[5])
        assert again.json()["duplicates"] == 1, again.body
        # The waiting matches came back with their deadlines: each fires once, on time.
        wait_for(lambda: len(firing_ids(server, "cart_long")) == 20, seconds=15,
                 what="the 20 carts' firings")
        fired = [f for f in server.firings() if f["rule"] in ("cart_long", "quick_wait")]
        assert sorted(f["user"] for f in fired) == sorted(f"u{i}" for i in range(20)), fired
        assert all(f["rule"] == "cart_long" and "late" not in f for f in fired), fired
    finally:
        server.stop()
        server.cleanup()


def thp_enabled(pid):
    """The process's THP_enabled flag (0 once it has asked for no more huge pages)."""
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("THP_enabled:"))


def test_while_it_recovers_it_is_not_ready_takes_no_write_and_may_use_huge_pages():
    server = SpurServer(spur, RULES, BASE, env={"SPUR_FAILPOINTS": "slow_recovery"})
    try:
        # Started by hand: the harness waits for "spur serve started", which comes after
        # recovery; the address is in the "recovering" line before it.
        server.stdout = open(server.stdout_path, "w")
        server.stderr = open(server.stderr_path, "w")
        server.proc = subprocess.Popen(server.args, cwd=server.dir, env=server.env,
                                       stdout=server.stdout, stderr=server.stderr)
        recovering = []
        wait_for(lambda: recovering.extend(l for l in server.log_lines() if l["msg"].startswith("recovering"))
                 or recovering, what="the recovering line")
        server.port = int(recovering[0]["listen"].rsplit(":", 1)[1])
        ready = server.request("GET", "/readyz")
        assert ready.status == 503 and ready.json()["error"]["code"] == "not_ready", ready.body
        ev = {"event": "ping", "user": "r1", "id": "r1", "time": iso(now_ms() - 50)}
        refused = server.request("POST", "/v1/events", ev)
        assert refused.status == 503 and refused.json()["error"]["code"] == "not_ready", refused.body
        assert server.request("PUT", "/v1/profiles/r1", {"ltv": 1}).status == 503
        assert server.request("POST", "/v1/rules/reload").status == 503
        # Huge pages speed the recovery up; a request must not wait for one's first touch.
        if os.path.isdir("/sys/kernel/mm/transparent_hugepage"):  # a kernel with them
            assert thp_enabled(server.proc.pid) == 1
        wait_for(lambda: server.request("GET", "/readyz").status == 200, what="ready")
        assert thp_enabled(server.proc.pid) == 0
        assert server.request("POST", "/v1/events", ev).status == 202
    finally:
        server.stop()
        server.cleanup()


def test_profile_writes_survive_a_kill():
    server = SpurServer(spur, RULES, BASE).start()
    try:
        assert server.request("PUT", "/v1/profiles/p1", {"ltv": 900, "plan": "gold"}).status == 200
        assert server.request("PATCH", "/v1/profiles/p1", {"plan": None, "city": "Oslo"}).status == 200
        server.crash()
        server.start(restart=True)
        profile = server.request("GET", "/v1/profiles/p1").json()
        assert profile["attributes"] == {"ltv": 900, "city": "Oslo"}, profile
    finally:
        server.stop()
        server.cleanup()


class Client(threading.Thread):
    """Sends its own users' events (batches and single events, each with an id) until
    told to stop, retrying a request that got no 2xx, so that every event it made is
    acknowledged in the end. Records what was acknowledged."""

    def __init__(self, server, index, seed):
        super().__init__()
        self.server, self.index = server, index
        self.random = random.Random(seed)
        self.acknowledged = []
        self.stopping = False
        self.n = 0

    def make(self):
        events = []
        for _ in range(self.random.choice([1, 1, 5, 20])):
            user = f"c{self.index}-u{self.random.randrange(30)}"
            self.n += 1
            t = now_ms() - 50
            kind = self.random.random()
            if kind < 0.6:
                events.append({"event": "ping", "user": user, "id": f"{user}-p{self.n}", "time": iso(t),
                               "properties": {"n": self.n}})
            else:
                # A user of its own: a purchase from a later request, whose time relative
                # to the cart's deadline depends on when the server ran each, never meets it.
                user = f"c{self.index}-cart{self.n}"
                events.append({"event": "add_to_cart", "user": user, "id": f"{user}-c{self.n}",
                               "time": iso(t), "properties": {"sku": f"s{self.n}"}})
                if kind < 0.8:
                    events.append({"event": "purchase", "user": user, "id": f"{user}-b{self.n}",
                                   "time": iso(t)})
        return events

    def run(self):
        while not self.stopping:
            events = self.make()
            while True:
                try:
                    body = "\n".join(json.dumps(e) for e in events) if len(events) > 1 else events[0]
                    headers = {"Content-Type": "application/x-ndjson"} if len(events) > 1 else None
                    r = self.server.request("POST", "/v1/events", body, headers=headers, timeout=5)
                    if r.status == 202:
                        self.acknowledged.extend(events)
                        break
                except Exception:
                    pass  # the server is down: try again when it is back
                time.sleep(0.05)


def test_kill_9_under_load_loses_no_acknowledged_event_and_no_firing():
    kills = int(os.environ.get("SPUR_CRASH_KILLS", "20"))
    seed = int(os.environ.get("SPUR_CRASH_SEED", str(random.randrange(1 << 30))))
    print(f"crash test: {kills} kills, seed {seed} (SPUR_CRASH_SEED={seed} repeats it)", flush=True)
    chance = random.Random(seed)
    # Checkpoints every 300 ms: kills land before, in and after passes.
    server = SpurServer(spur, RULES, CHECKPOINTED).start()
    clients = [Client(server, i, seed + i) for i in range(4)]
    try:
        for c in clients:
            c.start()
        for _ in range(kills):
            time.sleep(chance.uniform(0.1, 0.8))
            server.crash()
            server.start(restart=True)
        time.sleep(0.3)
        for c in clients:
            c.stopping = True
        for c in clients:
            c.join()
        # Every cart's deadline passes (on a slow build, such as under a sanitizer, the
        # last restart's recovery may still be running).
        wait_for(lambda: pending(server) == 0, seconds=120, what="every waiting match to fire")
        assert server.stop() == 0
        acknowledged = sorted((e for c in clients for e in c.acknowledged), key=lambda e: e["time"])
        assert len(acknowledged) > 100, len(acknowledged)
        # The uninterrupted run: the same acknowledged events, replayed in time order.
        reference = subprocess.run([spur, "replay", "--rules", server.rules_dir, "--drain"],
                                   input="\n".join(json.dumps(e) for e in acknowledged),
                                   capture_output=True, text=True, check=True)
        # A step runs at the server's clock when its event's time is behind it, so firing
        # times (and ids) depend on when it ran: firings are compared by rule, user and
        # trigger, and copies of one firing must carry one firing_id.
        def key(f):
            return (f["rule"], f["user"], f["trigger"])
        expected = {key(json.loads(l)) for l in reference.stdout.splitlines() if l.strip()}
        delivered = server.firings()
        got = {key(f) for f in delivered}
        missing, extra = expected - got, got - expected
        assert not missing, f"{len(missing)} firings never delivered (seed {seed}): {sorted(missing)[:5]}"
        assert not extra, f"{len(extra)} firings the run without kills has not (seed {seed}): {sorted(extra)[:5]}"
        ids = {}
        for f in delivered:
            ids.setdefault(key(f), set()).add(f["firing_id"])
        assert all(len(v) == 1 for v in ids.values()), [k for k, v in ids.items() if len(v) > 1]
        pings = sum(1 for e in acknowledged if e["event"] == "ping")
        assert sum(1 for k in got if k[0] == "every") == pings
        print(f"crash test: {len(acknowledged)} events acknowledged, {len(expected)} firings, "
              f"{len(delivered) - len(got)} delivered twice (same firing_id)", flush=True)
    finally:
        for c in clients:
            c.stopping = True
        server.stop()
        server.cleanup()


def pending(server):
    metrics = server.request("GET", "/metrics").body
    return sum(int(l.split()[-1]) for l in metrics.splitlines() if l.startswith("spur_pending_matches{"))


def data_files(folder):
    for root, _, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                yield name, f.read()


def test_erasure_leaves_no_byte_of_the_user_in_the_data_folder():
    server = SpurServer(spur, RULES, CHECKPOINTED).start()
    try:
        t = now_ms() - 50
        secret = "erase-me-7f3a9c"
        events = [{"event": "add_to_cart", "user": secret, "id": f"e{i}", "time": iso(t),
                   "properties": {"sku": "marker-5d1e"}} for i in range(50)]
        events += [{"event": "ping", "user": "keeper", "id": "k1", "time": iso(t)}]
        assert server.request("POST", "/v1/events", events).status == 202
        folder = os.path.join(server.dir, "spur-data")
        assert any(secret.encode() in data for _, data in data_files(folder))
        passes_after(server, 2)  # the user is in a checkpoint, and its steps trimmed
        assert server.request("DELETE", f"/v1/profiles/{secret}").status == 204
        def gone():
            return not any(secret.encode() in data or b"marker-5d1e" in data
                           for _, data in data_files(folder))
        wait_for(gone, seconds=10, what="the user's bytes to leave the data folder")
        assert server.request("GET", f"/v1/profiles/{secret}").status == 404
        # On a slow build the carts' deadline may pass during the checkpoint passes:
        # what fired before the erasure stays fired, nothing fires after it.
        fired_before = len([f for f in server.firings() if f["user"] == secret])
        # The other user stays, through a restart.
        server.crash()
        server.start(restart=True)
        assert server.request("GET", "/v1/profiles/keeper").status == 200
        assert server.request("GET", f"/v1/profiles/{secret}").status == 404
        time.sleep(2.5)
        assert len([f for f in server.firings() if f["user"] == secret]) == fired_before
    finally:
        server.stop()
        server.cleanup()


def test_a_folder_spur_did_not_make_is_refused():
    server = SpurServer(spur, RULES, BASE)
    try:
        os.makedirs(os.path.join(server.dir, "spur-data"))
        with open(os.path.join(server.dir, "spur-data", "notes.txt"), "w") as f:
            f.write("not a data folder")
        server.start(expect_failure=True)
        assert server.proc.wait(timeout=30) != 0
        assert "did not make" in server.stderr_text(), server.stderr_text()
    finally:
        server.cleanup()


def test_a_log_cut_short_is_read_up_to_its_last_intact_record():
    server = SpurServer(spur, RULES, BASE).start()
    try:
        t = now_ms() - 50
        for i in range(20):
            ev = {"event": "ping", "user": "t1", "id": f"t{i}", "time": iso(t), "properties": {"n": i}}
            assert server.request("POST", "/v1/events", ev).status == 202
        server.crash()
        folder = os.path.join(server.dir, "spur-data")
        logs = sorted(n for n in os.listdir(folder) if n.endswith(".log"))
        path = os.path.join(folder, logs[-1])
        os.truncate(path, os.path.getsize(path) - 40)  # a torn last write
        server.start(restart=True)
        profile = server.request("GET", "/v1/profiles/t1").json()
        assert profile["user"] == "t1"
        ev = {"event": "ping", "user": "t1", "id": "after", "time": iso(now_ms() - 50), "properties": {"n": 99}}
        assert server.request("POST", "/v1/events", ev).status == 202
    finally:
        server.stop()
        server.cleanup()


def test_a_corrupted_table_is_refused_with_what_to_do():
    server = SpurServer(spur, RULES, BASE).start()
    try:
        t = now_ms() - 50
        events = [{"event": "ping", "user": f"z{i}", "id": f"z{i}", "time": iso(t),
                   "properties": {"n": i, "pad": "x" * 200}} for i in range(200)]
        assert server.request("POST", "/v1/events", events).status == 202
        # An erasure compacts the folder: the steps are then in a table file.
        assert server.request("DELETE", "/v1/profiles/z0").status == 204
        folder = os.path.join(server.dir, "spur-data")
        wait_for(lambda: any(n.endswith(".sst") for n in os.listdir(folder)), what="a table file")
        assert server.stop() == 0
        tables = [os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".sst")]
        table = max(tables, key=os.path.getsize)  # the steps' (a data block at its start)
        with open(table, "r+b") as f:
            f.seek(100)
            byte = f.read(1)
            f.seek(100)
            f.write(bytes([byte[0] ^ 0xFF]))
        server.start(restart=True, expect_failure=True)
        assert server.proc.wait(timeout=30) != 0
        text = server.stderr_text()
        assert "corrupted" in text and "backup" in text, text
    finally:
        server.cleanup()


def test_memory_mode_says_nothing_survives():
    server = SpurServer(spur, RULES, BASE + "storage: {mode: memory}\n").start()
    try:
        assert any("nothing survives a restart" in l["msg"] for l in server.log_lines())
        assert not os.path.exists(os.path.join(server.dir, "spur-data"))
    finally:
        server.stop()
        server.cleanup()


def test_a_full_disk_is_answered_503_reads_go_on_and_writes_resume():
    server = SpurServer(spur, RULES, BASE + "storage: {path: disk}\n")
    disk = os.path.join(server.dir, "disk")
    os.makedirs(disk)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", disk],
                      capture_output=True).returncode != 0:
        print("SKIP test_a_full_disk...: this machine cannot mount a tmpfs (needs root)", flush=True)
        server.cleanup()
        return
    try:
        server.start()
        ev = lambda i: {"event": "ping", "user": "f1", "id": f"f{i}", "time": iso(now_ms() - 50),
                        "properties": {"n": i}}
        assert server.request("POST", "/v1/events", ev(0)).status == 202
        filler = os.path.join(disk, "filler")
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], capture_output=True)
        statuses = []
        for i in range(1, 400):
            r = server.request("POST", "/v1/events", ev(i))
            statuses.append(r.status)
            if r.status == 503:
                assert r.json()["error"]["code"] == "storage_unavailable", r.body
                break
        assert statuses[-1] == 503, statuses
        assert server.request("GET", "/v1/profiles/f1").status == 200  # reads go on
        assert server.request("POST", "/v1/events", ev(1000)).status == 503  # refused, said
        assert any("refuses writes" in l["msg"] for l in server.log_lines())
        os.remove(filler)
        def takes_writes():
            return server.request("POST", "/v1/events", ev(2000)).status == 202
        wait_for(takes_writes, seconds=15, what="writes to be taken again")
        assert any("takes writes again" in l["msg"] for l in server.log_lines())
        # What was acknowledged is there after a kill.
        server.crash()
        server.start(restart=True)
        acknowledged = {f"f{i}" for i, s in enumerate(statuses) if s == 202} | {"f2000"}
        firings = {f["trigger"] for f in server.firings() if f["rule"] == "every"}
        assert acknowledged <= firings, acknowledged - firings
    finally:
        server.stop()
        subprocess.run(["umount", "-l", disk], capture_output=True)
        server.cleanup()


def test_a_deferred_firing_survives_a_kill_and_fires_once_at_the_window_end():
    # Quiet hours (language.md section 14) around the wall clock, in UTC: from this minute
    # to the next (or the one after, when this one is nearly over). An event now is
    # deferred to the window's end; the server is killed at once; the restarted server
    # fires it at the end of the window, once, with `deferred`.
    start = now_ms() // 60000 * 60000
    end = start + (60000 if now_ms() - start < 40000 else 120000)
    hhmm = lambda ms: time.strftime("%H:%M", time.gmtime(ms / 1000))
    quiet = {"q.rules": f"""
rule nightly_digest
  quiet {hhmm(start)}..{hhmm(end)} in "UTC"
when
  ping
then
  send log
end
"""}
    server = SpurServer(spur, quiet, BASE).start()
    try:
        t = now_ms() - 50
        event = {"event": "ping", "user": "u1", "id": "q1", "time": iso(t)}
        assert server.request("POST", "/v1/events", event).status == 202
        listed = server.request("GET", "/v1/rules").json()["rules"]
        assert [r["pending"] for r in listed if r["name"] == "nightly_digest"] == [1], listed
        server.crash()
        assert not server.firings()
        server.start(restart=True)
        wait_for(lambda: server.firings(), seconds=(end - now_ms()) / 1000 + 20,
                 what="the deferred firing at the window's end")
        time.sleep(1)
        fired = server.firings()
        assert len(fired) == 1, fired
        assert fired[0]["rule"] == "nightly_digest" and fired[0]["trigger"] == "q1", fired
        # Deferred from the activation (the step's time: the event's, or the server's clock
        # when that is later) to the window's end.
        assert iso(t) <= fired[0]["deferred"] < iso(end) and fired[0]["time"] == iso(end), fired
    finally:
        server.stop()
        server.cleanup()


run_tests([(name, fn) for name, fn in list(globals().items()) if name.startswith("test_")])
