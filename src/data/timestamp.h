#pragma once
// The reader's timestamp column: Unix seconds, or ISO 8601 dates and date-times.
#include <cstdint>
#include <string>
#include <string_view>

namespace mfrec {

// Parses `text` into Unix seconds: an integer ("1046454590"), a date ("2003-01-31", midnight UTC)
// or a date-time ("2003-01-31T12:00:00Z", "2003-01-31 12:00", "2003-01-31T12:00:00.5+01:00";
// seconds and fractions optional, no offset: UTC). On failure returns false and says why in `why`.
// Plain Unix seconds, nearly every line of a ratings file, are read inline here.
bool parse_timestamp_other(std::string_view text, int64_t& out, std::string& why);
inline bool parse_timestamp(std::string_view text, int64_t& out, std::string& why) {
  if (!text.empty() && text.size() <= 18) {  // 18 digits cannot overflow
    int64_t v = 0;
    size_t k = 0;
    while (k < text.size() && text[k] >= '0' && text[k] <= '9') v = v * 10 + (text[k++] - '0');
    if (k == text.size()) return out = v, true;
  }
  return parse_timestamp_other(text, out, why);
}

}  // namespace mfrec
