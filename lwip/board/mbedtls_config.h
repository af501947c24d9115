/* mbedTLS 2.28 on a board, for the cross build of usocket's TLS layer (scripts/cross-build.sh):
 * included after mbedTLS's default configuration (MBEDTLS_USER_CONFIG_FILE), it takes out what
 * needs an operating system. A firmware brings its own configuration, with the same three
 * choices: the transport is usocket's, not mbedTLS's BSD sockets; there are no files (newlib
 * has no <dirent.h>; trust comes from load_verify_data()); entropy
 * comes from the board's random number generator (the firmware's mbedtls_hardware_poll()). */
#pragma once

#undef MBEDTLS_NET_C                /* BSD sockets */
#undef MBEDTLS_TIMING_C             /* Unix timers (DTLS) */
#undef MBEDTLS_FS_IO                /* files and directories */
#undef MBEDTLS_PSA_ITS_FILE_C       /* PSA key storage in files */
#undef MBEDTLS_PSA_CRYPTO_STORAGE_C
#define MBEDTLS_NO_PLATFORM_ENTROPY /* no /dev/urandom */
#define MBEDTLS_ENTROPY_HARDWARE_ALT
