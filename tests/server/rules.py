"""Rule files shared by the end-to-end tests."""

EVERY = """
rule every "Fires on every ping"
when
  ping as p
then
  send log { n: p.n }
end
"""

WAITING = """
rule cart_wait "A cart without a purchase within an hour"
  priority 10
when
  add_to_cart as c
  and no purchase within 1h
then
  send log { sku: c.sku }
end
"""

QUICK = """
rule quick_wait "Fires a second after a cart without purchase"
when
  add_to_cart as c
  and no purchase within 1s
then
  send log { sku: c.sku }
end
"""

VIP = """
segment vip "Worth over 500"
when
  profile.ltv > 500
end

rule big_spender "A purchase over 100 by a VIP"
when
  purchase as p
  and p.amount > 100
  and profile.ltv > 500
then
  send log { amount: p.amount }
end
"""

ALL = {"every.rules": EVERY, "waiting.rules": WAITING, "vip.rules": VIP}
