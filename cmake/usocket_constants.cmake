# usocket_generate_constants(): the backend's constants as compile-time values.
#
# The public headers must know the values (so that a constant can appear in a switch or a
# constexpr) without including an OS or lwIP header. The values are read from the backend's own
# headers when the library is configured:
#   - natively, a small program includes the backend's prologue header and prints each value;
#   - when cross-compiling (a board: nothing built can run here), the prologue is only
#     preprocessed and each value's expansion is evaluated with math(EXPR).
# A macro the backend does not define is left out: no constant, no USOCKET_HAS_<NAME> (the
# constant's upper-case name, which is the macro's unless the prologue renames an enumerator).
#
# Writes ${PROJECT_BINARY_DIR}/include/usocket/platform.hpp (installed with the headers) and
# ${PROJECT_BINARY_DIR}/generated/constant_table.inc (the name/value table, private).
#
#   usocket_generate_constants(BACKEND <name> LIST <file> PROLOGUE <header>
#                              [INCLUDE_DIRS <dir>...] [DEFINITIONS <-Dx>...]
#                              [NATIVE_HANDLE <type>] [INVALID_HANDLE <value>])

function(usocket_generate_constants)
  cmake_parse_arguments(G "" "BACKEND;LIST;PROLOGUE;NATIVE_HANDLE;INVALID_HANDLE"
                        "INCLUDE_DIRS;DEFINITIONS" ${ARGN})
  if(NOT G_NATIVE_HANDLE)
    set(G_NATIVE_HANDLE int)
  endif()
  if(NOT DEFINED G_INVALID_HANDLE)
    set(G_INVALID_HANDLE -1)
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${G_LIST} ${G_PROLOGUE})

  file(STRINGS ${G_LIST} lines REGEX "^[a-z]")
  set(kinds "")
  set(names "")
  set(macros "")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "[ \t]+" ";" fields "${line}")
    list(GET fields 0 kind)
    list(GET fields 1 name)
    list(GET fields 2 macro)
    list(APPEND kinds ${kind})
    list(APPEND names ${name})
    list(APPEND macros ${macro})
  endforeach()
  list(LENGTH names count)
  math(EXPR last "${count} - 1")

  set(work ${PROJECT_BINARY_DIR}/generated/constants)
  file(MAKE_DIRECTORY ${work})
  set(include_flags "")
  foreach(dir IN LISTS G_INCLUDE_DIRS)
    list(APPEND include_flags "-I${dir}")
  endforeach()

  # --- the values -----------------------------------------------------------------------------
  set(values "")
  if(NOT CMAKE_CROSSCOMPILING)
    set(program "#include \"${G_PROLOGUE}\"\n#include <cstdio>\nint main() {\n")
    foreach(i RANGE ${last})
      list(GET names ${i} name)
      list(GET macros ${i} macro)
      string(APPEND program "#ifdef ${macro}\n  std::printf(\"${name}=%lld\\n\", "
                            "static_cast<long long>(${macro}));\n#endif\n")
    endforeach()
    string(APPEND program "}\n")
    file(WRITE ${work}/print_constants.cpp "${program}")
    try_run(run_result compile_result ${work}/build ${work}/print_constants.cpp
            CMAKE_FLAGS "-DINCLUDE_DIRECTORIES=${G_INCLUDE_DIRS}"
            COMPILE_DEFINITIONS ${G_DEFINITIONS}
            COMPILE_OUTPUT_VARIABLE compile_output
            RUN_OUTPUT_VARIABLE run_output)
    if(NOT compile_result OR NOT run_result EQUAL 0)
      message(FATAL_ERROR "usocket: cannot read the ${G_BACKEND} backend's constants:\n${compile_output}")
    endif()
    string(REPLACE "\n" ";" printed "${run_output}")
    foreach(entry IN LISTS printed)
      if(entry MATCHES "^([a-z0-9_]+)=(-?[0-9]+)$")
        set(value_${CMAKE_MATCH_1} ${CMAKE_MATCH_2})
      endif()
    endforeach()
  else()
    set(text "#include \"${G_PROLOGUE}\"\n")
    foreach(i RANGE ${last})
      list(GET names ${i} name)
      list(GET macros ${i} macro)
      string(APPEND text "#ifdef ${macro}\nusocket_constant ${name} = ${macro} ;\n#endif\n")
    endforeach()
    file(WRITE ${work}/preprocess_constants.cpp "${text}")
    separate_arguments(cxx_flags UNIX_COMMAND "${CMAKE_CXX_FLAGS}")
    execute_process(COMMAND ${CMAKE_CXX_COMPILER} ${cxx_flags} ${include_flags} ${G_DEFINITIONS}
                            -E -P ${work}/preprocess_constants.cpp
                    RESULT_VARIABLE pp_result OUTPUT_VARIABLE pp_output ERROR_VARIABLE pp_error)
    if(NOT pp_result EQUAL 0)
      message(FATAL_ERROR "usocket: cannot preprocess the ${G_BACKEND} backend's constants:\n${pp_error}")
    endif()
    # Each match stops before its ';': a ';' inside would split the list's entries.
    string(REGEX MATCHALL "usocket_constant [a-z0-9_]+ = [^;]*" found "${pp_output}")
    foreach(entry IN LISTS found)
      string(REGEX REPLACE "^usocket_constant ([a-z0-9_]+) = (.*)$" "\\1" name "${entry}")
      string(REGEX REPLACE "^usocket_constant ([a-z0-9_]+) = (.*)$" "\\2" expr "${entry}")
      # Integer suffixes and casts to integer types are not math(EXPR)'s: drop them.
      string(REGEX REPLACE "([0-9a-fA-FxX]+)[uUlL]+" "\\1" expr "${expr}")
      string(REGEX REPLACE "\\((unsigned|signed|int|long|short|char|u8_t|u16_t|u32_t|s8_t|s16_t|s32_t| )+\\)" ""
             expr "${expr}")
      math(EXPR value "${expr}")
      set(value_${name} ${value})
    endforeach()
  endif()

  # --- platform.hpp ---------------------------------------------------------------------------
  string(TOUPPER "${G_BACKEND}" backend_upper)
  string(CONCAT header "#pragma once\n// Generated by cmake/usocket_constants.cmake for the ${G_BACKEND} backend\n"
             "// (${CMAKE_SYSTEM_NAME}, ${CMAKE_SYSTEM_PROCESSOR}) from src/constants.list: do not edit.\n"
             "// The constants of the module with this backend's values (docs/sockets.md).\n\n"
             "#include \"usocket/constant_types.hpp\"\n\n"
             "#define USOCKET_BACKEND_${backend_upper} 1\n\n"
             "namespace usocket {\n\n"
             "/// The backend's descriptor type (int on POSIX and lwIP; SOCKET on Windows).\n"
             "using native_handle = ${G_NATIVE_HANDLE};\n"
             "/// The value of no descriptor (what fileno() returns once a socket is closed).\n"
             "inline constexpr native_handle invalid_handle = ${G_INVALID_HANDLE};\n\n")
  set(table "// Generated by cmake/usocket_constants.cmake: {upper-case name, value} for every constant.\n")
  set(has "")
  foreach(i RANGE ${last})
    list(GET kinds ${i} kind)
    list(GET names ${i} name)
    list(GET macros ${i} macro)
    if(NOT DEFINED value_${name})
      continue()
    endif()
    set(v ${value_${name}})
    if(kind STREQUAL "int")
      string(APPEND header "inline constexpr int ${name} = ${v};\n")
    else()
      string(APPEND header "inline constexpr ${kind} ${name}{${v}};\n")
    endif()
    string(TOUPPER "${name}" upper)
    string(APPEND table "{\"${upper}\", ${v}},\n")
    string(APPEND has "#define USOCKET_HAS_${upper} 1\n")
  endforeach()
  string(APPEND header "\n}  // namespace usocket\n\n// The constants this backend has.\n${has}")
  file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/include/usocket/platform.hpp CONTENT "${header}" @ONLY)
  file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/generated/constant_table.inc CONTENT "${table}" @ONLY)
endfunction()
