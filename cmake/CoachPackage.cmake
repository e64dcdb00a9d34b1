# Installs the SDK as a CMake package: find_package(coach) then coach_add_plugin(...).
include(CMakePackageConfigHelpers)
set(COACH_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/coach)
install(EXPORT coachTargets NAMESPACE coach:: DESTINATION ${COACH_INSTALL_CMAKEDIR})
configure_package_config_file(cmake/coachConfig.cmake.in ${PROJECT_BINARY_DIR}/coachConfig.cmake
                              INSTALL_DESTINATION ${COACH_INSTALL_CMAKEDIR}
                              PATH_VARS CMAKE_INSTALL_DATADIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/coachConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/coachConfig.cmake ${PROJECT_BINARY_DIR}/coachConfigVersion.cmake
              cmake/CoachPlugin.cmake cmake/CoachEmbedBinary.cmake
        DESTINATION ${COACH_INSTALL_CMAKEDIR})
