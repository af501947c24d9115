# lwIP for usocket: upstream lwIP 2.1.3 (Debian's source package, unpacked by
# scripts/fetch-lwip.sh) built as one static library per profile, with usocket's own port.
#
#   USOCKET_LWIP_SOURCE_DIR  the unpacked lwIP tree; empty: fetched at configure time into
#                            USOCKET_LWIP_CACHE (default ~/.cache/usocket-lwip)
#   USOCKET_LWIP_PROFILES    profiles to build: full (ESP32-like), small (select only), test
#   USOCKET_LWIP_BOARD       ON: a cross build for a board (board headers, no host parts)
#
# Targets: lwip_<profile> (the stack; on a host with the pthread port), and on a host
# usocket_lwip_host_<profile> (start-up and the interface to usocket-netsim), usocket-netsim,
# and the tests of tests/lwip/. lwIP's own sources get no warning flags and never -Werror.

include_guard(GLOBAL)

get_filename_component(USOCKET_LWIP_ROOT "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)

set(USOCKET_LWIP_SOURCE_DIR "" CACHE PATH "Unpacked lwIP 2.1.3 tree (empty: run scripts/fetch-lwip.sh)")
set(USOCKET_LWIP_CACHE "" CACHE PATH "Where scripts/fetch-lwip.sh keeps lwIP (empty: ~/.cache/usocket-lwip)")
option(USOCKET_LWIP_BOARD "Build lwIP for a board (cross build): no host start-up, no tests" OFF)
# The library's lwIP backend (src/lwip/backend.cmake) sets the profiles it needs beforehand.
if(NOT DEFINED USOCKET_LWIP_PROFILES)
  if(USOCKET_LWIP_BOARD)
    set(USOCKET_LWIP_PROFILES "full;small" CACHE STRING "lwIP profiles to build")
  else()
    set(USOCKET_LWIP_PROFILES "test;full;small" CACHE STRING "lwIP profiles to build")
  endif()
endif()

if(NOT USOCKET_LWIP_SOURCE_DIR)
  set(_fetch_args)
  if(USOCKET_LWIP_CACHE)
    set(_fetch_args "${USOCKET_LWIP_CACHE}")
  endif()
  execute_process(COMMAND "${USOCKET_LWIP_ROOT}/scripts/fetch-lwip.sh" ${_fetch_args}
                  OUTPUT_VARIABLE _fetched OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE _fetch_rc)
  if(NOT _fetch_rc EQUAL 0)
    message(FATAL_ERROR "scripts/fetch-lwip.sh failed (${_fetch_rc})")
  endif()
  string(REGEX REPLACE ".*\n" "" _fetched "${_fetched}")
  set(USOCKET_LWIP_SOURCE_DIR "${_fetched}" CACHE PATH "Unpacked lwIP 2.1.3 tree" FORCE)
endif()
if(NOT EXISTS "${USOCKET_LWIP_SOURCE_DIR}/src/Filelists.cmake")
  message(FATAL_ERROR "USOCKET_LWIP_SOURCE_DIR=${USOCKET_LWIP_SOURCE_DIR} is not an lwIP tree")
endif()
message(STATUS "usocket: lwIP from ${USOCKET_LWIP_SOURCE_DIR}, profiles ${USOCKET_LWIP_PROFILES}")

set(LWIP_DIR "${USOCKET_LWIP_SOURCE_DIR}")
include("${USOCKET_LWIP_SOURCE_DIR}/src/Filelists.cmake")
# The stack, the socket API and Ethernet; not PPP, 6LoWPAN, SLIP or the bridge.
set(USOCKET_LWIP_STACK_SOURCES ${lwipcore_SRCS} ${lwipcore4_SRCS} ${lwipcore6_SRCS} ${lwipapi_SRCS}
                               ${LWIP_DIR}/src/netif/ethernet.c)

if(NOT USOCKET_LWIP_BOARD)
  find_package(Threads REQUIRED)
endif()

# usocket_lwip_profile(NAME): lwip_NAME, and on a host usocket_lwip_host_NAME.
function(usocket_lwip_profile profile)
  set(opts "${USOCKET_LWIP_ROOT}/lwip/profiles/${profile}")
  if(NOT EXISTS "${opts}/lwipopts.h")
    message(FATAL_ERROR "no lwIP profile ${profile} (${opts}/lwipopts.h)")
  endif()
  add_library(lwip_${profile} STATIC ${USOCKET_LWIP_STACK_SOURCES})
  target_include_directories(lwip_${profile} SYSTEM PUBLIC "${USOCKET_LWIP_SOURCE_DIR}/src/include")
  target_include_directories(lwip_${profile} PUBLIC "${opts}")
  set_target_properties(lwip_${profile} PROPERTIES C_STANDARD 11 C_EXTENSIONS ON)
  if(USOCKET_LWIP_BOARD)
    target_include_directories(lwip_${profile} PUBLIC "${USOCKET_LWIP_ROOT}/lwip/board/include")
    # The structures behind one socket, for the RAM-per-socket figure.
    add_library(lwip_sizes_${profile} OBJECT "${USOCKET_LWIP_ROOT}/lwip/board/sizes.c")
    target_link_libraries(lwip_sizes_${profile} PRIVATE lwip_${profile})
    return()
  endif()

  # Position-independent on a host: the Python module links it into a shared object.
  set_target_properties(lwip_${profile} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  target_include_directories(lwip_${profile} PUBLIC "${USOCKET_LWIP_ROOT}/lwip/port/include")
  target_sources(lwip_${profile} PRIVATE "${USOCKET_LWIP_ROOT}/lwip/port/sys_arch.c")
  set_source_files_properties("${USOCKET_LWIP_ROOT}/lwip/port/sys_arch.c" TARGET_DIRECTORY lwip_${profile}
                              PROPERTIES COMPILE_OPTIONS "-Wall;-Wextra")
  target_link_libraries(lwip_${profile} PUBLIC Threads::Threads)
  if(COMMAND usocket_sanitize)
    usocket_sanitize(lwip_${profile})
  endif()

  add_library(usocket_lwip_host_${profile} STATIC "${USOCKET_LWIP_ROOT}/lwip/host/host.c")
  target_include_directories(usocket_lwip_host_${profile} PUBLIC "${USOCKET_LWIP_ROOT}/lwip/host/include")
  target_link_libraries(usocket_lwip_host_${profile} PUBLIC lwip_${profile})
  set_target_properties(usocket_lwip_host_${profile} PROPERTIES C_STANDARD 11 C_EXTENSIONS ON
                                                                POSITION_INDEPENDENT_CODE ON)
  target_compile_options(usocket_lwip_host_${profile} PRIVATE -Wall -Wextra)
  if(COMMAND usocket_sanitize)
    usocket_sanitize(usocket_lwip_host_${profile})
  endif()
endfunction()

foreach(_profile IN LISTS USOCKET_LWIP_PROFILES)
  usocket_lwip_profile(${_profile})
endforeach()

if(NOT USOCKET_LWIP_BOARD)
  add_subdirectory("${USOCKET_LWIP_ROOT}/tools/netsim" "${CMAKE_BINARY_DIR}/tools/netsim")
  option(USOCKET_LWIP_TESTS "Build the tests of lwIP over usocket-netsim (tests/lwip/)" ON)
  # In the library's build tests/CMakeLists.txt adds tests/lwip with the rest of the suite.
  if(USOCKET_LWIP_TESTS AND NOT USOCKET_BACKEND)
    enable_testing()
    add_subdirectory("${USOCKET_LWIP_ROOT}/tests/lwip" "${CMAKE_BINARY_DIR}/tests/lwip")
  endif()
endif()
