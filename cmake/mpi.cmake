# Optional distributed training on MPI (src/dist/, the program mfrec-mpi that `mfrec train
# --distributed` runs under mpirun).
#   MFREC_MPI=AUTO  on where MPI is found (Debian: libopenmpi-dev, openmpi-bin)
#   MFREC_MPI=ON    the same, but a missing MPI is an error
#   MFREC_MPI=OFF   never
# Only mfrec-mpi links MPI: mfrec itself starts without it and runs mfrec-mpi when asked.
set(MFREC_HAVE_MPI OFF)
string(TOUPPER "${MFREC_MPI}" _mfrec_mpi)
if(NOT _mfrec_mpi MATCHES "^(OFF|NO|FALSE|N|0)$")
  # The C interface, from C++ (the C++ bindings are deprecated and not needed).
  set(MPI_CXX_SKIP_MPICXX ON)
  find_package(MPI COMPONENTS CXX QUIET)
  if(MPI_CXX_FOUND)
    set(MFREC_HAVE_MPI ON)
    message(STATUS "MPI: ${MPI_CXX_LIBRARY_VERSION_STRING} (mfrec-mpi is built)")
  elseif(_mfrec_mpi MATCHES "^(ON|YES|TRUE|Y|1)$")
    message(FATAL_ERROR "MFREC_MPI=ON but no MPI was found: apt-get install libopenmpi-dev openmpi-bin")
  else()
    message(STATUS "MPI: not found, mfrec-mpi is not built (apt-get install libopenmpi-dev openmpi-bin)")
  endif()
endif()

if(MFREC_HAVE_MPI)
  file(GLOB MFREC_DIST_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/dist/*.cc)
  add_library(mfrec_dist STATIC ${MFREC_DIST_SOURCES})
  target_include_directories(mfrec_dist PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_compile_options(mfrec_dist PRIVATE ${MFREC_WARNINGS} $<$<CONFIG:Release>:${MFREC_OPT}>)
  target_link_libraries(mfrec_dist PUBLIC mfrec MPI::MPI_CXX)
  add_executable(mfrec_mpi_cli src/cli/mpi_main/main.cc)
  set_target_properties(mfrec_mpi_cli PROPERTIES OUTPUT_NAME mfrec-mpi)
  target_compile_options(mfrec_mpi_cli PRIVATE ${MFREC_WARNINGS} $<$<CONFIG:Release>:${MFREC_OPT}>)
  target_link_libraries(mfrec_mpi_cli PRIVATE mfrec_cli_common mfrec_dist)
  add_dependencies(mfrec_cli mfrec_mpi_cli)
endif()
