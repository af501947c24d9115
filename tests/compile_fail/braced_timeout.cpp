// expect: use of deleted function.*settimeout
// settimeout({}) does not silently mean "block": usocket::blocking says it.
#include <usocket/usocket.hpp>

void f(usocket::socket& s) { s.settimeout({}); }
