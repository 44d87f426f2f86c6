#include "common/where.h"

#include <fmt/format.h>

namespace mfrec {

std::string where(const std::string& file, size_t line, const std::string& what) {
  return line ? fmt::format("{}:{}: {}", file, line, what) : fmt::format("{}: {}", file, what);
}

}  // namespace mfrec
