#include "data/line_parser.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <fmt/format.h>

#include "common/huge_pages.h"
#include "common/where.h"
#include "data/timestamp.h"
#include "mfrec/error.h"

namespace mfrec {
namespace {

constexpr size_t kMaxFields = 32;

bool is_blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t'; });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

size_t split(std::string_view line, std::string_view sep, std::string_view* out) {
  size_t n = 0;
  while (n < kMaxFields) {
    size_t at = sep.size() == 1 ? line.find(sep[0]) : line.find(sep);
    if (at == std::string_view::npos) {
      out[n++] = line;
      return n;
    }
    out[n++] = line.substr(0, at);
    line.remove_prefix(at + sep.size());
  }
  return n + 1;  // more than we keep: reported as too many fields
}

// Ratings are nearly always "4" or "3.5": read those directly, the rest with from_chars.
bool parse_rating(std::string_view f, float& out) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (f.size() == 1 && digit(f[0])) {
    out = float(f[0] - '0');
    return true;
  }
  if (f.size() == 3 && digit(f[0]) && f[1] == '.' && digit(f[2])) {
    out = float((f[0] - '0') * 10 + (f[2] - '0')) / 10.0f;  // correctly rounded, as from_chars
    return true;
  }
  if (!f.empty() && f[0] == '+') f.remove_prefix(1);
  auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), out);
  return ec == std::errc() && end == f.data() + f.size();
}

std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 60)) {
    if (c >= 0x20 && c < 0x7f) out += char(c);
    else out += fmt::format("\\x{:02x}", c);
  }
  return s.size() > 60 ? out + "..." : out;
}

std::string sep_name(std::string_view sep) {
  if (sep == "\t") return "tab";
  if (sep == " ") return "space";
  return "'" + std::string(sep) + "'";
}

// Bytes no text line holds (tab is a separator, not a control byte here).
bool has_control_bytes(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; });
}


}  // namespace

LineParser::LineParser(const std::string& name, const Layout& layout, IdMap& users, IdMap& items)
    : name_(name), layout_(layout), users_(users), items_(items), header_pending_(layout.header) {
  for (size_t k = 0; k < layout.columns.size(); ++k) {
    switch (layout.columns[k]) {
      case Column::user: cu_ = int(k); break;
      case Column::item: ci_ = int(k); break;
      case Column::rating: cr_ = int(k); break;
      case Column::timestamp: ct_ = int(k); break;
      case Column::skip: break;
    }
  }
  if (cu_ < 0 || ci_ < 0 || layout.columns.size() > kMaxFields)
    throw UsageError("the format must name a user and an item column");
  if (layout.sep.empty()) throw UsageError("the field separator is empty");
  sep_len_ = layout.sep.size() <= 2 && layout.sep.find_first_of("\r\n") == std::string::npos ? layout.sep.size() : 0;
}

void LineParser::reserve(size_t n) {
  out_.reserve(n);
  if (ct_ >= 0 && layout_.keep_time) out_.time.reserve(n);
  // The columns are written once, front to back: a page fault per 2 MiB instead of per 4 KiB.
  advise_huge_pages(out_.user.data(), n * 4), advise_huge_pages(out_.item.data(), n * 4);
  advise_huge_pages(out_.value.data(), n * 4), advise_huge_pages(out_.time.data(), out_.time.capacity() * 8);
}

void LineParser::start_after(size_t lines_before) {
  line_no_ = lines_before;
  header_pending_ = false;
  file_start_ = false;
}

void LineParser::feed(std::string_view text) {
  if (file_start_ && line_no_ == 0 && text.size() >= 3 && std::memcmp(text.data(), "\xEF\xBB\xBF", 3) == 0)
    text.remove_prefix(3);
  const char* p = text.data();
  const char* const end = p + text.size();
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', size_t(end - p)));
    const char* e = nl ? nl : end;
    if (!quick(p, e, end)) line(std::string_view(p, size_t(e - p)));
    p = nl ? nl + 1 : end;
  }
}

// The common line in one pass: fields split on a separator of one or two bytes, no control bytes,
// plain numbers. Anything else (a header, a blank line, an error) is left to line(), which then
// reads the line afresh; so nothing is changed here before the line is known to be good.
bool LineParser::quick(const char* b, const char* e, const char* text_end) {
  if (header_pending_ || sep_len_ == 0) return false;
  if (e > b && e[-1] == '\r') --e;
  struct Field { const char* p; size_t n; };
  Field f[kMaxFields];
  size_t n = 0;
  const char* start = b;
  const char s0 = layout_.sep[0], s1 = sep_len_ == 2 ? layout_.sep[1] : 0;
  auto cut = [&](const char* at) {  // a separator at `at`, unless inside the one before
    if (at < start || (sep_len_ == 2 && (at + 1 >= e || at[1] != s1))) return true;
    if (n + 1 >= kMaxFields) return false;
    f[n++] = {start, size_t(at - start)};
    start = at + sep_len_;
    return true;
  };
#ifdef __SSE2__
  // 16 bytes at a time: a mask of the separator's first byte and one of control bytes.
  const __m128i sep = _mm_set1_epi8(s0), low = _mm_set1_epi8(0x1f), tab = _mm_set1_epi8('\t'), del = _mm_set1_epi8(0x7f);
  for (const char* q = b; q < e; q += 16) {
    __m128i v;
    if (text_end - q >= 16) {
      v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
    } else {
      alignas(16) char tail[16] = {};
      std::memcpy(tail, q, size_t(text_end - q));
      v = _mm_load_si128(reinterpret_cast<const __m128i*>(tail));
    }
    const unsigned valid = e - q >= 16 ? 0xffffu : (1u << (e - q)) - 1;
    const unsigned control = unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(v, low), v)) &
                                      ~_mm_movemask_epi8(_mm_cmpeq_epi8(v, tab))) |
                             unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(v, del)));
    if (control & valid) return false;
    for (unsigned m = unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(v, sep))) & valid; m; m &= m - 1)
      if (!cut(q + __builtin_ctz(m))) return false;
  }
#else
  (void)text_end;
  for (const char* q = b; q < e; ++q) {
    const unsigned char c = static_cast<unsigned char>(*q);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
    if (*q == s0 && !cut(q)) return false;
  }
#endif
  f[n++] = {start, size_t(e - start)};
  if (n != layout_.columns.size()) return false;
  auto field = [&](int k) { return trim(std::string_view(f[k].p, f[k].n)); };
  const std::string_view user = field(cu_), item = field(ci_);
  float r = 1;
  if (cr_ >= 0 && !parse_rating(field(cr_), r)) return false;
  if (!std::isfinite(r) || (layout_.rating_min && r < *layout_.rating_min) ||
      (layout_.rating_max && r > *layout_.rating_max) || user.empty() || item.empty())
    return false;
  if (ct_ >= 0) {
    int64_t t;
    if (!parse_timestamp(field(ct_), t, why_)) return false;
    if (layout_.keep_time) out_.time.push_back(t);
  }
  out_.user.push_back(users_.intern(user));
  out_.item.push_back(items_.intern(item));
  out_.value.push_back(r);
  ++line_no_;
  ++lines_;
  return true;
}

void LineParser::fail(const std::string& what) const { throw DataError(where(name_, line_no_, what)); }

void LineParser::line(std::string_view line) {
  ++line_no_;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (is_blank(line)) return;
  if (header_pending_) {
    header_pending_ = false;
    return;
  }
  std::string_view f[kMaxFields + 1];
  const size_t n = split(line, layout_.sep, f), want = layout_.columns.size();
  if (n != want) {
    if (has_control_bytes(line))
      fail("binary data, not a ratings line: \"" + printable(line) + "\"");
    fail(fmt::format("expected {} fields separated by {}, found {}{}: \"{}\"", want,
                     sep_name(layout_.sep), n > kMaxFields ? "more" : std::to_string(n),
                     n < want ? " (too few)" : " (too many)", printable(line)));
  }
  const std::string_view user = trim(f[cu_]), item = trim(f[ci_]), rating = cr_ >= 0 ? trim(f[cr_]) : "1";
  float r;
  if (!parse_rating(rating, r)) {
    if (file_start_ && lines_ == 0 && !layout_.header)
      fail("the rating \"" + printable(rating) +
           "\" is not a number; is this a header line? (this layout has none; use `header`)");
    if (has_control_bytes(line)) fail("binary data, not a ratings line: \"" + printable(line) + "\"");
    double wide;  // a number a float cannot hold (1e-320, 1e39) is not "not a number"
    const auto [end, ec] = std::from_chars(rating.data(), rating.data() + rating.size(), wide);
    if (ec == std::errc() && end == rating.data() + rating.size())
      fail("the rating \"" + printable(rating) + "\" is out of the range of a float (magnitudes 1e-38 to 3e38, or 0)");
    fail("the rating \"" + printable(rating) + "\" is not a number");
  }
  if (!std::isfinite(r)) fail("the rating \"" + printable(rating) + "\" is not a finite number");
  if ((layout_.rating_min && r < *layout_.rating_min) || (layout_.rating_max && r > *layout_.rating_max))
    fail(fmt::format("the rating {} is outside the declared range [{}, {}]", printable(rating),
                     layout_.rating_min.value_or(-INFINITY), layout_.rating_max.value_or(INFINITY)));
  if (user.empty() || item.empty()) fail(std::string("empty ") + (user.empty() ? "user" : "item") + " id");
  if (has_control_bytes(user) || has_control_bytes(item))
    fail("binary data in an id: \"" + printable(line) + "\"");
  if (ct_ >= 0) {
    int64_t t;
    std::string why;
    if (!parse_timestamp(trim(f[ct_]), t, why)) fail("the timestamp \"" + printable(f[ct_]) + "\" is " + (why.rfind("not", 0) == 0 ? why : "wrong: " + why));
    if (layout_.keep_time) out_.time.push_back(t);
  }
  out_.push(users_.intern(user), items_.intern(item), r);
  ++lines_;
}

}  // namespace mfrec
