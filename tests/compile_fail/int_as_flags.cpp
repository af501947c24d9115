// expect: no matching function|could not convert|cannot convert
// A flag is a msg_flags, not any int (a literal 0 is the one exception).
#include <usocket/usocket.hpp>

std::size_t f(usocket::socket& s, int n) { return s.send("x", n); }
