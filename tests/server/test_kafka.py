"""The Kafka adapter of a served rule set against librdkafka's mock cluster, run as a
broker of its own on loopback (tests/kafka/mock_broker.cpp): every firing read back from
the topic once, keyed by its user, its value the firing's JSON; and firings that the
broker has not confirmed kept across kill -9 and produced after the restart.

usage: test_kafka.py SPUR KAFKA_MOCK_BROKER"""

import json
import os
import subprocess
import sys

from harness import SpurServer, log_adapter_firings, pings, run_tests, wait_for

spur = os.path.abspath(sys.argv[1])
broker_program = os.path.abspath(sys.argv[2])
RULES = {"stream.rules": """
rule stream "Every ping, to Kafka and to the audit log"
when
  ping as p
then
  send stream { n: p.n }
  send audit { n: p.n }
end
"""}


class Broker:
    def __init__(self, topic):
        self.proc = subprocess.Popen([broker_program, topic], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.bootstrap = self.proc.stdout.readline().strip()
        assert self.bootstrap, "kafka_mock_broker printed no address"

    def read(self, count):
        """(messages as (key, firing) pairs, the partition's high watermark)."""
        self.proc.stdin.write(f"read {count}\n")
        self.proc.stdin.flush()
        messages = []
        while True:
            line = self.proc.stdout.readline()
            assert line, "kafka_mock_broker stopped"
            if line.startswith("end "):
                return messages, int(line.split()[1])
            message = json.loads(line)
            messages.append((message["key"], json.loads(message["value"])))

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def start(broker, storage="memory", server=None):
    config = ("server: {listen: 127.0.0.1:0}\nengine: {rules: [rules]}\n"
              f"storage: {{mode: {storage}, path: data}}\n"
              "actions:\n"
              f"  stream: {{type: kafka, brokers: '{broker.bootstrap}', topic: firings}}\n"
              "  audit: {type: log, path: audit.ndjson}\n")
    if server is not None:
        return server.start(restart=True)
    return SpurServer(spur, RULES, config).start()


def audit(server):
    return log_adapter_firings(server, "audit.ndjson")


def test_every_firing_is_read_back_from_the_topic_once_keyed_by_its_user():
    broker = Broker("firings")
    server = start(broker)
    try:
        assert server.post_events(pings(30, "k")).status == 202
        wait_for(lambda: len(audit(server)) == 30, what="the audit log's 30 firings")
        messages, end = broker.read(30)
        assert end == 30, f"the topic holds {end} messages for 30 firings"
        by_id = {f["firing_id"]: f for f in audit(server)}
        assert len(messages) == 30
        for key, firing in messages:
            assert firing["user"] == key, (key, firing)
            logged = by_id[firing["firing_id"]]
            assert firing["rule"] == "stream" and firing["trigger"] == logged["trigger"]
            assert firing["actions"][0] == {"send": "stream", "payload": {"n": logged["actions"][0]["payload"]["n"]}}
        assert {key for key, _ in messages} == {f"k-{u}" for u in range(30)}
    finally:
        server.stop()
        server.cleanup()
        broker.close()


def test_firings_not_confirmed_by_the_broker_survive_kill_9_and_reach_the_topic():
    broker = Broker("firings")
    server = start(broker, storage="disk")
    try:
        assert server.post_events(pings(25, "r")).status == 202
        server.proc.kill()  # SIGKILL: whatever librdkafka had not confirmed is lost with it
        server.proc.wait()
        start(broker, storage="disk", server=server)
        wait_for(lambda: len({f["firing_id"] for f in audit(server)}) == 25,
                 what="the 25 firings in the audit log")
        messages, _ = broker.read(10_000)  # all there is after 10 s
        ids = {firing["firing_id"] for _, firing in messages}
        assert ids == {f["firing_id"] for f in audit(server)}, "a firing never reached Kafka"
        assert {key for key, _ in messages} == {f"r-{u}" for u in range(25)}
    finally:
        server.stop()
        server.cleanup()
        broker.close()


run_tests([(name, fn) for name, fn in list(globals().items()) if name.startswith("test_")])
