#pragma once
// "1 rating", "2 ratings": counts in messages read as English.
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace mfrec::cli {

inline std::string count_of(size_t n, std::string_view noun, std::string_view plural = {}) {
  if (n == 1) return fmt::format("1 {}", noun);
  return plural.empty() ? fmt::format("{} {}s", n, noun) : fmt::format("{} {}", n, plural);
}

}  // namespace mfrec::cli
