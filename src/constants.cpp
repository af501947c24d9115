// The table of the backend's constants (generated from src/constants.list with their values).

#include "usocket/constants.hpp"

namespace usocket {

namespace {
constexpr constant table[] = {
#include "constant_table.inc"
};
}  // namespace

std::span<const constant> constant_table() noexcept { return table; }

}  // namespace usocket
