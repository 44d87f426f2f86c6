// Which file holds the ratings and how it is laid out: the MovieLens layouts by name, anything
// else by sniffing its first line (or as --format/--sep/--header say).
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/where.h"
#include "data/binary_format.h"
#include "data/compressed.h"
#include "mfrec/dataset.h"
#include "mfrec/error.h"

namespace fs = std::filesystem;

namespace mfrec {
namespace {

// ml-1m rates in whole stars, ml-10m in half stars: both are "::" files, valid from 0.5 to 5.
Layout ml1m() { return {"ml-1m", "::", {Column::user, Column::item, Column::rating, Column::timestamp}, false, 0.5f, 5.0f}; }
Layout ml100k() { return {"ml-100k", "\t", {Column::user, Column::item, Column::rating, Column::timestamp}, false, 1.0f, 5.0f}; }
Layout movielens_csv() {
  return {"movielens-csv", ",", {Column::user, Column::item, Column::rating, Column::timestamp}, true, 0.5f, 5.0f};
}

// The first non-blank line, reading at most 64 KiB (decompressed).
std::string first_line(const std::string& file) {
  std::istringstream lines(read_input(file, 64 << 10));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") != std::string::npos) return line;
  }
  return {};
}

std::string sniff_sep(const std::string& line) {
  for (const char* s : {"::", "\t", ",", ";", "|"})
    if (line.find(s) != std::string::npos) return s;
  return " ";
}

std::string parse_sep(const std::string& s) {
  if (s == "tab" || s == "\\t") return "\t";
  if (s == "comma") return ",";
  if (s == "space") return " ";
  if (s == "semicolon") return ";";
  if (s == "pipe") return "|";
  return s;
}

std::vector<Column> parse_columns(const std::string& format) {
  std::vector<Column> cols;
  size_t start = 0;
  while (start <= format.size()) {
    size_t comma = format.find(',', start);
    std::string name = format.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (name == "user") cols.push_back(Column::user);
    else if (name == "item") cols.push_back(Column::item);
    else if (name == "rating" || name == "count") cols.push_back(Column::rating);  // a count is the value too
    else if (name == "timestamp") cols.push_back(Column::timestamp);
    else if (name == "skip") cols.push_back(Column::skip);
    else throw UsageError("`format`: unknown column '" + name + "' (expected user, item, rating, count, timestamp or skip)");
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  auto count = [&](Column c) { return std::count(cols.begin(), cols.end(), c); };
  if (count(Column::user) != 1 || count(Column::item) != 1 || count(Column::rating) > 1 || count(Column::timestamp) > 1)
    throw UsageError("`format` must name user and item once each (and rating or count, and timestamp, at most once): '" +
                     format + "'");
  return cols;
}

bool looks_numeric(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  double v;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && end != s.data();
}

Layout sniff_layout(const std::string& file, const ReadOptions& o) {
  Layout layout{"delimited", "", {}, false, std::nullopt, std::nullopt};
  const std::string line = first_line(file);
  if (line.empty()) throw DataError(where(file, 0, "no ratings in the file (it is empty or blank)"));
  layout.sep = o.sep.empty() ? sniff_sep(line) : parse_sep(o.sep);
  size_t fields = 1;
  for (size_t at = line.find(layout.sep); at != std::string::npos; at = line.find(layout.sep, at + layout.sep.size()))
    ++fields;
  if (!o.format.empty()) {
    layout.columns = parse_columns(o.format);
  } else if (fields == 2) {  // interactions without a value: each counts as 1
    layout.columns = {Column::user, Column::item};
  } else if (fields == 3 || fields == 4) {
    layout.columns = {Column::user, Column::item, Column::rating};
    if (fields == 4) layout.columns.push_back(Column::timestamp);
  } else {
    throw DataError(where(file, 1, fmt::format("cannot tell the columns of a line with {} fields; "
                                               "name them with `format` user,item,rating[,timestamp]", fields)));
  }
  if (std::find(layout.columns.begin(), layout.columns.end(), Column::rating) == layout.columns.end()) {
    // No value column (ids may be any strings): a header is a first line that names a user column.
    std::string lower(line);
    for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
    layout.header = o.header.value_or(lower.find("user") != std::string::npos);
    return layout;
  }
  // A header is a first line whose rating field is not a number.
  size_t rating_col = size_t(std::find(layout.columns.begin(), layout.columns.end(), Column::rating) - layout.columns.begin());
  std::string_view rest = line;
  for (size_t k = 0; k < rating_col; ++k) {
    size_t at = rest.find(layout.sep);
    rest = at == std::string_view::npos ? std::string_view{} : rest.substr(at + layout.sep.size());
  }
  layout.header = o.header.value_or(!looks_numeric(rest.substr(0, rest.find(layout.sep))));
  return layout;
}

// What is at `p`: absent (ENOENT), a regular file, a folder, or something else; a path that
// cannot be looked at (a symlink loop, no permission) is an error naming it and the reason.
fs::file_status status_of(const fs::path& p) {
  std::error_code ec;
  const fs::file_status st = fs::status(p, ec);
  if (ec && ec != std::errc::no_such_file_or_directory)
    throw DataError(where(p.string(), 0, "cannot read: " + ec.message()));
  return st;
}

// A file that is there under a known name but is a FIFO, a device or a folder is an error, not
// something to skip without a word (a FIFO would block, /dev/zero never ends).
bool usable_file(const fs::path& p) {
  const fs::file_status st = status_of(p);
  if (!fs::exists(st)) return false;
  if (!fs::is_regular_file(st))
    throw DataError(where(p.string(), 0, fs::is_directory(st) ? "is a folder, not a file" : "not a regular file (a FIFO or a device?)"));
  return true;
}

// The first bytes must look like text (decompressed, for a .gz file or a member of a .zip):
// compressed data under a plain name and binary data are named as such (else they would fail later
// as "a line with 5 fields"), and CR-only line ends are said to be.
void check_text(const std::string& file) {
  const std::string head = read_input(file, 4096);
  auto bad = [&](const std::string& what) { throw DataError(where(file, 0, what)); };
  if (head.rfind("\x1f\x8b", 0) == 0)
    bad("gzip-compressed data, not a ratings file (name it .gz to have it read decompressed, or gunzip it)");
  if (head.rfind("PK\x03\x04", 0) == 0) bad("a zip archive, not a ratings file (name it .zip to have the ratings in it read, or unzip it)");
  size_t control = 0;
  for (unsigned char c : head) control += c == 0 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f;
  if (head.find('\0') != std::string::npos || control * 100 > head.size())
    bad("binary data, not a ratings file (a text file of user, item, rating lines was expected)");
  if (std::count(head.begin(), head.end(), '\r') >= 2 && head.find('\n') == std::string::npos)
    bad("its lines end in CR alone (classic Mac): convert them to LF or CRLF (e.g. tr '\\r' '\\n')");
}

Source known(const fs::path& ratings, Layout layout, const char* items_name) {
  Source s{ratings.string(), "", std::move(layout)};
  fs::path items = ratings.parent_path() / items_name;
  if (usable_file(items)) s.items_file = items.string();
  else if (usable_file(items.string() + ".gz")) s.items_file = items.string() + ".gz";
  return s;
}

// The layout a ratings file's name says (ratings.dat, u.data, u1.base, ratings.csv), or none.
std::optional<Layout> layout_by_name(const std::string& name, const ReadOptions& o, const char** items_name) {
  if (!o.format.empty()) return std::nullopt;
  const std::string ext = fs::path(name).extension().string();
  if (name == "ratings.dat") return *items_name = "movies.dat", ml1m();
  if (name == "u.data" || ext == ".base" || ext == ".test") return *items_name = "u.item", ml100k();
  if (name == "ratings.csv") return *items_name = "movies.csv", movielens_csv();
  return std::nullopt;
}

// A zip as downloaded from GroupLens (ml-1m.zip holds ml-1m/ratings.dat, movies.dat, users.dat):
// the ratings file of a known layout inside it, the least deep first; named "ml-1m.zip/ml-1m/ratings.dat".
Source zip_source(const fs::path& zip, const ReadOptions& o) {
  const auto members = zip_members(zip.string());
  const std::string* best = nullptr;
  for (const char* wanted : {"ratings.dat", "u.data", "ratings.csv"}) {
    for (const auto& m : members) {
      if (fs::path(m).filename() != wanted) continue;
      if (!best || std::count(m.begin(), m.end(), '/') < std::count(best->begin(), best->end(), '/')) best = &m;
    }
    if (best) break;
  }
  if (!best) {
    if (members.size() == 1) best = &members.front();  // one file: sniffed like any other
    else throw DataError(where(zip.string(), 0, "a zip archive with no ratings.dat (ml-1m), u.data (ml-100k) or ratings.csv inside"));
  }
  const std::string name = (zip / *best).string();
  const char* items_name = "";
  auto layout = layout_by_name(fs::path(*best).filename().string(), o, &items_name);
  if (!layout) {
    check_text(name);  // before sniffing, where binary data would fail as "a line with 5 fields"
    return Source{name, "", sniff_layout(name, o)};
  }
  Source s{name, "", std::move(*layout)};
  const std::string items = (fs::path(*best).parent_path() / items_name).string();
  if (std::find(members.begin(), members.end(), items) != members.end()) s.items_file = (zip / items).string();
  return s;
}

}  // namespace

Source detect_source(const ReadOptions& o) {
  const fs::path path(o.path);
  const fs::file_status st = status_of(path);
  if (!fs::exists(st)) throw DataError(where(o.path, 0, "no such file or folder"));
  if (!fs::is_directory(st) && !fs::is_regular_file(st))
    throw DataError(where(o.path, 0, "not a regular file or folder (a FIFO or a device?)"));
  Source s;
  if (fs::is_directory(st)) {
    if (usable_file(path / "ratings.dat")) s = known(path / "ratings.dat", ml1m(), "movies.dat");
    else if (usable_file(path / "u.data")) s = known(path / "u.data", ml100k(), "u.item");
    else if (usable_file(path / "ratings.csv")) s = known(path / "ratings.csv", movielens_csv(), "movies.csv");
    else throw DataError(where(o.path, 0, "a folder with no known layout: expected ratings.dat (ml-1m), "
                                         "u.data (ml-100k) or ratings.csv (MovieLens CSV)"));
  } else if (binary::has_magic(path.string())) {
    // Binary data (`mfrec convert`) by its magic number, whatever its name; text options do not apply.
    s = binary::detect(path.string());
  } else if (path.extension() == ".mfd") {
    throw DataError(where(o.path, 0, "not mfrec binary data (wrong magic number), though named .mfd: a file "
                                     "`mfrec convert` writes was expected"));
  } else if (path.extension() == ".zip") {
    s = zip_source(path, o);
  } else {
    // ratings.dat.gz is read as ratings.dat would be (with movies.dat or movies.dat.gz beside it).
    const bool gz = path.extension() == ".gz";
    const std::string name = (gz ? path.stem() : path.filename()).string();
    const char* items_name = "";
    if (auto layout = layout_by_name(name, o, &items_name)) {
      s = known(path, std::move(*layout), items_name);
    } else {
      check_text(path.string());  // before sniffing, where binary data would fail as "a line with 5 fields"
      s = Source{path.string(), "", sniff_layout(path.string(), o)};
    }
  }
  const bool binary = s.layout.name == binary::kLayout;
  if (s.layout.name != "delimited" && !binary) check_text(s.ratings_file);
  if (o.header && !binary) s.layout.header = *o.header;
  if (!o.sep.empty() && !binary) s.layout.sep = parse_sep(o.sep);
  if (o.rating_min) s.layout.rating_min = o.rating_min;
  if (o.rating_max) s.layout.rating_max = o.rating_max;
  if (s.layout.rating_min && s.layout.rating_max && *s.layout.rating_min > *s.layout.rating_max)
    throw UsageError("the rating range is empty: `rating_min` is above `rating_max`");
  return s;
}

}  // namespace mfrec
