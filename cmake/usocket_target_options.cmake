# Per-target settings: the standard, warnings and sanitizers are set on each target, never in
# global flags, so a project that adds usocket with add_subdirectory keeps its own.

# usocket_warnings(target): -Wall -Wextra and friends (and -Werror with USOCKET_WERROR).
function(usocket_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                             -Wno-sign-conversion)
    if(USOCKET_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
endfunction()

# usocket_sanitize(target): applies USOCKET_SANITIZE (e.g. "address,undefined").
function(usocket_sanitize target)
  if(USOCKET_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=${USOCKET_SANITIZE} -fno-omit-frame-pointer
                                             -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=${USOCKET_SANITIZE})
  endif()
endfunction()

# usocket_target_defaults(target): both of the above.
function(usocket_target_defaults target)
  usocket_warnings(${target})
  usocket_sanitize(${target})
endfunction()

# usocket_python_test_env(<var>): the environment of a test that runs the Python module under
# Debian's interpreter: the built package on PYTHONPATH, no bytecode files, and — when the
# module is built with a sanitizer, which the uninstrumented interpreter lacks — the
# sanitizer's runtime preloaded (no leak detection: CPython keeps memory until exit by design;
# for ThreadSanitizer any report fails the test).
function(usocket_python_test_env var)
  set(env "PYTHONPATH=${PROJECT_BINARY_DIR}/python" "PYTHONDONTWRITEBYTECODE=1")
  if(USOCKET_SANITIZE MATCHES "address")
    execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libasan.so
                    OUTPUT_VARIABLE runtime OUTPUT_STRIP_TRAILING_WHITESPACE)
    list(APPEND env "LD_PRELOAD=${runtime}" "ASAN_OPTIONS=detect_leaks=0")
  elseif(USOCKET_SANITIZE MATCHES "thread")
    execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libtsan.so
                    OUTPUT_VARIABLE runtime OUTPUT_STRIP_TRAILING_WHITESPACE)
    list(APPEND env "LD_PRELOAD=${runtime}" "TSAN_OPTIONS=halt_on_error=1 exitcode=66 report_signal_unsafe=0")
  endif()
  set(${var} "${env}" PARENT_SCOPE)
endfunction()
