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
