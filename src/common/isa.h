#pragma once
// Which vector instructions the loops use. A native build (MFREC_NATIVE=ON, -march=native) uses the
// build machine's. A portable one (MFREC_NATIVE=OFF) is compiled for x86-64-v2 and picks the rest at
// run time: MFREC_MULTIVERSION functions are compiled for x86-64-v4 (AVX-512), x86-64-v3 (AVX2) and
// the baseline, and the loader calls the best the CPU has (g++'s function multi-versioning). It has to
// sit on the function an OpenMP region calls, not on one holding the region: the region's body is
// compiled apart and would stay at the baseline. Eigen picks its vector width when compiled, so its
// products run at the baseline in a portable build.
#include <string>

#if defined(MFREC_PORTABLE) && defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define MFREC_MULTIVERSION __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define MFREC_MULTIVERSION  // clang 14 cannot clone templates; a native build needs no clones
#endif

// Hand-written AVX2 kernels carry their target themselves, so that every x86-64 build has them and
// chooses them at run time (cpu_has_avx2()).
#if defined(__x86_64__) && defined(__GNUC__)
#define MFREC_HAS_AVX2_KERNELS 1
#define MFREC_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))
#endif

namespace mfrec {

// AVX2, FMA and F16C are there: known when compiled for them, else asked once (inline, since the
// fp16 loads ask for every row).
inline bool cpu_has_avx2() {
#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
  return true;
#elif defined(MFREC_HAS_AVX2_KERNELS)
  static const bool has = [] {
    __builtin_cpu_init();  // may run before the library's constructor that sets up the answers
    // F16C came before AVX2 on Intel and AMD alike (and clang 14 cannot ask for it here).
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return has;
#else
  return false;
#endif
}

// For `mfrec --version`: how this build was compiled and what it uses on this CPU.
std::string isa_summary();

}  // namespace mfrec
