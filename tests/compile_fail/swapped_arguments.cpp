// expect: no matching function|could not convert|no matching constructor
// socket(type, family) with the arguments swapped: the constants have types of their own.
#include <usocket/usocket.hpp>

usocket::socket f() { return usocket::socket(usocket::sock_stream, usocket::af_inet); }
