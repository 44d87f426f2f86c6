// The ratings parser: one pass over the bytes, std::from_chars, no per-line allocation.
#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "common/where.h"
#include "data/binary_format.h"
#include "data/compressed.h"
#include "data/timestamp.h"
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


// Parses complete lines fed to it in order, keeping the line count across feeds.
class Parser {
 public:
  Parser(const std::string& name, const Layout& layout, IdMap& users, IdMap& items)
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
  }

  void reserve(size_t n) {
    out_.reserve(n);
    if (ct_ >= 0) out_.time.reserve(n);
  }

  void feed(std::string_view text) {
    if (line_no_ == 0 && text.size() >= 3 && std::memcmp(text.data(), "\xEF\xBB\xBF", 3) == 0) text.remove_prefix(3);
    const char* p = text.data();
    const char* const end = p + text.size();
    while (p < end) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', size_t(end - p)));
      const char* e = nl ? nl : end;
      line(std::string_view(p, size_t(e - p)));
      p = nl ? nl + 1 : end;
    }
  }

  size_t lines_read() const { return line_no_; }

  Ratings finish(size_t bytes, ReadReport* report) {
    if (lines_ == 0) throw DataError(where(name_, 0, "no ratings in the file (it is empty or blank)"));
    ReadReport rep;
    rep.lines = lines_;
    rep.bytes = bytes;
    rep.duplicates = out_.drop_duplicates(users_.size(), items_.size());
    if (report) *report = rep;
    return std::move(out_);
  }

 private:
  void fail(const std::string& what) const { throw DataError(where(name_, line_no_, what)); }

  void line(std::string_view line) {
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
      if (lines_ == 0 && !layout_.header)
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
      out_.time.push_back(t);
    }
    out_.push(users_.intern(user), items_.intern(item), r);
    ++lines_;
  }

  const std::string& name_;
  const Layout& layout_;
  IdMap& users_;
  IdMap& items_;
  int cu_ = -1, ci_ = -1, cr_ = -1, ct_ = -1;
  bool header_pending_;
  size_t line_no_ = 0, lines_ = 0;
  Ratings out_;
};

// Reads in blocks rather than mapping the whole file: only a block of the text is in memory at a
// time, next to the parsed arrays (peak memory matters as much as speed for large files).
// `read(buf, n)` gives the next bytes (0 at the end); `size` is the whole size, 0 when unknown.
template <typename Read>
Ratings read_blocks(const std::string& file, Read read, uint64_t size, const Layout& layout, IdMap& users,
                    IdMap& items, ReadReport* report) {
  constexpr size_t kBlock = 4 << 20;
  Parser parser(file, layout, users, items);
  std::string buf(kBlock, '\0');
  size_t kept = 0, total = 0;
  bool first = true;
  for (;;) {
    const size_t got = read(buf.data() + kept, buf.size() - kept);
    total += got;
    const size_t have = kept + got;
    const bool eof = got == 0 || (size && total >= size);
    std::string_view text(buf.data(), have);
    if (first && have) {  // size the arrays from the first block's mean line length
      const size_t nl = size_t(std::count(text.begin(), text.end(), '\n'));
      const double whole = size ? double(size) : double(have);  // a compressed stream: its first block
      parser.reserve(size_t(whole / double(std::max<size_t>(have, 1)) * double(std::max<size_t>(nl, 1)) * 1.02) + 16);
      first = false;
    }
    const size_t cut = eof ? have : text.rfind('\n') + 1;  // feed whole lines only
    if (cut == 0 && !eof)  // no line end in a whole block: no ratings file looks like that
      throw DataError(where(file, parser.lines_read() + 1, "a line longer than 4 MiB: not a ratings file"));
    parser.feed(text.substr(0, cut));
    kept = have - cut;
    std::memmove(buf.data(), buf.data() + cut, kept);
    if (eof && kept == 0) break;
  }
  return parser.finish(total, report);
}

}  // namespace

Ratings parse_ratings(std::string_view text, const std::string& name, const Layout& layout,
                      IdMap& users, IdMap& items, ReadReport* report) {
  Parser parser(name, layout, users, items);
  parser.reserve(text.size() / 20);
  parser.feed(text);
  return parser.finish(text.size(), report);
}

Ratings read_ratings(const std::string& file, const Layout& layout, IdMap& users, IdMap& items,
                     ReadReport* report) {
  if (layout.name == binary::kLayout) return binary::read_ratings(file, layout, users, items, report);
  if (is_compressed_name(file)) {
    InputStream in(file);
    return read_blocks(file, [&](char* b, size_t n) { return in.read(b, n); }, in.size().value_or(0), layout, users,
                       items, report);
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(file.c_str(), "rb"), &std::fclose);
  if (!in) throw DataError(where(file, 0, std::string("cannot open: ") + std::strerror(errno)));
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec || std::filesystem::is_directory(file)) throw DataError(where(file, 0, "not a regular file"));
  auto read = [&](char* b, size_t n) {
    const size_t got = std::fread(b, 1, n, in.get());
    if (got == 0 && std::ferror(in.get())) throw DataError(where(file, 0, std::string("cannot read: ") + std::strerror(errno)));
    return got;
  };
  return read_blocks(file, read, size, layout, users, items, report);
}

}  // namespace mfrec
