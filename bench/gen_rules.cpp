// Writes a rule file of N varied rules to stdout, from a fixed seed, for benchmarking
// the front end (`spur check`) and, later, the compiler.
//
// usage: gen_rules [N=10000] [SEED=42]
//
// The rules mix every common construct: priorities, groups with limits, cooldowns,
// pending modes, alternatives of trigger events, comparisons, lists, past and future
// patterns with filters, aggregates, functions, scores, segments and all actions.
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

namespace {

const char* const kEvents[] = {"page_view", "add_to_cart",      "purchase",         "signup",
                               "search",    "wishlist_add",     "checkout_started", "refund",
                               "app_open",  "\"Product Added\""};
const char* const kCountries[] = {"FR", "DE", "ES", "IT", "US", "GB", "NL", "BE", "PL", "SE"};
const char* const kDevices[] = {"mobile", "desktop", "tablet"};

class Generator {
 public:
  explicit Generator(unsigned seed) : rng_(seed) {}

  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  std::string condition(int i) {
    switch (pick(8)) {
      case 0:
        return "e.amount > " + std::to_string(pick(1000));
      case 1:
        return "e.country == \"" + std::string(kCountries[pick(10)]) + "\"";
      case 2:
        return "e.device in [\"" + std::string(kDevices[pick(3)]) + "\", \"" + kDevices[pick(3)] +
               "\"]";
      case 3:
        return "count(page_view[category == e.category] in last " + std::to_string(1 + pick(59)) +
               "m) > " + std::to_string(pick(5));
      case 4:
        return "profile.ltv between " + std::to_string(pick(500)) + " and " +
               std::to_string(500 + pick(5000));
      case 5:
        return "not profile.unsubscribed";
      case 6:
        return "lower(e.campaign) == \"c" + std::to_string(i) + "\"";
      default:
        return "sum(purchase.amount in last " + std::to_string(1 + pick(90)) +
               "d) >= " + std::to_string(pick(2000));
    }
  }

  std::string rule(int i) {
    std::string r =
        "rule r" + std::to_string(i) + " \"Generated rule " + std::to_string(i) + "\"\n";
    r += "  priority " + std::to_string(pick(200) - 50) + "\n";
    if (i % 3 == 0) r += "  group g" + std::to_string((i / 3) % 30) + "\n";
    if (i % 4 == 0) r += "  cooldown " + std::to_string(1 + pick(72)) + "h\n";
    if (i % 7 == 0)
      r +=
          "  limit " + std::to_string(1 + pick(3)) + " per " + std::to_string(1 + pick(14)) + "d\n";
    const bool waits = i % 5 == 0;
    if (waits && i % 10 == 0) r += "  pending each\n";
    r += "when\n  " + std::string(kEvents[i % 10]);
    if (i % 11 == 0) r += " | " + std::string(kEvents[(i + 3) % 10]);
    r += " as e\n";
    const int conditions = 1 + pick(3);
    for (int c = 0; c < conditions; ++c)
      r += "  and " + condition(i) + "\n";
    if (i % 13 == 0)
      r += "  and (e.flag or \"s" + std::to_string(i % 100) + "\" in profile.segments)\n";
    if (i % 17 == 0) r += "  and score(\"churn\") > 0." + std::to_string(1 + pick(8)) + "\n";
    if (waits)
      r += "  and no purchase[sku == e.sku] within " + std::to_string(1 + pick(48)) + "h\n";
    r += "then\n";
    r += "  send log { rule: \"r" + std::to_string(i) + "\", amount: e.amount, items: [e.sku] }\n";
    if (i % 2 == 0) r += "  set profile.last_r" + std::to_string(i % 50) + " = now()\n";
    if (i % 9 == 0) r += "  increment profile.touches by 1\n";
    r += "end\n\n";
    return r;
  }

 private:
  std::mt19937 rng_;
};

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 10000;
  const unsigned seed = argc > 2 ? static_cast<unsigned>(std::atoi(argv[2])) : 42;
  Generator gen(seed);
  std::string out =
      "# " + std::to_string(n) + " generated rules (seed " + std::to_string(seed) + ")\n\n";
  out += "const HIGH_LTV = 500\n\n";
  for (int g = 0; g < 30; ++g) {
    out += "group g" + std::to_string(g) + "\n  exclusive\n  limit 1 per 1d\nend\n\n";
  }
  for (int s = 0; s < 100; ++s) {
    out += "segment s" + std::to_string(s) + "\nwhen\n  profile.ltv > " + std::to_string(s * 10) +
           " and count(purchase in last " + std::to_string(1 + s % 90) +
           "d) >= " + std::to_string(s % 5) + "\nend\n\n";
  }
  out +=
      "model churn\n  features { ltv: profile.ltv, views: count(page_view in last 7d) }\nend\n\n";
  for (int i = 0; i < n; ++i)
    out += gen.rule(i);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
