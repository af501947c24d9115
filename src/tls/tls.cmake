# TLS (docs/tls.md): one front (include/usocket/tls.hpp, src/tls/*.cpp) and one engine chosen at
# build time, compiled into the library (and its test build):
#   -DUSOCKET_TLS=openssl   OpenSSL's libssl (TLS 1.3 and 1.2); the default when it is found
#   -DUSOCKET_TLS=mbedtls   mbedTLS 2.28 (TLS 1.2), with the system's CA bundle file as trust store
#                           (-DUSOCKET_TLS_CA_BUNDLE=path, found at configure time)
#                           -DUSOCKET_MBEDTLS_SOURCE_DIR=tree builds mbedTLS from its sources instead
#                           (a board), with -DUSOCKET_MBEDTLS_USER_CONFIG=header (lwip/board/)
#   -DUSOCKET_TLS=none      no TLS (usocket/tls.hpp is installed but its functions are not built)
# Included by the top-level CMakeLists.txt once the library targets exist.

if(USOCKET_TLS STREQUAL "auto" OR USOCKET_TLS STREQUAL "")
  find_package(OpenSSL QUIET)
  if(OpenSSL_FOUND)
    set(USOCKET_TLS openssl CACHE STRING "The TLS engine: openssl, mbedtls or none" FORCE)
  else()
    set(USOCKET_TLS none CACHE STRING "The TLS engine: openssl, mbedtls or none" FORCE)
    message(STATUS "usocket: OpenSSL not found; built without TLS (-DUSOCKET_TLS=mbedtls for mbedTLS)")
  endif()
endif()
set_property(CACHE USOCKET_TLS PROPERTY STRINGS openssl mbedtls none)
set(USOCKET_MBEDTLS_SOURCE_DIR "" CACHE PATH
    "An mbedTLS 2.28 source tree to build (a board: scripts/fetch-debian-source.sh mbedtls); empty: the system's")
set(USOCKET_MBEDTLS_USER_CONFIG "" CACHE FILEPATH
    "With USOCKET_MBEDTLS_SOURCE_DIR: a header included after mbedTLS's config.h (MBEDTLS_USER_CONFIG_FILE)")

if(USOCKET_TLS STREQUAL "none")
  return()
endif()

set(_usocket_tls_sources
  ${CMAKE_CURRENT_LIST_DIR}/api.cpp
  ${CMAKE_CURRENT_LIST_DIR}/errors.cpp
  ${CMAKE_CURRENT_LIST_DIR}/session.cpp
)

if(USOCKET_TLS STREQUAL "openssl")
  find_package(OpenSSL 1.1.1 REQUIRED)
  list(APPEND _usocket_tls_sources ${CMAKE_CURRENT_LIST_DIR}/openssl/engine.cpp)
  set(_usocket_tls_libraries OpenSSL::SSL OpenSSL::Crypto)
  set(_usocket_tls_includes "")
  set(_usocket_tls_definitions "")
elseif(USOCKET_TLS STREQUAL "mbedtls" AND USOCKET_MBEDTLS_SOURCE_DIR)
  # mbedTLS built here from its sources, for a board (scripts/cross-build.sh: Debian's
  # libmbedtls-dev is built for the host): every file of library/, with the configuration
  # header USOCKET_MBEDTLS_USER_CONFIG included after mbedTLS's own config.h, by mbedTLS and by
  # the engine alike (the structures' layout depends on it).
  file(GLOB _usocket_mbedtls_sources ${USOCKET_MBEDTLS_SOURCE_DIR}/library/*.c)
  add_library(usocket_mbedtls STATIC ${_usocket_mbedtls_sources})
  target_include_directories(usocket_mbedtls PUBLIC ${USOCKET_MBEDTLS_SOURCE_DIR}/include)
  if(USOCKET_MBEDTLS_USER_CONFIG)
    target_compile_definitions(usocket_mbedtls PUBLIC "MBEDTLS_USER_CONFIG_FILE=\"${USOCKET_MBEDTLS_USER_CONFIG}\"")
  endif()
  list(APPEND _usocket_tls_sources ${CMAKE_CURRENT_LIST_DIR}/mbedtls/engine.cpp)
  set(_usocket_tls_libraries $<BUILD_INTERFACE:usocket_mbedtls>)
  set(_usocket_tls_includes "")
  set(_usocket_tls_definitions "")
elseif(USOCKET_TLS STREQUAL "mbedtls")
  # Debian's libmbedtls-dev 2.28 has neither a CMake package nor a pkg-config file: the
  # libraries are linked by path (the installed package carries the paths as they are).
  find_path(USOCKET_MBEDTLS_INCLUDE_DIR mbedtls/ssl.h)
  find_library(USOCKET_MBEDTLS_LIBRARY mbedtls)
  find_library(USOCKET_MBEDX509_LIBRARY mbedx509)
  find_library(USOCKET_MBEDCRYPTO_LIBRARY mbedcrypto)
  if(NOT USOCKET_MBEDTLS_INCLUDE_DIR OR NOT USOCKET_MBEDTLS_LIBRARY OR NOT USOCKET_MBEDX509_LIBRARY
     OR NOT USOCKET_MBEDCRYPTO_LIBRARY)
    message(FATAL_ERROR "usocket: -DUSOCKET_TLS=mbedtls needs mbedTLS (Debian: libmbedtls-dev)")
  endif()
  if(NOT USOCKET_TLS_CA_BUNDLE)
    foreach(candidate /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt
                      /etc/ssl/ca-bundle.pem /etc/ssl/cert.pem)
      if(EXISTS ${candidate})
        set(USOCKET_TLS_CA_BUNDLE ${candidate})
        break()
      endif()
    endforeach()
  endif()
  set(USOCKET_TLS_CA_BUNDLE "${USOCKET_TLS_CA_BUNDLE}" CACHE FILEPATH
      "The system's CA bundle, the trust store of mbedTLS clients")
  list(APPEND _usocket_tls_sources ${CMAKE_CURRENT_LIST_DIR}/mbedtls/engine.cpp)
  set(_usocket_tls_libraries ${USOCKET_MBEDTLS_LIBRARY} ${USOCKET_MBEDX509_LIBRARY} ${USOCKET_MBEDCRYPTO_LIBRARY})
  set(_usocket_tls_includes ${USOCKET_MBEDTLS_INCLUDE_DIR})
  set(_usocket_tls_definitions "USOCKET_TLS_CA_BUNDLE=\"${USOCKET_TLS_CA_BUNDLE}\"")
else()
  message(FATAL_ERROR "usocket: USOCKET_TLS must be openssl, mbedtls or none (not '${USOCKET_TLS}')")
endif()
message(STATUS "usocket: TLS engine ${USOCKET_TLS}")

foreach(_usocket_target usocket usocket_testing)
  if(TARGET ${_usocket_target})
    target_sources(${_usocket_target} PRIVATE ${_usocket_tls_sources})
    target_link_libraries(${_usocket_target} PRIVATE ${_usocket_tls_libraries})
    target_include_directories(${_usocket_target} PRIVATE ${_usocket_tls_includes})
    target_compile_definitions(${_usocket_target} PRIVATE ${_usocket_tls_definitions}
                               PUBLIC USOCKET_HAS_TLS=1)
  endif()
endforeach()
