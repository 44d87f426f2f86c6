#pragma once
// JSON at the boundary. Parsing what comes from outside (a --config file, a model header, a request
// body) bounds nesting: the library parses any depth, but dumping or copying a value recurses once
// per level, so 100,000 nested arrays would overflow the stack later, far from the input. Writing
// never fails on invalid UTF-8 (an id or a title is any bytes): each bad byte becomes U+FFFD.
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mfrec {

inline constexpr int kMaxJsonDepth = 64;

// The error says what is wrong and at which byte, without the library's own text; callers add the
// file or request it came from.
struct JsonError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

nlohmann::json parse_json(std::string_view text, int max_depth = kMaxJsonDepth);  // throws JsonError

// The text of `value` (indent < 0: one line), invalid UTF-8 replaced by U+FFFD.
std::string json_text(const nlohmann::json& value, int indent = -1);

}  // namespace mfrec
