# coach_add_plugin(<name> SOURCES <file>... [PROTOS <file.proto>...] [PROTO_ROOT <dir>])
#
# Builds plugin <name> as <name>.so, loadable by coachd. PROTOS are compiled into the plugin
# itself (each plugin owns its messages; the core's live in coach::proto, linked, never compiled
# twice). Only the plugin's entry points are exported (hidden visibility).
# Works in coachd's own tree and against an installed SDK (find_package(coach)).
include_guard(GLOBAL)

function(coach_add_plugin name)
  cmake_parse_arguments(ARG "" "PROTO_ROOT" "SOURCES;PROTOS" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "coach_add_plugin(${name}): SOURCES is required")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES
    PREFIX "" SUFFIX ".so" OUTPUT_NAME ${name}
    CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON
    CXX_STANDARD 20 CXX_STANDARD_REQUIRED ON)
  if(TARGET coach_sdk)
    target_link_libraries(${name} PRIVATE coach_sdk)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${COACH_PLUGIN_OUTPUT_DIRECTORY})
    if(COMMAND coach_target_warnings)
      coach_target_warnings(${name})
    endif()
    install(TARGETS ${name} LIBRARY DESTINATION ${COACH_INSTALL_PLUGINDIR})
  else()
    target_link_libraries(${name} PRIVATE coach::sdk)
  endif()
  if(ARG_PROTOS)
    coach_target_protos(${name} PRIVATE PROTO_ROOT "${ARG_PROTO_ROOT}" PROTOS ${ARG_PROTOS})
  endif()
endfunction()

# coach_target_protos(<target> <PUBLIC|PRIVATE> PROTOS <file.proto>... [PROTO_ROOT <dir>])
#
# Generates C++ for PROTOS into <target>'s binary dir and compiles it into <target>. A plugin whose
# messages are also needed by its tests puts them in a static library with this, and links that.
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
# Compiles the text of FILE into <target> as `const char* const <ns>::<name>`, e.g. a plugin's
# built-in data file (declare it `extern const char* const <name>;` in that namespace).
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

# coach_plugin_library(<name> SOURCES <file>... PROTOS <file.proto>... [PROTO_ROOT <dir>])
#
# A static library with a plugin's model code and generated messages, linked into the plugin and
# into its tests (the messages must not be compiled twice into one process; tests run apart from
# coachd, so linking them there is safe).
function(coach_plugin_library name)
  cmake_parse_arguments(ARG "" "PROTO_ROOT" "SOURCES;PROTOS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON
                        CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  if(TARGET coach_sdk)
    target_link_libraries(${name} PUBLIC coach_sdk)
  else()
    target_link_libraries(${name} PUBLIC coach::sdk)
  endif()
  target_include_directories(${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  if(EXISTS ${PROJECT_SOURCE_DIR}/plugins/common)
    target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/plugins/common)
  endif()
  coach_target_protos(${name} PUBLIC PROTOS ${ARG_PROTOS} PROTO_ROOT "${ARG_PROTO_ROOT}")
  if(COMMAND coach_target_warnings)
    coach_target_warnings(${name})
  endif()
endfunction()
