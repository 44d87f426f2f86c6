#pragma once
// Writing JSON by hand on the hot paths (a recommendation list is a few string appends this way).
#include <iterator>
#include <string_view>

#include <fmt/format.h>

namespace mfrec::serve {

inline void append_json_string(fmt::memory_buffer& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    switch (c) {
      case '"': out.append(std::string_view("\\\"")); break;
      case '\\': out.append(std::string_view("\\\\")); break;
      case '\n': out.append(std::string_view("\\n")); break;
      case '\r': out.append(std::string_view("\\r")); break;
      case '\t': out.append(std::string_view("\\t")); break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) fmt::format_to(std::back_inserter(out), "\\u{:04x}", int(c));
        else out.push_back(c);
    }
  }
  out.push_back('"');
}

inline std::string json_string(std::string_view s) {
  fmt::memory_buffer b;
  append_json_string(b, s);
  return fmt::to_string(b);
}

// A finite float as a JSON number (NaN and infinities, which JSON lacks, as null).
inline void append_json_number(fmt::memory_buffer& out, float x) {
  if (x == x && x - x == 0) fmt::format_to(std::back_inserter(out), "{:.4f}", x);
  else out.append(std::string_view("null"));
}

}  // namespace mfrec::serve
