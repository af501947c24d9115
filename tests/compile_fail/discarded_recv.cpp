// expect: ignoring return value.*recv
// s.recv(10); drops the bytes it received: [[nodiscard]] makes it an error here.
#include <usocket/usocket.hpp>

void f(usocket::socket& s) { s.recv(10); }
