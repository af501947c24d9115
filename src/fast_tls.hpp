#pragma once
// Thread-local variables on hot paths (a read lock's owner tag, the Python module's per-thread
// flags) use the initial-exec model on Linux: one load from the thread pointer instead of a
// __tls_get_addr() call (11 instructions each, several per call in a shared object such as the
// Python module). glibc keeps static TLS space for libraries loaded later with dlopen(), as the
// module is; these variables come to a few dozen bytes.

#if defined(__linux__) && defined(__ELF__) && (defined(__GNUC__) || defined(__clang__))
#define USOCKET_FAST_TLS [[gnu::tls_model("initial-exec")]]
#else
#define USOCKET_FAST_TLS
#endif
