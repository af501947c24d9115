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
