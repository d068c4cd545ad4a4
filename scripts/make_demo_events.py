#!/usr/bin/env python3
"""Writes rules/examples/demo-events.ndjson: a few hundred events for the example rules.

Deterministic (fixed seed). The stream covers every example: identify events that set
profiles, sign-ups with and without a first order, carts left behind and carts bought,
category browsing sessions, price drops, stock changes, weekly newsletter ticks, and
returning customers whose recent purchases put them in the high_value segment.
"""
import datetime
import json
import random

rng = random.Random(20261123)
START = datetime.datetime(2026, 11, 16, 8, 0, tzinfo=datetime.timezone.utc)
CATEGORIES = ["shoes", "jackets", "bags", "watches", "toys"]
SKUS = {c: [f"{c[:2].upper()}{i}" for i in range(1, 13)] for c in CATEGORIES}
events = []


def at(minutes):
    t = START + datetime.timedelta(minutes=minutes)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def add(minutes, user, name, **props):
    events.append((minutes, {"event": name, "user": user, "time": at(minutes), "properties": props}))


for n in range(1, 41):
    user = f"u{n}"
    t = rng.randint(0, 600)
    ltv = rng.choice([0, 120, 350, 650, 900, 1500, 2400])
    add(t, user, "identify", ltv=ltv, unsubscribed=(n % 11 == 0), newsletter_opt_in=(n % 3 != 0),
        wishlist=[rng.choice(SKUS["watches"])], last_purchase_at=at(t - rng.randint(2, 80) * 1440))
    if n % 4 == 0:
        add(t + 1, user, "signup", first_name=rng.choice(["Ana", "Ben", "Chloé", "Dev"]))
        if n % 8 == 0:
            add(t + rng.randint(600, 2000), user, "purchase", order_id=f"o{n}a", amount=49.0)
    # A browsing session: several views of one category, sometimes a cart.
    cat = rng.choice(CATEGORIES)
    s = t + rng.randint(5, 240)
    for k in range(rng.randint(2, 7)):
        add(s + 3 * k, user, "page_view", category=cat, sku=rng.choice(SKUS[cat]))
    if n % 2 == 0:
        sku = rng.choice(SKUS[cat])
        value = rng.choice([35.0, 89.9, 129.5, 240.0])
        add(s + 25, user, "add_to_cart", sku=sku, category=cat, items=[sku], value=value)
        if n % 6 == 0:
            add(s + rng.randint(60, 900), user, "purchase", order_id=f"o{n}b", amount=value)
    # Returning high spenders: three purchases spread over the week.
    if ltv >= 1500:
        for k in range(3):
            add(t + 1440 * (k + 1) + rng.randint(0, 300), user, "purchase",
                order_id=f"o{n}c{k}", amount=rng.choice([80.0, 150.0, 320.0]))
    # A later visit, three days on.
    for k in range(rng.randint(1, 4)):
        add(t + 4320 + 5 * k, user, "page_view", category=cat, sku=rng.choice(SKUS[cat]))

for day in range(4):
    for n in range(1, 41, 5):
        add(day * 1440 + 420, f"u{n}", "newsletter_tick")
for k, sku in enumerate(["SH3", "JA5", "WA2", "BA7"]):
    for n in range(k + 1, 41, 7):
        add(1440 + 60 * k, f"u{n}", "price_changed", sku=sku, old_price=120.0, new_price=89.0)
        add(2000 + 60 * k, f"u{n}", "stock_changed", sku=rng.choice(SKUS["watches"]), available=5)

events.sort(key=lambda e: e[0])
with open("rules/examples/demo-events.ndjson", "w", encoding="utf-8") as out:
    for i, (_, event) in enumerate(events, 1):
        out.write(json.dumps({"id": f"demo-{i}", **event}, ensure_ascii=False) + "\n")
