# Precompiled headers: the headers nearly every file of a target includes are parsed once per target
# instead of once per file (CLI11 alone takes about 10 s a file, gtest, fmt and nlohmann-json 1-3 s
# each: half of a typical file's compile time). MFREC_PCH=OFF compiles without them, e.g. to check
# that every file includes what it uses.
option(MFREC_PCH "Precompile the headers most files include" ON)
set(MFREC_PCH_COMMON <algorithm> <cmath> <cstdint> <cstring> <filesystem> <functional> <memory>
    <optional> <string> <string_view> <vector> <fmt/format.h> <nlohmann/json.hpp>)

# g++ 12's false positives in std::string's inlined copies (as -Wno-restrict's, CMakeLists.txt) are no
# longer kept quiet as system-header warnings once those headers come precompiled. Out-of-bounds
# accesses are the sanitizer build's to find (scripts/sanitize.sh).
function(_mfrec_pch_warnings target)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-stringop-overflow -Wno-array-bounds)
  endif()
endfunction()

# mfrec_pch(target header...): the common headers and these, precompiled for target's C++ files.
function(mfrec_pch target)
  if(MFREC_PCH)
    target_precompile_headers(${target} PRIVATE ${MFREC_PCH_COMMON} ${ARGN})
    _mfrec_pch_warnings(${target})
  endif()
endfunction()

# mfrec_reuse_pch(target from): target compiles with from's precompiled headers. The compiler uses
# them only where the two agree on the options and the macros from's had defined (g++ says so with
# -Winvalid-pch); target may define more.
function(mfrec_reuse_pch target from)
  if(MFREC_PCH)
    target_precompile_headers(${target} REUSE_FROM ${from})
    _mfrec_pch_warnings(${target})
  endif()
endfunction()
