# The POSIX backend (Linux and the BSDs; macOS in mind): its sources, the headers its constants
# come from, and what only Linux has (src/linux/). Included by the top-level CMakeLists.txt.

set(USOCKET_BACKEND_SOURCES
  src/posix/errors.cpp
  src/posix/poll.cpp
  src/posix/resolve.cpp
  src/posix/resolve_timed.cpp
  src/posix/sockaddr.cpp
  src/posix/stack.cpp
  src/posix/sys.cpp
  src/posix/msg.cpp
  src/posix/files.cpp
  src/posix/interfaces.cpp
)
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  list(APPEND USOCKET_BACKEND_SOURCES src/linux/epoll.cpp src/linux/stream_mutex.cpp)
else()
  list(APPEND USOCKET_BACKEND_SOURCES src/posix/no_selector.cpp)
endif()
set(USOCKET_BACKEND_PROLOGUE ${CMAKE_CURRENT_LIST_DIR}/constants_prologue.h)
set(USOCKET_BACKEND_INCLUDE_DIRS "")
set(USOCKET_BACKEND_NATIVE_HANDLE int)
set(USOCKET_BACKEND_INVALID_HANDLE -1)
