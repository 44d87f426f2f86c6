# The sanitizer build (scripts/sanitize.sh, scripts/fuzz.sh; never the default one).
# MFREC_SANITIZE (e.g. address,undefined): every target is compiled and linked with these sanitizers,
# with frame pointers and line tables (whole stack traces with file:line; full debug info made the
# build twice as slow and each test program 80 MB), stopping at the first error. The libraries are
# built at -O1, the tests' own code at -O0 (tests/CMakeLists.txt): only the library's loops are hot.
# MFREC_FUZZ adds libFuzzer's coverage instrumentation to the libraries, so that the harnesses in
# fuzz/ link the very libraries the tests run on: one instrumented build serves both.
if(MFREC_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "MFREC_FUZZ=ON needs clang (libFuzzer): CC=clang-14 CXX=clang++-14 cmake ... -DMFREC_FUZZ=ON")
  endif()
  if(NOT MFREC_SANITIZE)
    set(MFREC_SANITIZE address,undefined)
  endif()
endif()
if(MFREC_SANITIZE)
  set(MFREC_OPT -O1 -fno-math-errno)  # in place of -O3 -march=native
  add_compile_options(-fsanitize=${MFREC_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer -O1
                      -gline-tables-only)
  add_link_options(-fsanitize=${MFREC_SANITIZE})
  if(MFREC_FUZZ)
    add_compile_options(-fsanitize=fuzzer-no-link)
  endif()
  # clang 14 converts half floats (fp16 factor tables) with the F16C instructions, not libcalls; the
  # g++ warning names in the flags and in a few pragmas are not its own.
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    add_compile_options(-mf16c -Wno-unknown-warning-option)
  endif()
endif()
