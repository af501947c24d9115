// expect: ignoring return value.*create_connection
// A discarded create_connection() closes the connection at once.
#include <usocket/usocket.hpp>

void f() { usocket::create_connection("localhost", 80); }
