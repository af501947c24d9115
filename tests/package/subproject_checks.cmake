# Checks for a project that adds usocket as a subproject (add_subdirectory, FetchContent):
# usocket must then build only its library ({fmt}'s *_MASTER_PROJECT rule).
#
#   usocket_subproject_checks_before()      just before adding usocket
#   usocket_subproject_checks_after(<dir>)  just after; <dir> is usocket's source directory

# The parts of usocket that are off by default in a subproject; the parent may still turn one
# on by setting it first, and that choice must be kept.
set(USOCKET_SUBPROJECT_OFF_OPTIONS USOCKET_BUILD_TESTS USOCKET_BUILD_EXAMPLES USOCKET_BUILD_TOOLS
    USOCKET_BUILD_PYTHON USOCKET_BUILD_BENCH USOCKET_FAULT_INJECTION USOCKET_INSTALL)

macro(usocket_subproject_checks_before)
  set(usocket_parent_build_type "$CACHE{CMAKE_BUILD_TYPE}")
  set(usocket_parent_options "")
  foreach(option IN LISTS USOCKET_SUBPROJECT_OFF_OPTIONS)
    if(DEFINED ${option})
      list(APPEND usocket_parent_options ${option})
    endif()
  endforeach()
  # A subproject that asked for these (its test suite, its Python module) would fail here.
  set(CMAKE_DISABLE_FIND_PACKAGE_GTest ON)
  set(CMAKE_DISABLE_FIND_PACKAGE_Python3 ON)
  set(CMAKE_DISABLE_FIND_PACKAGE_Python ON)
  set(CMAKE_DISABLE_FIND_PACKAGE_benchmark ON)
endmacro()

# Every target defined in `dir` and below it, recursively.
function(usocket_targets_below dir out)
  get_directory_property(targets DIRECTORY ${dir} BUILDSYSTEM_TARGETS)
  get_directory_property(subdirs DIRECTORY ${dir} SUBDIRECTORIES)
  foreach(subdir IN LISTS subdirs)
    usocket_targets_below(${subdir} more)
    list(APPEND targets ${more})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()

function(usocket_subproject_checks_after dir)
  set(errors "")
  if(NOT TARGET usocket::usocket)
    list(APPEND errors "no target usocket::usocket")
  endif()
  if(NOT "$CACHE{CMAKE_BUILD_TYPE}" STREQUAL "${usocket_parent_build_type}")
    list(APPEND errors "the parent's CMAKE_BUILD_TYPE changed from '${usocket_parent_build_type}' to '$CACHE{CMAKE_BUILD_TYPE}'")
  endif()
  foreach(option IN LISTS USOCKET_SUBPROJECT_OFF_OPTIONS)
    if(NOT option IN_LIST usocket_parent_options AND ${option})
      list(APPEND errors "${option} is on in a subproject")
    endif()
  endforeach()
  usocket_targets_below(${dir} targets)
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "EXECUTABLE" OR type STREQUAL "MODULE_LIBRARY")
      list(APPEND errors "the subproject builds the ${type} ${target}")
    endif()
  endforeach()
  if(TARGET GTest::gtest OR TARGET GTest::GTest)
    list(APPEND errors "the subproject looked for GoogleTest")
  endif()
  if(errors)
    list(JOIN errors "\n  " errors)
    message(FATAL_ERROR "usocket as a subproject:\n  ${errors}")
  endif()
  message(STATUS "usocket as a subproject: only the library (${targets})")
endfunction()
