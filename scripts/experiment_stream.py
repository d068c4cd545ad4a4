#!/usr/bin/env python3
"""A generated stream for the A/B test of rules/examples/experiment.rules (the worked
example of docs/language.md, "Goals"): N customers get an order delivered, and write a
review within 14 days with probability 30% when treated, 20% when held out. Who is held
out is computed as Spur computes it (language.md section 14: FNV-1a-64 of
"holdout" 0x1f rule 0x1f user, modulo 10000, below 1000 for a 10% holdout).

usage: scripts/experiment_stream.py [N] > experiment.ndjson
"""
import json
import random
import sys


def bucket(kind, name, user):
    h = 0xCBF29CE484222325
    for byte in f"{kind}\x1f{name}\x1f{user}".encode():
        h = ((h ^ byte) * 0x100000001B3) % (1 << 64)
    return h % 10000


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    rng = random.Random(14)
    day = 86_400_000
    start = 1_772_359_200_000  # 2026-03-01T10:00:00Z
    events = []
    for i in range(count):
        user = f"c{i}"
        delivered = start + i * 60_000
        events.append((delivered, {"event": "order_delivered", "user": user, "id": f"d{i}",
                                   "time": delivered, "properties": {"order_id": f"o{i}"}}))
        held_out = bucket("holdout", "review_request_test", user) < 1000
        if rng.random() < (0.2 if held_out else 0.3):
            reviewed = delivered + rng.randrange(1, 13) * day
            events.append((reviewed, {"event": "review_submitted", "user": user,
                                      "id": f"r{i}", "time": reviewed}))
    for _, event in sorted(events, key=lambda e: e[0]):
        print(json.dumps(event))


if __name__ == "__main__":
    main()
