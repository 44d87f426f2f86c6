// The ratings parser: one pass over the bytes, std::from_chars, no per-line allocation.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "data/mapped_file.h"
#include "mfrec/dataset.h"
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

bool parse_time(std::string_view f, int64_t& out) {
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

bool has_control_bytes(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

// Keeps the last of each repeated (user, item) pair, in file order; returns how many were dropped.
size_t drop_duplicates(Ratings& r, size_t n_users, size_t n_items) {
  const size_t n = r.size();
  std::vector<uint32_t> start(n_users + 1, 0);
  for (uint32_t u : r.user) ++start[u + 1];
  for (size_t u = 0; u < n_users; ++u) start[u + 1] += start[u];
  std::vector<uint32_t> by_user(n), fill(start.begin(), start.end() - 1);
  for (size_t k = 0; k < n; ++k) by_user[fill[r.user[k]]++] = uint32_t(k);
  std::vector<uint32_t> mark(n_items, UINT32_MAX);
  std::vector<uint8_t> drop(n, 0);
  size_t dropped = 0;
  for (size_t u = 0; u < n_users; ++u) {
    for (size_t k = start[u + 1]; k-- > start[u];) {  // latest first
      const uint32_t row = by_user[k];
      uint32_t& m = mark[r.item[row]];
      if (m == u) {
        drop[row] = 1;
        ++dropped;
      } else {
        m = uint32_t(u);
      }
    }
  }
  if (dropped == 0) return 0;
  size_t w = 0;
  for (size_t k = 0; k < n; ++k) {
    if (drop[k]) continue;
    r.user[w] = r.user[k];
    r.item[w] = r.item[k];
    r.value[w] = r.value[k];
    if (r.has_time()) r.time[w] = r.time[k];
    ++w;
  }
  r.user.resize(w);
  r.item.resize(w);
  r.value.resize(w);
  if (r.has_time()) r.time.resize(w);
  return dropped;
}

}  // namespace

Ratings parse_ratings(std::string_view text, const std::string& name, const Layout& layout,
                      IdMap& users, IdMap& items, ReadReport* report) {
  int cu = -1, ci = -1, cr = -1, ct = -1;
  for (size_t k = 0; k < layout.columns.size(); ++k) {
    switch (layout.columns[k]) {
      case Column::user: cu = int(k); break;
      case Column::item: ci = int(k); break;
      case Column::rating: cr = int(k); break;
      case Column::timestamp: ct = int(k); break;
      case Column::skip: break;
    }
  }
  if (cu < 0 || ci < 0 || cr < 0 || layout.columns.size() > kMaxFields)
    throw UsageError("the format must name a user, an item and a rating column");
  if (layout.sep.empty()) throw UsageError("the field separator is empty");

  if (text.size() >= 3 && std::memcmp(text.data(), "\xEF\xBB\xBF", 3) == 0) text.remove_prefix(3);
  const size_t want = layout.columns.size();
  Ratings out;
  out.reserve(text.size() / 16);
  if (ct >= 0) out.time.reserve(text.size() / 16);
  bool header_pending = layout.header;
  size_t line_no = 0, lines = 0;
  std::string_view f[kMaxFields + 1];
  const char* p = text.data();
  const char* const end = p + text.size();
  auto fail = [&](const std::string& what) { throw DataError(where(name, line_no, what)); };

  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', size_t(end - p)));
    const char* e = nl ? nl : end;
    std::string_view line(p, size_t(e - p));
    p = nl ? nl + 1 : end;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (is_blank(line)) continue;
    if (header_pending) {
      header_pending = false;
      continue;
    }
    const size_t n = split(line, layout.sep, f);
    if (n != want) {
      if (has_control_bytes(line) && layout.sep != "\t")
        fail("binary data, not a ratings line: \"" + printable(line) + "\"");
      fail(fmt::format("expected {} fields separated by {}, found {}{}: \"{}\"", want,
                       sep_name(layout.sep), n > kMaxFields ? "more" : std::to_string(n),
                       n < want ? " (too few)" : " (too many)", printable(line)));
    }
    const std::string_view user = trim(f[cu]), item = trim(f[ci]), rating = trim(f[cr]);
    float r;
    if (!parse_rating(rating, r)) {
      if (lines == 0 && !layout.header)
        fail("the rating \"" + printable(rating) +
             "\" is not a number; is this a header line? (this layout has none; use --header)");
      if (has_control_bytes(line)) fail("binary data, not a ratings line: \"" + printable(line) + "\"");
      fail("the rating \"" + printable(rating) + "\" is not a number");
    }
    if (!std::isfinite(r)) fail("the rating \"" + printable(rating) + "\" is not a finite number");
    if ((layout.rating_min && r < *layout.rating_min) || (layout.rating_max && r > *layout.rating_max))
      fail(fmt::format("the rating {} is outside the declared range [{}, {}]", printable(rating),
                       layout.rating_min.value_or(-INFINITY), layout.rating_max.value_or(INFINITY)));
    if (user.empty() || item.empty()) fail(std::string("empty ") + (user.empty() ? "user" : "item") + " id");
    if (has_control_bytes(user) || has_control_bytes(item))
      fail("binary data in an id: \"" + printable(line) + "\"");
    if (ct >= 0) {
      int64_t t;
      if (!parse_time(trim(f[ct]), t)) fail("the timestamp \"" + printable(f[ct]) + "\" is not an integer");
      out.time.push_back(t);
    }
    out.push(users.intern(user), items.intern(item), r);
    ++lines;
  }
  if (lines == 0) throw DataError(where(name, 0, "no ratings in the file (it is empty or blank)"));
  ReadReport rep;
  rep.lines = lines;
  rep.bytes = text.size();
  rep.duplicates = drop_duplicates(out, users.size(), items.size());
  if (report) *report = rep;
  return out;
}

Ratings read_ratings(const std::string& file, const Layout& layout, IdMap& users, IdMap& items,
                     ReadReport* report) {
  MappedFile mapped(file);
  return parse_ratings(mapped.view(), file, layout, users, items, report);
}

}  // namespace mfrec
