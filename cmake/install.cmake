# Installation: libmfrec.a and libmfrec_serve.a, the headers of include/mfrec/, the programs mfrec and
# mfrec-serve (side by side: `mfrec serve` runs the mfrec-serve beside it), and for consumers
#   find_package(mfrec CONFIG REQUIRED)  ->  mfrec::mfrec, mfrec::serve (mfrec::Server, include/mfrec/serve.h)
#   pkg-config mfrec / mfrec-serve
include(CMakePackageConfigHelpers)

set(MFREC_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/mfrec CACHE STRING
    "Where mfrecConfig.cmake is installed, under the prefix")
set(MFREC_INSTALL_PKGCONFIGDIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

set_target_properties(mfrec PROPERTIES EXPORT_NAME mfrec)
set_target_properties(mfrec_serve PROPERTIES EXPORT_NAME serve)

install(TARGETS mfrec EXPORT mfrecTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT Development)
# The serve library in an export set of its own: only a consumer that asks for it needs cpp-httplib.
install(TARGETS mfrec_serve EXPORT mfrecServeTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT Development)
install(DIRECTORY include/mfrec DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT Development
        FILES_MATCHING PATTERN "*.h")
install(TARGETS mfrec_cli mfrec_serve_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT Runtime)
if(MFREC_HAVE_MPI)  # beside mfrec: `mfrec train --distributed` runs it
  install(TARGETS mfrec_mpi_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT Runtime)
endif()

install(EXPORT mfrecTargets NAMESPACE mfrec:: DESTINATION ${MFREC_INSTALL_CMAKEDIR}
        FILE mfrecTargets.cmake COMPONENT Development)
install(EXPORT mfrecServeTargets NAMESPACE mfrec:: DESTINATION ${MFREC_INSTALL_CMAKEDIR}
        FILE mfrecServeTargets.cmake COMPONENT Development)

configure_package_config_file(cmake/mfrecConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/mfrecConfig.cmake
                              INSTALL_DESTINATION ${MFREC_INSTALL_CMAKEDIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/mfrecConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/mfrecConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/mfrecConfigVersion.cmake
        DESTINATION ${MFREC_INSTALL_CMAKEDIR} COMPONENT Development)

# pkg-config files that find the prefix from their own place (${pcfiledir}), so that
# `cmake --install --prefix P` may choose any P.
file(RELATIVE_PATH MFREC_PC_TO_PREFIX "/prefix/${MFREC_INSTALL_PKGCONFIGDIR}" "/prefix")
string(REGEX REPLACE "/$" "" MFREC_PC_TO_PREFIX "${MFREC_PC_TO_PREFIX}")
set(MFREC_PC_LIBS "-fopenmp -pthread")
if(MFREC_HAVE_CUDA)
  # The static CUDA runtime (and what it needs) from the toolkit's library folder.
  set(MFREC_PC_LIBS "${MFREC_PC_LIBS} -L${CUDAToolkit_LIBRARY_DIR} -lcudart_static -ldl -lrt")
endif()
configure_file(cmake/mfrec.pc.in ${CMAKE_CURRENT_BINARY_DIR}/mfrec.pc @ONLY)
configure_file(cmake/mfrec-serve.pc.in ${CMAKE_CURRENT_BINARY_DIR}/mfrec-serve.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/mfrec.pc ${CMAKE_CURRENT_BINARY_DIR}/mfrec-serve.pc
        DESTINATION ${MFREC_INSTALL_PKGCONFIGDIR} COMPONENT Development)
