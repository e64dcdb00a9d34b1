# coach_test(<name> <source>...): a GoogleTest program of coachd's tree, with the test support
# headers and the paths of the daemon, coachctl, plugins and fixtures it may start. Defined before
# plugins/ is read, so each plugin declares its own tests (coach_add_plugin TESTS).
include(GoogleTest)
set(COACH_FIXTURE_DIR ${PROJECT_BINARY_DIR}/tests/fixtures/lib)
set(COACH_TEST_DEFINITIONS
  COACH_FIXTURE_DIR="${COACH_FIXTURE_DIR}"
  COACH_PLUGIN_DIR="${COACH_PLUGIN_OUTPUT_DIRECTORY}"
  COACH_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
  COACHD_BIN="$<TARGET_FILE:coachd>"
  COACHCTL_BIN="$<TARGET_FILE:coachctl>")

function(coach_test name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE coach_core GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests/support)
  target_compile_definitions(${name} PRIVATE ${COACH_TEST_DEFINITIONS})
  add_dependencies(${name} coach_test_fixtures coachd coachctl)
  coach_target_warnings(${name})
  if(NOT COACH_TEST_CUSTOM_DISCOVERY)
    gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 120)
  endif()
endfunction()
