# Optional CUDA backend (src/cuda/*.cu, `mfrec train --device cuda`).
#   MFREC_CUDA=AUTO  on where a working nvcc is found (PATH, $CUDACXX, $CUDA_PATH, /usr/local/cuda)
#   MFREC_CUDA=ON    the same, but a missing nvcc is an error
#   MFREC_CUDA=OFF   never
# The binary built with CUDA still runs without a GPU: `--device cuda` then says why and exits 1.
# The kernels are compiled into an object library of their own (their flags are nvcc's, not g++'s) whose
# objects go into libmfrec.a; executables link with g++ and the static CUDA runtime.
set(MFREC_HAVE_CUDA OFF)
set(MFREC_CUDA_ARCHITECTURES "90-real;90-virtual" CACHE STRING
    "CUDA targets: Hopper (sm_90) machine code plus compute_90 PTX that newer GPUs JIT-compile")
string(TOUPPER "${MFREC_CUDA}" _mfrec_cuda)
file(GLOB MFREC_CUDA_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/cuda/*.cu)

if(NOT _mfrec_cuda MATCHES "^(OFF|NO|FALSE|N|0)$" AND MFREC_CUDA_SOURCES)
  if(NOT DEFINED CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX})
    find_program(MFREC_NVCC nvcc HINTS ENV CUDA_PATH ENV CUDA_HOME PATH_SUFFIXES bin
                 PATHS /usr/local/cuda/bin /usr/local/cuda)
    if(MFREC_NVCC)
      set(ENV{CUDACXX} "${MFREC_NVCC}")
    endif()
  endif()
  # nvcc compiles host code with the C++ compiler of the rest of the project (g++ 12 here).
  if(NOT DEFINED CMAKE_CUDA_HOST_COMPILER AND NOT DEFINED ENV{CUDAHOSTCXX})
    set(ENV{CUDAHOSTCXX} "${CMAKE_CXX_COMPILER}")
    set(CMAKE_CUDA_HOST_COMPILER "${CMAKE_CXX_COMPILER}" CACHE FILEPATH "host compiler of nvcc")
  endif()
  include(CheckLanguage)
  check_language(CUDA)  # builds a trial project: a broken toolkit turns AUTO off instead of failing
  if(CMAKE_CUDA_COMPILER)
    set(MFREC_HAVE_CUDA ON)
  elseif(_mfrec_cuda MATCHES "^(ON|YES|TRUE|Y|1)$")
    message(FATAL_ERROR "MFREC_CUDA=ON but no working CUDA compiler (nvcc) was found; set CUDACXX or "
                        "CMAKE_CUDA_COMPILER, or configure with -DMFREC_CUDA=OFF")
  endif()
elseif(_mfrec_cuda MATCHES "^(ON|YES|TRUE|Y|1)$")
  message(FATAL_ERROR "MFREC_CUDA=ON but there are no CUDA sources in src/cuda/")
endif()

if(MFREC_HAVE_CUDA)
  enable_language(CUDA)
  find_package(CUDAToolkit REQUIRED)
  # CMake 3.25 knows nvcc's flags up to C++17 only; nvcc 12+ takes -std=c++20 with g++ >= 10.
  if(NOT DEFINED CMAKE_CUDA20_STANDARD_COMPILE_OPTION)
    set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
    set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
  endif()
  add_library(mfrec_cuda OBJECT ${MFREC_CUDA_SOURCES})
  set_target_properties(mfrec_cuda PROPERTIES
    CUDA_STANDARD 20 CUDA_STANDARD_REQUIRED ON CUDA_EXTENSIONS OFF
    CUDA_ARCHITECTURES "${MFREC_CUDA_ARCHITECTURES}"
    CUDA_SEPARABLE_COMPILATION OFF
    CUDA_RUNTIME_LIBRARY Static)
  target_include_directories(mfrec_cuda PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/include ${CMAKE_CURRENT_SOURCE_DIR}/src)
  # No --use_fast_math: Adam's sqrt and division stay IEEE, as on the CPU. -lineinfo costs nothing at
  # run time and lets ncu / compute-sanitizer point at source lines.
  target_compile_options(mfrec_cuda PRIVATE
    $<$<CONFIG:Release>:-O3> -lineinfo
    -Xcompiler=-Wall,-Wextra,-Wno-unused-parameter)
  target_sources(mfrec PRIVATE $<TARGET_OBJECTS:mfrec_cuda>)
  # mfrec (created before CUDA was enabled) now carries CUDA objects: CMake wants its targets named too.
  set_target_properties(mfrec PROPERTIES CUDA_ARCHITECTURES "${MFREC_CUDA_ARCHITECTURES}")
  target_compile_definitions(mfrec PUBLIC MFREC_HAVE_CUDA=1)
  target_link_libraries(mfrec PUBLIC CUDA::cudart_static)
  message(STATUS "mfrec: CUDA backend ON (${CMAKE_CUDA_COMPILER} ${CMAKE_CUDA_COMPILER_VERSION}, "
                 "targets ${MFREC_CUDA_ARCHITECTURES})")
else()
  message(STATUS "mfrec: CUDA backend OFF")
endif()
