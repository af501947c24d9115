# Shared by the CMake consumer projects under tests/package/: builds consumer.cpp against the
# target usocket::usocket, as any project would, and checks what the target carries.
#
# USOCKET_EXPECTED_TYPE (STATIC_LIBRARY or SHARED_LIBRARY), when set, is the kind of library
# the consumer must have got. The consumer sets no C++ standard itself: usocket::usocket must
# bring C++20 along.

function(usocket_add_consumer name)
  add_executable(${name} ${CMAKE_CURRENT_LIST_DIR}/../consumer.cpp)
  target_link_libraries(${name} PRIVATE usocket::usocket)
  get_target_property(type usocket::usocket TYPE)
  if(USOCKET_EXPECTED_TYPE AND NOT type STREQUAL USOCKET_EXPECTED_TYPE)
    message(FATAL_ERROR "usocket::usocket is a ${type}, expected a ${USOCKET_EXPECTED_TYPE}")
  endif()
  if(type STREQUAL "STATIC_LIBRARY")
    target_compile_definitions(${name} PRIVATE USOCKET_EXPECT_STATIC=1)
  else()
    target_compile_definitions(${name} PRIVATE USOCKET_EXPECT_STATIC=0)
  endif()
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${name} PRIVATE -Wall -Wextra -Werror)
  endif()
  message(STATUS "usocket consumer ${name}: usocket::usocket is a ${type}")
endfunction()
