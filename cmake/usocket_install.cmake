# Install rules: headers, the library, a CMake package (usocketConfig.cmake) and a pkg-config
# file (usocket.pc). Included by the top-level CMakeLists.txt when USOCKET_INSTALL is on (the
# default only when usocket is the top-level project). Every path is relative to usocket's own
# PROJECT_SOURCE_DIR / PROJECT_BINARY_DIR, so it also works for a subproject that turns
# USOCKET_INSTALL on.
#
# One build installs one flavour, static or shared (BUILD_SHARED_LIBS). Its targets and its
# dependencies go to files named after the flavour (usocket-static-targets.cmake, ...), so a
# static and a shared build can be installed into the same prefix; usocketConfig.cmake picks one
# (see cmake/usocketConfig.cmake.in). Nothing here hard-codes the library's dependencies: they
# are read from the target's INTERFACE_LINK_LIBRARIES (a static library's private dependencies
# appear there as $<LINK_ONLY:...>), so a dependency added to the library later is carried into
# the package and into Libs.private without an edit here.

include(CMakePackageConfigHelpers)

set(USOCKET_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/usocket
    CACHE STRING "Where usocketConfig.cmake is installed (relative to the prefix)")
set(USOCKET_INSTALL_PKGCONFIGDIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig
    CACHE STRING "Where usocket.pc is installed (relative to the prefix)")
mark_as_advanced(USOCKET_INSTALL_CMAKEDIR USOCKET_INSTALL_PKGCONFIGDIR)

get_target_property(_usocket_type usocket TYPE)
if(_usocket_type STREQUAL "SHARED_LIBRARY")
  set(_usocket_flavour shared)
else()
  set(_usocket_flavour static)
endif()
set(_usocket_gen ${PROJECT_BINARY_DIR}/usocket-package)

# --- headers and library ---------------------------------------------------------------------

# A library built without TLS does not install the TLS header, whose functions it lacks.
if(USOCKET_TLS STREQUAL "none")
  set(_usocket_tls_header_rule PATTERN "tls.hpp" EXCLUDE)
endif()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/usocket
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        COMPONENT usocket_development
        FILES_MATCHING PATTERN "*.hpp" ${_usocket_tls_header_rule})
install(FILES ${PROJECT_BINARY_DIR}/include/usocket/export.hpp ${PROJECT_BINARY_DIR}/include/usocket/platform.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/usocket
        COMPONENT usocket_development)
install(TARGETS usocket EXPORT usocket-targets
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT usocket_runtime
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT usocket_runtime
                NAMELINK_COMPONENT usocket_development
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT usocket_development)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/CHANGELOG.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR}
        COMPONENT usocket_development
        OPTIONAL)

# --- the library's link dependencies -----------------------------------------------------------
#
# For each entry of INTERFACE_LINK_LIBRARIES, collect
#   _usocket_find  CMake code the package runs before loading the targets (find_dependency),
#   _usocket_pc_requires / _usocket_pc_libs  what usocket.pc lists for it.

set(_usocket_find "")
set(_usocket_pc_requires "")
set(_usocket_pc_libs "")
set(_usocket_find_modules "")

# _usocket_pc_flags_of(<var> <item>): linker flags for pkg-config from a library path, a
# "-l..." flag, a bare name or an imported target (its location and its own link libraries).
function(_usocket_pc_flags_of var item)
  set(flags "")
  if(TARGET ${item})
    get_target_property(aliased ${item} ALIASED_TARGET)
    if(aliased)
      set(item ${aliased})
    endif()
    get_target_property(type ${item} TYPE)
    if(NOT type STREQUAL "INTERFACE_LIBRARY")
      string(TOUPPER "${CMAKE_BUILD_TYPE}" config)
      foreach(property IMPORTED_LOCATION_${config} IMPORTED_LOCATION IMPORTED_LOCATION_RELEASE
                       IMPORTED_LOCATION_RELWITHDEBINFO IMPORTED_LOCATION_DEBUG)
        get_target_property(location ${item} ${property})
        if(location)
          _usocket_pc_flags_of(flags "${location}")
          break()
        endif()
      endforeach()
    endif()
    get_target_property(options ${item} INTERFACE_LINK_OPTIONS)
    if(options)
      list(APPEND flags ${options})
    endif()
    get_target_property(libraries ${item} INTERFACE_LINK_LIBRARIES)
    foreach(library IN LISTS libraries)
      string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" library "${library}")
      if(library AND NOT library MATCHES "^\\$<")
        _usocket_pc_flags_of(more "${library}")
        list(APPEND flags ${more})
      endif()
    endforeach()
  elseif(IS_ABSOLUTE "${item}")
    get_filename_component(dir "${item}" DIRECTORY)
    get_filename_component(file "${item}" NAME)
    if(file MATCHES "^lib(.+)\\.(so|a|dylib)(\\.[0-9.]+)?$")
      if(NOT dir IN_LIST CMAKE_CXX_IMPLICIT_LINK_DIRECTORIES)
        list(APPEND flags "-L${dir}")
      endif()
      list(APPEND flags "-l${CMAKE_MATCH_1}")
    else()
      list(APPEND flags "${item}")
    endif()
  elseif(item MATCHES "^-")
    list(APPEND flags "${item}")
  elseif(item)
    list(APPEND flags "-l${item}")
  endif()
  set(${var} ${flags} PARENT_SCOPE)
endfunction()

get_target_property(_usocket_links usocket INTERFACE_LINK_LIBRARIES)
if(NOT _usocket_links)
  set(_usocket_links "")
endif()
foreach(_usocket_link IN LISTS _usocket_links)
  string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" _usocket_link "${_usocket_link}")
  if(_usocket_link MATCHES "^\\$<")
    message(WARNING "usocket package: the link item ${_usocket_link} is a generator expression; "
                    "its consumers may need to add it themselves")
  elseif(_usocket_link STREQUAL "Threads::Threads")
    if(DEFINED THREADS_PREFER_PTHREAD_FLAG)
      string(APPEND _usocket_find "set(THREADS_PREFER_PTHREAD_FLAG ${THREADS_PREFER_PTHREAD_FLAG})\n")
    endif()
    string(APPEND _usocket_find "find_dependency(Threads)\n")
    list(APPEND _usocket_pc_libs ${CMAKE_THREAD_LIBS_INIT})
  elseif(_usocket_link MATCHES "^PkgConfig::(.+)$")
    # A pkg_check_modules(<prefix> ... IMPORTED_TARGET ...) result: replay the same call.
    set(_usocket_prefix ${CMAKE_MATCH_1})
    set(_usocket_args ${__pkg_config_arguments_${_usocket_prefix}})
    list(REMOVE_ITEM _usocket_args REQUIRED QUIET IMPORTED_TARGET GLOBAL
                                   NO_CMAKE_PATH NO_CMAKE_ENVIRONMENT_PATH)
    if(NOT _usocket_args)
      message(FATAL_ERROR "usocket package: cannot tell which pkg-config modules made "
                          "${_usocket_link}")
    endif()
    string(APPEND _usocket_find
      "if(NOT TARGET ${_usocket_link})\n"
      "  find_dependency(PkgConfig)\n"
      "  pkg_check_modules(${_usocket_prefix} QUIET IMPORTED_TARGET ${_usocket_args})\n"
      "  if(NOT ${_usocket_prefix}_FOUND)\n"
      "    set(usocket_NOT_FOUND_MESSAGE \"usocket needs the pkg-config module(s) ${_usocket_args}\")\n"
      "    set(usocket_FOUND FALSE)\n"
      "    return()\n"
      "  endif()\n"
      "endif()\n")
    foreach(_usocket_module IN LISTS _usocket_args)
      string(REGEX REPLACE "([<>=]+)" " \\1 " _usocket_module "${_usocket_module}")
      list(APPEND _usocket_pc_requires "${_usocket_module}")
    endforeach()
  elseif(_usocket_link MATCHES "^([^:]+)::.+$" AND TARGET ${_usocket_link})
    # An imported target Pkg::name comes, by convention, from find_package(Pkg). A Find
    # module of this project for it is installed next to the package.
    set(_usocket_package ${CMAKE_MATCH_1})
    string(APPEND _usocket_find "find_dependency(${_usocket_package})\n")
    if(EXISTS ${PROJECT_SOURCE_DIR}/cmake/Find${_usocket_package}.cmake)
      list(APPEND _usocket_find_modules ${PROJECT_SOURCE_DIR}/cmake/Find${_usocket_package}.cmake)
    endif()
    _usocket_pc_flags_of(_usocket_flags ${_usocket_link})
    list(APPEND _usocket_pc_libs ${_usocket_flags})
  elseif(TARGET ${_usocket_link})
    get_target_property(_usocket_imported ${_usocket_link} IMPORTED)
    if(_usocket_imported)
      message(WARNING "usocket package: the imported target ${_usocket_link} has no "
                      "namespace; cannot tell which package provides it")
    endif()
  else()
    # A library path or a bare name: the exported targets carry it as it is.
    _usocket_pc_flags_of(_usocket_flags "${_usocket_link}")
    list(APPEND _usocket_pc_libs ${_usocket_flags})
  endif()
endforeach()

if(_usocket_find_modules)
  set(_usocket_find "list(PREPEND CMAKE_MODULE_PATH \${CMAKE_CURRENT_LIST_DIR})\n${_usocket_find}")
  install(FILES ${_usocket_find_modules} DESTINATION ${USOCKET_INSTALL_CMAKEDIR}
          COMPONENT usocket_development)
endif()
file(CONFIGURE OUTPUT ${_usocket_gen}/usocket-${_usocket_flavour}-dependencies.cmake
     CONTENT "# What a ${_usocket_flavour} usocket needs its consumers to find (generated).\n${_usocket_find}"
     @ONLY)

# --- the CMake package -----------------------------------------------------------------------

install(EXPORT usocket-targets
        NAMESPACE usocket::
        FILE usocket-${_usocket_flavour}-targets.cmake
        DESTINATION ${USOCKET_INSTALL_CMAKEDIR}
        COMPONENT usocket_development)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/usocketConfig.cmake.in
                              ${_usocket_gen}/usocketConfig.cmake
                              INSTALL_DESTINATION ${USOCKET_INSTALL_CMAKEDIR}
                              NO_SET_AND_CHECK_MACRO)
# 0.x: a minor release may break the API (semantic versioning's rule for 0.y.z), so only the
# same major.minor is compatible — the same rule as the shared library's SOVERSION (0.1).
write_basic_package_version_file(${_usocket_gen}/usocketConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION}
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${_usocket_gen}/usocketConfig.cmake
              ${_usocket_gen}/usocketConfigVersion.cmake
              ${_usocket_gen}/usocket-${_usocket_flavour}-dependencies.cmake
        DESTINATION ${USOCKET_INSTALL_CMAKEDIR}
        COMPONENT usocket_development)

# The build tree is a package too (usocket_DIR=<build>/usocket-package), without installing.
export(EXPORT usocket-targets
       NAMESPACE usocket::
       FILE ${_usocket_gen}/usocket-${_usocket_flavour}-targets.cmake)
foreach(_usocket_module IN LISTS _usocket_find_modules)
  file(COPY ${_usocket_module} DESTINATION ${_usocket_gen})
endforeach()

# --- pkg-config --------------------------------------------------------------------------------
#
# The prefix is found from the .pc file's own place (${pcfiledir}), so the file stays right
# after `cmake --install --prefix OTHER` or after the tree is moved.

function(_usocket_pc_dir var dir)
  if(IS_ABSOLUTE "${dir}")
    set(${var} "${dir}" PARENT_SCOPE)
  else()
    set(${var} "\${prefix}/${dir}" PARENT_SCOPE)
  endif()
endfunction()
if(IS_ABSOLUTE "${USOCKET_INSTALL_PKGCONFIGDIR}")
  set(USOCKET_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _usocket_up "/prefix/${USOCKET_INSTALL_PKGCONFIGDIR}" "/prefix")
  string(REGEX REPLACE "/$" "" _usocket_up "${_usocket_up}")
  set(USOCKET_PC_PREFIX "\${pcfiledir}/${_usocket_up}")
endif()
_usocket_pc_dir(USOCKET_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
_usocket_pc_dir(USOCKET_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")

get_target_property(_usocket_name usocket OUTPUT_NAME)
if(NOT _usocket_name)
  set(_usocket_name usocket)
endif()
string(TOUPPER "${CMAKE_BUILD_TYPE}" _usocket_config)
get_target_property(_usocket_postfix usocket ${_usocket_config}_POSTFIX)
if(_usocket_postfix)
  string(APPEND _usocket_name "${_usocket_postfix}")
endif()
set(USOCKET_PC_LIBNAME ${_usocket_name})

# The compile definitions the library passes on (USOCKET_STATIC_DEFINE for a static one).
set(USOCKET_PC_CFLAGS "")
get_target_property(_usocket_definitions usocket INTERFACE_COMPILE_DEFINITIONS)
foreach(_usocket_definition IN LISTS _usocket_definitions)
  if(_usocket_definition AND NOT _usocket_definition MATCHES "\\$<")
    string(APPEND USOCKET_PC_CFLAGS " -D${_usocket_definition}")
  endif()
endforeach()

list(REMOVE_DUPLICATES _usocket_pc_libs)
list(REMOVE_DUPLICATES _usocket_pc_requires)
list(JOIN _usocket_pc_libs " " USOCKET_PC_LIBS_PRIVATE)
list(JOIN _usocket_pc_requires ", " USOCKET_PC_REQUIRES_PRIVATE)
configure_file(${PROJECT_SOURCE_DIR}/cmake/usocket.pc.in ${_usocket_gen}/usocket.pc @ONLY)
install(FILES ${_usocket_gen}/usocket.pc
        DESTINATION ${USOCKET_INSTALL_PKGCONFIGDIR}
        COMPONENT usocket_development)
