// Titles and genres from movies.dat (ml-1m), u.item (ml-100k) or movies.csv (MovieLens CSV).
#include <string>

#include <memory>

#include "common/where.h"
#include "data/binary_format.h"
#include "data/compressed.h"
#include "data/mapped_file.h"
#include "mfrec/dataset.h"
#include "mfrec/error.h"

namespace mfrec {
namespace {

const char* const kGenres100k[] = {"unknown", "Action", "Adventure", "Animation", "Children's",
                                   "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
                                   "Film-Noir", "Horror", "Musical", "Mystery", "Romance",
                                   "Sci-Fi", "Thriller", "War", "Western"};

std::vector<std::string_view> split_all(std::string_view line, std::string_view sep) {
  std::vector<std::string_view> out;
  for (;;) {
    size_t at = line.find(sep);
    out.push_back(line.substr(0, at));
    if (at == std::string_view::npos) return out;
    line.remove_prefix(at + sep.size());
  }
}

// One CSV record (RFC 4180 quotes) of a line without embedded newlines.
std::vector<std::string> split_csv(std::string_view line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t k = 0; k < line.size(); ++k) {
    char c = line[k];
    if (quoted) {
      if (c == '"' && k + 1 < line.size() && line[k + 1] == '"') out.back() += '"', ++k;
      else if (c == '"') quoted = false;
      else out.back() += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

// ml-1m and ml-100k titles are Latin-1.
std::string latin1_to_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c < 0x80) {
      out += char(c);
    } else {
      out += char(0xC0 | (c >> 6));
      out += char(0x80 | (c & 0x3F));
    }
  }
  return out;
}

}  // namespace

Catalog read_catalog(const std::string& file, const std::string& layout, const IdMap& items) {
  if (layout == binary::kLayout && !file.empty()) return binary::read_catalog(file, items);
  Catalog cat;
  cat.titles.assign(items.size(), "");
  cat.genres.assign(items.size(), "");
  if (file.empty()) return cat;
  std::unique_ptr<MappedFile> mapped;
  std::string unpacked;
  std::string_view text;
  if (is_compressed_name(file)) {
    unpacked = read_input(file);
    text = unpacked;
  } else {
    mapped = std::make_unique<MappedFile>(file);
    text = mapped->view();
  }
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    std::string id, title, genres;
    if (layout == "movielens-csv") {
      if (line_no == 1) continue;  // header
      auto f = split_csv(line);
      if (f.size() < 3) throw DataError(where(file, line_no, "expected movieId,title,genres"));
      id = f[0], title = f[1], genres = f[2];
    } else if (layout == "ml-100k") {
      auto f = split_all(line, "|");
      if (f.size() < 5) throw DataError(where(file, line_no, "expected id|title|date|video date|url|genre flags"));
      id = f[0], title = latin1_to_utf8(f[1]);
      for (size_t g = 0; g < 19 && 5 + g < f.size(); ++g) {
        if (f[5 + g] != "1") continue;
        if (!genres.empty()) genres += '|';
        genres += kGenres100k[g];
      }
    } else {
      auto f = split_all(line, "::");
      if (f.size() < 3) throw DataError(where(file, line_no, "expected MovieID::Title::Genres"));
      id = f[0], title = latin1_to_utf8(f[1]), genres = latin1_to_utf8(f[2]);
    }
    if (auto index = items.find(id)) {
      cat.titles[*index] = std::move(title);
      cat.genres[*index] = std::move(genres);
    }
  }
  return cat;
}

}  // namespace mfrec
