#pragma once
// Reading ratings files. A Layout says how one file is laid out; detect_layout() recognises the
// MovieLens layouts (ml-1m/ml-10m .dat, ml-100k u.data, MovieLens CSV) and any delimited file.
#include <optional>
#include <string>
#include <vector>

#include "mfrec/id_map.h"
#include "mfrec/ratings.h"

namespace mfrec {

enum class Column { user, item, rating, timestamp, skip };

struct Layout {
  std::string name;  // "ml-1m", "ml-100k", "movielens-csv", "delimited"
  std::string sep;   // field separator: "::", "\t", ",", ...
  std::vector<Column> columns{Column::user, Column::item, Column::rating, Column::timestamp};
  bool header = false;
  std::optional<float> rating_min, rating_max;  // declared range; a rating outside it is an error
  bool keep_time = true;  // false: a timestamp column is checked but not kept (8 bytes a rating)
};

// What the user may say about the input on the command line (all optional).
struct ReadOptions {
  std::string path;             // a folder or a ratings file
  std::string format;           // columns, e.g. "user,item,rating,timestamp" (skip: ignore a field)
  std::string sep;              // separator for --format ("tab", "comma", "::", ...)
  std::optional<bool> header;   // whether the first line is a header
  std::optional<float> rating_min, rating_max;
  std::optional<float> min_rating;  // keep only ratings >= this (interactions from ratings, e.g. 4)
  bool timestamps = true;  // false: timestamps are checked but not kept (load_split: when nothing uses them)
};

// Where the ratings are and how they are laid out; throws DataError for a path that has none.
struct Source {
  std::string ratings_file;
  std::string items_file;  // movies.dat / u.item / movies.csv, or empty
  Layout layout;
};
Source detect_source(const ReadOptions& options);

struct ReadReport {
  size_t lines = 0;       // data lines read
  size_t duplicates = 0;  // repeated (user, item) pairs dropped (the last one is kept)
  size_t bytes = 0;
};

// Parses one ratings file, interning ids into `users` and `items`. Throws DataError naming the file
// and line. CRLF line ends, a UTF-8 BOM and blank lines are accepted. Large files are parsed on all
// cores (up to 8; OMP_NUM_THREADS caps it), with the same result as on one.
Ratings read_ratings(const std::string& file, const Layout& layout, IdMap& users, IdMap& items,
                     ReadReport* report = nullptr);
// The same over text already in memory (`name` is used in messages).
Ratings parse_ratings(std::string_view text, const std::string& name, const Layout& layout,
                      IdMap& users, IdMap& items, ReadReport* report = nullptr);

// Titles and genres by internal item index ("" where unknown), converted to UTF-8.
struct Catalog {
  std::vector<std::string> titles;
  std::vector<std::string> genres;
};
Catalog read_catalog(const std::string& items_file, const std::string& layout_name,
                     const IdMap& items);

struct Dataset {
  Source source;
  Ratings ratings;
  IdMap users, items;
  Catalog catalog;
  ReadReport report;
  float rating_min = 1, rating_max = 5;  // the range the ratings use (predictions are clipped to it)
  double load_seconds = 0;
  uint64_t fingerprint = 0;  // of the ratings as read (see data_fingerprint): which data a model saw
};
// Reads what `options.path` names: text in any layout above, or the binary format that
// write_binary_dataset writes (recognised by its magic number; the text options do not apply to it).
Dataset load_dataset(const ReadOptions& options);
// Writes `data` in mfrec's binary format (`mfrec convert`, .mfd): load_dataset reads it back as the
// same data set (ratings in order, ids, catalog, fingerprint) in a fraction of the time text takes.
// Written atomically; throws DataError naming `path`.
void write_binary_dataset(const Dataset& data, const std::string& path);
// A 64-bit hash of the ratings and their external ids: the same file (same ratings in the same
// order, or the same --train/--test files) gives the same value, any other data another.
uint64_t data_fingerprint(const Ratings& ratings, const IdMap& users, const IdMap& items, uint64_t seed = 0);

// A data set from ratings given one by one, by external id (arrays, a data frame): ids are interned
// in order of first appearance and a repeated (user, item) pair keeps its last rating, as when a file
// is read. Errors name `name` and the row (counted from 0, as in the arrays).
class DatasetBuilder {
 public:
  explicit DatasetBuilder(std::string name = "arrays");
  void reserve(size_t n);
  void add(std::string_view user, std::string_view item, float rating = 1);  // throws DataError
  void add(std::string_view user, std::string_view item, float rating, int64_t time);
  // Titles and genres by external item id (items not added are ignored).
  void set_title(std::string_view item, std::string title, std::string genres = "");
  // Throws DataError when nothing was added, or when only some rows had a timestamp.
  Dataset finish() &&;

 private:
  void check(std::string_view user, std::string_view item, float rating);
  std::string name_;
  Dataset d_;
  std::vector<std::pair<std::string, std::pair<std::string, std::string>>> titles_;
  size_t rows_ = 0, timed_ = 0;
};

// The ratings >= min_rating (file order kept); throws DataError naming `source` when none is left.
Ratings keep_at_least(const Ratings& ratings, float min_rating, const std::string& source);

}  // namespace mfrec
