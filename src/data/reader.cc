// Reading a ratings file: blocks of text into LineParser, the blocks cut into pieces that threads
// parse side by side. Each piece interns ids into its own maps; merging them in piece order keeps
// the ids' first-appearance order, so the result is the same for any number of threads.
#include <omp.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <memory>

#include "common/where.h"
#include "data/binary_format.h"
#include "data/compressed.h"
#include "data/line_parser.h"
#include "data/reader.h"
#include "mfrec/dataset.h"
#include "mfrec/error.h"

namespace mfrec {
namespace {

constexpr size_t kMinPiece = 256 << 10;  // smaller pieces cost more in hand-over than they gain

size_t lines_in(std::string_view s) {
  return size_t(std::count(s.begin(), s.end(), '\n')) + (!s.empty() && s.back() != '\n');
}

void append(Ratings& to, const Ratings& from, size_t at, const std::vector<uint32_t>& user_to,
            const std::vector<uint32_t>& item_to) {
  for (size_t k = 0; k < from.size(); ++k) {
    to.user[at + k] = user_to[from.user[k]];
    to.item[at + k] = item_to[from.item[k]];
  }
  std::copy(from.value.begin(), from.value.end(), to.value.begin() + ptrdiff_t(at));
  if (from.has_time()) std::copy(from.time.begin(), from.time.end(), to.time.begin() + ptrdiff_t(at));
}

// Extends `to` (a piece's index -> the file's) over the ids the piece met since the last block.
void map_new_ids(const IdMap& local, IdMap& global, std::vector<uint32_t>& to) {
  for (size_t k = to.size(); k < local.size(); ++k) to.push_back(global.intern(local.external(uint32_t(k))));
}

// Whole lines in file order, parsed on `threads` threads. The file's first rating line (with the
// header and BOM before it) goes to the main parser alone; so does text too short to share.
class BlockParser {
 public:
  BlockParser(const std::string& name, const Layout& layout, IdMap& users, IdMap& items, int threads)
      : name_(name), layout_(layout), users_(users), items_(items), main_(name, layout, users, items),
        pieces_(size_t(std::max(threads, 1))) {}

  void reserve(size_t n) { main_.reserve(n); }
  size_t lines_read() const { return main_.lines_read(); }

  void feed(std::string_view text) {
    while (main_.data_lines() == 0 && !text.empty()) {
      const size_t nl = text.find('\n'), take = nl == std::string_view::npos ? text.size() : nl + 1;
      main_.feed(text.substr(0, take));
      text.remove_prefix(take);
    }
    const size_t n = std::min(pieces_.size(), text.size() / kMinPiece);
    if (n < 2) return main_.feed(text);
    std::vector<std::string_view> part(n);
    std::vector<size_t> first_line(n + 1, main_.lines_read());
    for (size_t t = 0, at = 0; t < n; ++t) {
      size_t end = t + 1 == n ? text.size() : std::max(at, text.size() * (t + 1) / n);
      if (end < text.size()) end = std::min(text.size(), text.find('\n', end) + 1);  // npos + 1 == 0: the rest
      if (end == 0) end = text.size();
      part[t] = text.substr(at, end - at);
      first_line[t + 1] = first_line[t] + lines_in(part[t]);
      at = end;
    }
    std::vector<std::exception_ptr> error(n);
#pragma omp parallel for num_threads(int(n)) schedule(static, 1)
    for (size_t t = 0; t < n; ++t) {
      try {
        Piece& p = piece(t);
        p.parser->start_after(first_line[t]);
        p.parser->reserve(first_line[t + 1] - first_line[t]);  // its lines: no doubling as it grows
        p.parser->feed(part[t]);
      } catch (...) {
        error[t] = std::current_exception();
      }
    }
    for (const auto& e : error)
      if (e) std::rethrow_exception(e);
    Ratings& out = main_.out();
    std::vector<size_t> at(n + 1, out.size());
    for (size_t t = 0; t < n; ++t) {
      Piece& p = *pieces_[t];
      map_new_ids(p.users, users_, p.user_to);
      map_new_ids(p.items, items_, p.item_to);
      at[t + 1] = at[t] + p.parser->out().size();
    }
    out.user.resize(at[n]);
    out.item.resize(at[n]);
    out.value.resize(at[n]);
    if (out.has_time()) out.time.resize(at[n]);
#pragma omp parallel for num_threads(int(n)) schedule(static, 1)
    for (size_t t = 0; t < n; ++t) {
      Piece& p = *pieces_[t];
      Ratings& got = p.parser->out();
      append(out, got, at[t], p.user_to, p.item_to);
      got.user.clear(), got.item.clear(), got.value.clear(), got.time.clear();
    }
    main_.start_after(first_line[n]);
  }

  Ratings finish(size_t bytes, ReadReport* report) {
    Ratings& out = main_.out();
    if (out.size() == 0) throw DataError(where(name_, 0, "no ratings in the file (it is empty or blank)"));
    ReadReport rep;
    rep.lines = out.size();
    rep.bytes = bytes;
    rep.duplicates = out.drop_duplicates(users_.size(), items_.size());
    if (report) *report = rep;
    return std::move(out);
  }

 private:
  struct Piece {
    IdMap users, items;                     // the piece's own ids, in the order it met them
    std::vector<uint32_t> user_to, item_to;  // their indices in the file's maps
    std::unique_ptr<LineParser> parser;
  };
  // Made by the thread that parses it, so that its memory is that thread's.
  Piece& piece(size_t t) {
    if (!pieces_[t]) {
      pieces_[t] = std::make_unique<Piece>();
      pieces_[t]->parser = std::make_unique<LineParser>(name_, layout_, pieces_[t]->users, pieces_[t]->items);
    }
    return *pieces_[t];
  }

  const std::string& name_;
  const Layout& layout_;
  IdMap& users_;
  IdMap& items_;
  LineParser main_;
  std::vector<std::unique_ptr<Piece>> pieces_;
};

int threads_for(int threads) { return threads > 0 ? threads : std::min(omp_get_max_threads(), 8); }

// Reads in blocks rather than mapping the whole file: only a block of the text (and the ratings the
// threads parsed from it) is in memory at a time, next to the parsed arrays (peak memory matters as
// much as speed for large files).
// `read(buf, n)` gives the next bytes (0 at the end); `size` is the whole size, 0 when unknown.
template <typename Read>
Ratings read_blocks(const std::string& file, Read read, uint64_t size, const Layout& layout, IdMap& users,
                    IdMap& items, ReadReport* report, int threads) {
  constexpr size_t kBlock = 4 << 20;
  BlockParser parser(file, layout, users, items, threads_for(threads));
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

Ratings parse_ratings_on(int threads, std::string_view text, const std::string& name, const Layout& layout,
                         IdMap& users, IdMap& items, ReadReport* report) {
  BlockParser parser(name, layout, users, items, threads_for(threads));
  parser.reserve(text.size() / 20);
  parser.feed(text);
  return parser.finish(text.size(), report);
}

Ratings read_ratings_on(int threads, const std::string& file, const Layout& layout, IdMap& users, IdMap& items,
                        ReadReport* report) {
  if (layout.name == binary::kLayout) return binary::read_ratings(file, layout, users, items, report);
  if (is_compressed_name(file)) {
    InputStream in(file);
    return read_blocks(file, [&](char* b, size_t n) { return in.read(b, n); }, in.size().value_or(0), layout, users,
                       items, report, threads);
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
  return read_blocks(file, read, size, layout, users, items, report, threads);
}

Ratings parse_ratings(std::string_view text, const std::string& name, const Layout& layout,
                      IdMap& users, IdMap& items, ReadReport* report) {
  return parse_ratings_on(0, text, name, layout, users, items, report);
}

Ratings read_ratings(const std::string& file, const Layout& layout, IdMap& users, IdMap& items,
                     ReadReport* report) {
  return read_ratings_on(0, file, layout, users, items, report);
}

}  // namespace mfrec
