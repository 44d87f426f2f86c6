#include "common/isa.h"

namespace mfrec {

std::string isa_summary() {
#if defined(MFREC_PORTABLE)
  std::string s = "portable build (x86-64-v2";
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
  s += ", run-time ";
  s += __builtin_cpu_supports("x86-64-v4") ? "x86-64-v4" : __builtin_cpu_supports("x86-64-v3") ? "x86-64-v3" : "baseline";
  s += " loops";
#endif
  return s + ")";
#else
  return "native build (-march of the build machine)";
#endif
}

}  // namespace mfrec
