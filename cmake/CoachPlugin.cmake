# coach_add_plugin(<name> SOURCES <file>... [PROTOS <file.proto>...] [PROTO_ROOT <dir>]
#                  [DATA <file>...] [TESTS <file>...])
#
# The one call that builds a plugin, in coachd's tree and against an installed SDK alike:
#  - <name>_core, a static library with SOURCES (all but <name>_plugin.cpp), the C++ generated from
#    PROTOS and the DATA files compiled in; tests and benchmarks link it;
#  - <name>.so, the loadable plugin: <name>_plugin.cpp (the manifest and wiring) on top of the core,
#    with the .proto files and their comments embedded (coachctl describe shows them); only its
#    entry points are exported;
#  - <name>_tests, when TESTS are given: GoogleTest files with <name>_plugin.cpp and the core, so a
#    test drives the plugin through coach/testing.hpp; registered with ctest.
# PROTO_ROOT (default: the plugin's folder) is where the .proto import paths start.
# Each DATA file is compiled in as `const char* const coach::<name>::k<Stem><Ext>` (data/guidance.json
# -> kGuidanceJson), declared in "<name>_data.hpp", and installed to share/coach/<name>/.
include_guard(GLOBAL)
set(_COACH_PLUGIN_CMAKE_DIR ${CMAKE_CURRENT_LIST_DIR})

function(coach_add_plugin name)
  cmake_parse_arguments(ARG "" "PROTO_ROOT" "SOURCES;PROTOS;DATA;TESTS" ${ARGN})
  set(_entry ${name}_plugin.cpp)
  set(_core_sources)
  set(_has_entry OFF)
  foreach(_src IN LISTS ARG_SOURCES)
    get_filename_component(_file ${_src} NAME)
    if(_file STREQUAL _entry)
      set(_has_entry ON)
      set(_entry ${_src})
    else()
      list(APPEND _core_sources ${_src})
    endif()
  endforeach()
  if(NOT _has_entry)
    message(FATAL_ERROR "coach_add_plugin(${name}): SOURCES must include ${name}_plugin.cpp "
                        "(the manifest and wiring)")
  endif()
  if(NOT ARG_PROTO_ROOT)
    set(ARG_PROTO_ROOT ${CMAKE_CURRENT_SOURCE_DIR})
  endif()

  set(_gen ${CMAKE_CURRENT_BINARY_DIR}/${name}_generated)
  file(MAKE_DIRECTORY ${_gen})
  if(NOT _core_sources AND NOT ARG_PROTOS AND NOT ARG_DATA)
    file(WRITE ${_gen}/empty.cpp "// ${name} has no code besides its plugin file.\n")
    list(APPEND _core_sources ${_gen}/empty.cpp)
  endif()
  add_library(${name}_core STATIC ${_core_sources})
  set_target_properties(${name}_core PROPERTIES POSITION_INDEPENDENT_CODE ON
                        CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON
                        CXX_STANDARD 20 CXX_STANDARD_REQUIRED ON)
  target_include_directories(${name}_core PUBLIC ${CMAKE_CURRENT_SOURCE_DIR} ${_gen})
  if(TARGET coach_sdk)
    target_link_libraries(${name}_core PUBLIC coach_sdk)
    target_include_directories(${name}_core PUBLIC ${PROJECT_SOURCE_DIR}/plugins/common)
    if(COMMAND coach_target_warnings)
      coach_target_warnings(${name}_core)
    endif()
  else()
    target_link_libraries(${name}_core PUBLIC coach::sdk)
  endif()
  if(ARG_PROTOS)
    coach_target_protos(${name}_core PUBLIC PROTO_ROOT "${ARG_PROTO_ROOT}" PROTOS ${ARG_PROTOS})
  endif()
  _coach_plugin_data(${name} ${_gen} ${ARG_DATA})

  add_library(${name} MODULE ${_entry})
  set_target_properties(${name} PROPERTIES
    PREFIX "" SUFFIX ".so" OUTPUT_NAME ${name}
    CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON
    CXX_STANDARD 20 CXX_STANDARD_REQUIRED ON)
  target_link_libraries(${name} PRIVATE ${name}_core)
  if(ARG_PROTOS)
    _coach_plugin_descriptors(${name} ${_gen} "${ARG_PROTO_ROOT}" ${ARG_PROTOS})
  endif()
  if(TARGET coach_sdk)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${COACH_PLUGIN_OUTPUT_DIRECTORY})
    if(COMMAND coach_target_warnings)
      coach_target_warnings(${name})
    endif()
    install(TARGETS ${name} LIBRARY DESTINATION ${COACH_INSTALL_PLUGINDIR})
  endif()

  if(ARG_TESTS)
    if(COMMAND coach_test)  # coachd's own tree: its test helpers and daemon fixtures
      coach_test(${name}_tests ${ARG_TESTS} ${_entry})
    else()
      find_package(GTest REQUIRED)
      include(GoogleTest)
      add_executable(${name}_tests ${ARG_TESTS} ${_entry})
      target_link_libraries(${name}_tests PRIVATE GTest::gtest_main)
      gtest_discover_tests(${name}_tests DISCOVERY_TIMEOUT 60)
    endif()
    target_link_libraries(${name}_tests PRIVATE ${name}_core)
    add_dependencies(${name}_tests ${name})
  endif()
endfunction()

# The .proto files with their comments as a FileDescriptorSet compiled into the plugin.
function(_coach_plugin_descriptors name gen proto_root)
  set(_abs_protos)
  foreach(_proto IN LISTS ARGN)
    get_filename_component(_abs ${_proto} ABSOLUTE)
    list(APPEND _abs_protos ${_abs})
  endforeach()
  if(TARGET coach_sdk)
    set(_proto_import ${PROJECT_SOURCE_DIR}/proto)
  else()
    set(_proto_import ${COACH_PROTO_DIR})
  endif()
  add_custom_command(
    OUTPUT ${gen}/${name}_descriptors.cpp
    COMMAND protobuf::protoc --descriptor_set_out=${gen}/${name}.desc --include_source_info
            -I${proto_root} -I${_proto_import} ${_abs_protos}
    COMMAND ${CMAKE_COMMAND} -DIN=${gen}/${name}.desc -DOUT=${gen}/${name}_descriptors.cpp
            -P ${_COACH_PLUGIN_CMAKE_DIR}/CoachEmbedBinary.cmake
    DEPENDS ${_abs_protos} protobuf::protoc ${_COACH_PLUGIN_CMAKE_DIR}/CoachEmbedBinary.cmake
    COMMENT "descriptors of ${name}" VERBATIM)
  target_sources(${name} PRIVATE ${gen}/${name}_descriptors.cpp)
endfunction()

# DATA files compiled into <name>_core, declared in <name>_data.hpp, installed.
function(_coach_plugin_data name gen)
  if(NOT ARGN)
    return()
  endif()
  set(_decls)
  foreach(_file IN LISTS ARGN)
    get_filename_component(_base ${_file} NAME)
    string(REGEX MATCHALL "[A-Za-z0-9]+" _words "${_base}")
    set(_symbol k)
    foreach(_w IN LISTS _words)
      string(SUBSTRING ${_w} 0 1 _first)
      string(SUBSTRING ${_w} 1 -1 _rest)
      string(TOUPPER ${_first} _first)
      string(APPEND _symbol ${_first}${_rest})
    endforeach()
    coach_embed_text(${name}_core NAMESPACE coach::${name} SYMBOL ${_symbol} FILE ${_file})
    string(APPEND _decls "// ${_file}\nextern const char* const ${_symbol};\n")
    if(COMMAND coach_target_warnings)  # in coachd's tree
      install(FILES ${_file} DESTINATION ${CMAKE_INSTALL_DATADIR}/coach/${name})
    endif()
  endforeach()
  file(WRITE ${gen}/${name}_data.hpp.tmp
    "// Generated by coach_add_plugin: the plugin's DATA files, compiled in.\n#pragma once\n"
    "namespace coach::${name} {\n${_decls}}  // namespace coach::${name}\n")
  configure_file(${gen}/${name}_data.hpp.tmp ${gen}/${name}_data.hpp COPYONLY)
endfunction()

# coach_target_protos(<target> <PUBLIC|PRIVATE> PROTOS <file.proto>... [PROTO_ROOT <dir>])
#
# Generates C++ for PROTOS into <target>'s binary dir and compiles it into <target>.
function(coach_target_protos target scope)
  cmake_parse_arguments(ARG "" "PROTO_ROOT" "PROTOS" ${ARGN})
  if(NOT ARG_PROTO_ROOT)
    set(ARG_PROTO_ROOT ${CMAKE_CURRENT_SOURCE_DIR})
  endif()
  if(TARGET coach_sdk)
    set(_proto_import ${PROJECT_SOURCE_DIR}/proto)
  else()
    set(_proto_import ${COACH_PROTO_DIR})
  endif()
  set(_out ${CMAKE_CURRENT_BINARY_DIR}/${target}_proto)
  file(MAKE_DIRECTORY ${_out})
  foreach(_proto IN LISTS ARG_PROTOS)
    get_filename_component(_abs ${_proto} ABSOLUTE)
    file(RELATIVE_PATH _rel ${ARG_PROTO_ROOT} ${_abs})
    string(REGEX REPLACE "\\.proto$" "" _stem ${_rel})
    add_custom_command(
      OUTPUT ${_out}/${_stem}.pb.cc ${_out}/${_stem}.pb.h
      COMMAND protobuf::protoc --cpp_out=${_out} -I${ARG_PROTO_ROOT} -I${_proto_import} ${_abs}
      DEPENDS ${_abs} protobuf::protoc
      COMMENT "protoc ${_rel} (${target})" VERBATIM)
    target_sources(${target} PRIVATE ${_out}/${_stem}.pb.cc)
  endforeach()
  target_include_directories(${target} ${scope} ${_out})
endfunction()

# coach_embed_text(<target> NAMESPACE <ns> SYMBOL <name> FILE <path>)
#
# Compiles the text of FILE into <target> as `const char* const <ns>::<name>`.
function(coach_embed_text target)
  cmake_parse_arguments(ARG "" "NAMESPACE;SYMBOL;FILE" "" ${ARGN})
  get_filename_component(_abs ${ARG_FILE} ABSOLUTE)
  file(READ ${_abs} _text)
  string(FIND "${_text}" ")coach_text\"" _clash)
  if(NOT _clash EQUAL -1)
    message(FATAL_ERROR "coach_embed_text: ${ARG_FILE} contains the raw-string delimiter")
  endif()
  set(_out ${CMAKE_CURRENT_BINARY_DIR}/${target}_${ARG_SYMBOL}.cpp)
  file(WRITE ${_out}.tmp
    "// Generated from ${ARG_FILE} by coach_embed_text.\n"
    "namespace ${ARG_NAMESPACE} {\n"
    "extern const char* const ${ARG_SYMBOL};\n"
    "const char* const ${ARG_SYMBOL} = R\"coach_text(${_text})coach_text\";\n"
    "}  // namespace ${ARG_NAMESPACE}\n")
  configure_file(${_out}.tmp ${_out} COPYONLY)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_abs})
  target_sources(${target} PRIVATE ${_out})
endfunction()
