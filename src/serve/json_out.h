#pragma once
// Writing JSON by hand on the hot paths (a recommendation list is a few string appends this way).
// Strings come out as valid UTF-8 whatever the bytes (ids, titles, a query's %FF): each invalid byte
// becomes U+FFFD, as nlohmann's dump with error_handler_t::replace does elsewhere.
#include <iterator>
#include <string_view>

#include <fmt/format.h>

#include "common/utf8.h"

namespace mfrec::serve {

inline void append_json_string(fmt::memory_buffer& out, std::string_view s) {
  out.push_back('"');
  const auto* bytes = reinterpret_cast<const unsigned char*>(s.data());
  for (size_t at = 0; at < s.size(); ++at) {
    const char c = s[at];
    if (static_cast<unsigned char>(c) >= 0x80) {
      const size_t n = utf8_sequence(bytes + at, s.size() - at);
      if (n == 0) {
        out.append(std::string_view(kReplacementChar));
      } else {
        out.append(s.substr(at, n));
        at += n - 1;
      }
      continue;
    }
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
