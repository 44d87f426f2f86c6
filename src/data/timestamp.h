#pragma once
// The reader's timestamp column: Unix seconds, or ISO 8601 dates and date-times.
#include <cstdint>
#include <string>
#include <string_view>

namespace mfrec {

// Parses `text` into Unix seconds: an integer ("1046454590"), a date ("2003-01-31", midnight UTC)
// or a date-time ("2003-01-31T12:00:00Z", "2003-01-31 12:00", "2003-01-31T12:00:00.5+01:00";
// seconds and fractions optional, no offset: UTC). On failure returns false and says why in `why`.
bool parse_timestamp(std::string_view text, int64_t& out, std::string& why);

}  // namespace mfrec
