# Warnings and sanitizers as small per-target functions: our targets get them,
# generated protobuf code and third-party headers do not.
option(COACH_WARNINGS_AS_ERRORS "Treat warnings in coachd's own code as errors" OFF)
set(COACH_SANITIZE "" CACHE STRING "Sanitizers for every target, e.g. address;undefined")

if(COACH_SANITIZE)
  list(JOIN COACH_SANITIZE "," _coach_san)
  add_compile_options(-fsanitize=${_coach_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_coach_san})
endif()

function(coach_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                           -Wno-sign-conversion -Wnon-virtual-dtor)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # GCC 12 reports -Wrestrict inside libstdc++'s std::string at -O3 (GCC bug 105329).
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(COACH_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
