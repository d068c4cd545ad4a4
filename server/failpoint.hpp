// Failure injection for the end-to-end tests: SPUR_FAILPOINTS="name,name" makes each
// named point fail once, so that a test can make a rare failure (a shard that throws
// while switching rule sets) happen on purpose and check what the server does then.
// With the variable unset, as in production, a point costs one relaxed atomic load.
#pragma once

#include <string_view>

namespace spur::server {

// True the first time the point `name` is reached when SPUR_FAILPOINTS names it.
// Thread-safe.
bool failpoint_hit(std::string_view name);

}  // namespace spur::server
