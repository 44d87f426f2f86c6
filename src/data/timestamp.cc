#include "data/timestamp.h"

#include <charconv>

#include <fmt/format.h>

namespace mfrec {
namespace {

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = unsigned(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + int64_t(doe) - 719468;
}

unsigned days_in_month(int64_t y, unsigned m) {
  static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : days[m - 1];
}

// Exactly `n` digits at s[at...], advancing `at`.
bool digits(std::string_view s, size_t& at, size_t n, unsigned& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (size_t k = 0; k < n; ++k) {
    const char c = s[at + k];
    if (c < '0' || c > '9') return false;
    out = out * 10 + unsigned(c - '0');
  }
  at += n;
  return true;
}

}  // namespace

bool parse_timestamp_other(std::string_view s, int64_t& out, std::string& why) {
  if (auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out); ec == std::errc() && end == s.data() + s.size())
    return true;
  const char* const form = "not Unix seconds nor an ISO 8601 date (YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM])";
  unsigned year, month, day, hour = 0, minute = 0, second = 0;
  size_t at = 0;
  if (!digits(s, at, 4, year) || at >= s.size() || s[at++] != '-' || !digits(s, at, 2, month) || at >= s.size() ||
      s[at++] != '-' || !digits(s, at, 2, day)) {
    why = form;
    return false;
  }
  if (month < 1 || month > 12) return why = fmt::format("month {} does not exist", month), false;
  if (day < 1 || day > days_in_month(year, month))
    return why = fmt::format("day {} does not exist in {}-{:02}", day, year, month), false;
  int64_t offset = 0;  // seconds east of UTC
  if (at < s.size()) {
    if (s[at] != 'T' && s[at] != ' ') return why = form, false;
    ++at;
    if (!digits(s, at, 2, hour) || at >= s.size() || s[at++] != ':' || !digits(s, at, 2, minute)) return why = form, false;
    if (at < s.size() && s[at] == ':') {
      ++at;
      if (!digits(s, at, 2, second)) return why = form, false;
      if (at < s.size() && (s[at] == '.' || s[at] == ',')) {  // a fraction of a second: dropped
        ++at;
        const size_t first = at;
        while (at < s.size() && s[at] >= '0' && s[at] <= '9') ++at;
        if (at == first) return why = form, false;
      }
    }
    if (hour > 23 || minute > 59 || second > 59)
      return why = fmt::format("the time {:02}:{:02}:{:02} does not exist", hour, minute, second), false;
    if (at < s.size() && (s[at] == 'Z' || s[at] == 'z')) {
      ++at;
    } else if (at < s.size() && (s[at] == '+' || s[at] == '-')) {
      const int sign = s[at++] == '-' ? -1 : 1;
      unsigned oh, om = 0;
      if (!digits(s, at, 2, oh)) return why = form, false;
      if (at < s.size() && s[at] == ':') ++at;
      if (at < s.size() && !digits(s, at, 2, om)) return why = form, false;
      if (oh > 23 || om > 59) return why = "the UTC offset is out of range", false;
      offset = sign * int64_t(oh * 3600 + om * 60);
    }
    if (at != s.size()) return why = form, false;
  }
  out = days_from_civil(year, month, day) * 86400 + int64_t(hour) * 3600 + minute * 60 + second - offset;
  return true;
}

}  // namespace mfrec
