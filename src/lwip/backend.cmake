# The lwIP backend (-DUSOCKET_BACKEND=lwip): the seam over lwIP's socket API. Included by the
# top-level CMakeLists.txt.
#
# lwIP itself comes from one of two places:
#   - built here by cmake/lwip.cmake (upstream 2.1.3 from Debian's source package) with one of
#     the project's profiles, USOCKET_LWIP_PROFILE: full (ESP32-like, the default), small
#     (IPv4, select only) or test (full with fast TCP timers, for the lossy virtual network);
#     on a host with the host start-up (lwip/host/: tcpip_init, usocket-netsim), on a board
#     (cross build, USOCKET_LWIP_BOARD) with lwip/board's port headers;
#   - a firmware's own lwIP: USOCKET_LWIP_INCLUDE_DIRS (lwIP's include directory, the
#     firmware's lwipopts.h and arch/cc.h) and USOCKET_LWIP_LIBRARIES (its lwIP target or
#     library); nothing of lwIP is built then, and the firmware starts lwIP before the first
#     socket.

enable_language(C)
get_filename_component(_usocket_root "${CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)

set(USOCKET_LWIP_PROFILE full CACHE STRING "lwIP profile of the backend (lwip/profiles/): full, small, test")
set(USOCKET_LWIP_INCLUDE_DIRS "" CACHE STRING "A firmware's own lwIP: its include directories (empty: build lwIP here)")
set(USOCKET_LWIP_LIBRARIES "" CACHE STRING "A firmware's own lwIP: what to link (with USOCKET_LWIP_INCLUDE_DIRS)")

set(USOCKET_BACKEND_SOURCES
  src/lwip/end_of_stream.cpp
  src/lwip/errors.cpp
  src/lwip/files.cpp
  src/lwip/interfaces.cpp
  src/lwip/loopback.cpp
  src/lwip/msg.cpp
  src/lwip/mutex.cpp
  src/lwip/poll.cpp
  src/lwip/resolve.cpp
  src/lwip/sockaddr.cpp
  src/lwip/stack.cpp
  src/lwip/sys.cpp
)
set(USOCKET_BACKEND_PROLOGUE ${CMAKE_CURRENT_LIST_DIR}/constants_prologue.h)
set(USOCKET_BACKEND_NATIVE_HANDLE int)
set(USOCKET_BACKEND_INVALID_HANDLE -1)

add_library(usocket_lwip_backend INTERFACE)
if(USOCKET_LWIP_INCLUDE_DIRS)
  set(USOCKET_BACKEND_INCLUDE_DIRS ${USOCKET_LWIP_INCLUDE_DIRS})
  target_link_libraries(usocket_lwip_backend INTERFACE ${USOCKET_LWIP_LIBRARIES})
else()
  if(CMAKE_CROSSCOMPILING)
    set(USOCKET_LWIP_BOARD ON CACHE BOOL "Build lwIP for a board (cross build): no host start-up, no tests")
  endif()
  # The backend's profile, and the ones tests/lwip's peers use (or, for a board, the ones whose
  # sizes scripts/cross-build.sh prints).
  set(USOCKET_LWIP_PROFILES ${USOCKET_LWIP_PROFILE})
  if(CMAKE_CROSSCOMPILING)
    list(APPEND USOCKET_LWIP_PROFILES full small)
  elseif(USOCKET_BUILD_TESTS)
    list(APPEND USOCKET_LWIP_PROFILES test small full)
  endif()
  list(REMOVE_DUPLICATES USOCKET_LWIP_PROFILES)
  include(${_usocket_root}/cmake/lwip.cmake)
  set(USOCKET_BACKEND_INCLUDE_DIRS "${USOCKET_LWIP_SOURCE_DIR}/src/include"
                                   "${_usocket_root}/lwip/profiles/${USOCKET_LWIP_PROFILE}")
  if(USOCKET_LWIP_BOARD)
    list(APPEND USOCKET_BACKEND_INCLUDE_DIRS "${_usocket_root}/lwip/board/include")
    target_link_libraries(usocket_lwip_backend INTERFACE lwip_${USOCKET_LWIP_PROFILE})
    # The library's state behind one socket, for scripts/cross-build.sh's RAM-per-socket figure.
    add_library(usocket_sizes OBJECT "${_usocket_root}/lwip/board/usocket_sizes.cpp")
    target_include_directories(usocket_sizes PRIVATE "${_usocket_root}/src" "${CMAKE_CURRENT_LIST_DIR}"
                               "${PROJECT_BINARY_DIR}/generated" "${PROJECT_BINARY_DIR}/include"
                               "${_usocket_root}/include" ${USOCKET_BACKEND_INCLUDE_DIRS})
    target_compile_features(usocket_sizes PRIVATE cxx_std_20)
    target_compile_definitions(usocket_sizes PRIVATE USOCKET_STATIC_DEFINE)
  else()
    list(APPEND USOCKET_BACKEND_INCLUDE_DIRS "${_usocket_root}/lwip/port/include"
                                             "${_usocket_root}/lwip/host/include")
    # On a host the library starts lwIP itself on first use (lwip/host/).
    target_link_libraries(usocket_lwip_backend INTERFACE usocket_lwip_host_${USOCKET_LWIP_PROFILE})
    target_compile_definitions(usocket_lwip_backend INTERFACE USOCKET_LWIP_HOST=1)
  endif()
endif()
set(USOCKET_BACKEND_LIBRARIES usocket_lwip_backend)

# A library over lwIP is part of a firmware (or of a test program on a host), never installed
# as a system library.
set(USOCKET_INSTALL OFF)
