#pragma once
// Connection rate: connect + accept + close in one process (connrate.cpp).

#include <vector>

#include "harness.hpp"

namespace bench {

/// Variants that each make `n` connections and return microseconds per connection.
std::vector<variant> connrate_variants(long n);

}  // namespace bench
