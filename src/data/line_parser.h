#pragma once
// The ratings parser: complete lines in, columns out; one pass over the bytes, std::from_chars, no
// per-line allocation. reader.cc feeds it a file in blocks, or several of them pieces of a block.
#include <cstddef>
#include <string>
#include <string_view>

#include "mfrec/dataset.h"

namespace mfrec {

class LineParser {
 public:
  // `users` and `items` receive the ids in the order they first appear.
  LineParser(const std::string& name, const Layout& layout, IdMap& users, IdMap& items);

  void reserve(size_t n);
  // Parses whole lines; a DataError names the file and the line (counted across feeds).
  void feed(std::string_view text);
  // For a piece that does not start the file: the lines before it, and no header or BOM to expect.
  void start_after(size_t lines_before);

  size_t lines_read() const { return line_no_; }
  size_t data_lines() const { return lines_; }
  Ratings& out() { return out_; }

 private:
  [[noreturn]] void fail(const std::string& what) const;
  bool quick(const char* begin, const char* end, const char* text_end);
  void line(std::string_view line);

  const std::string& name_;
  const Layout& layout_;
  IdMap& users_;
  IdMap& items_;
  int cu_ = -1, ci_ = -1, cr_ = -1, ct_ = -1;
  bool header_pending_, file_start_ = true;
  size_t sep_len_ = 0;  // 1 or 2: quick() splits on it; 0: every line goes to line()
  size_t line_no_ = 0, lines_ = 0;
  std::string why_;
  Ratings out_;
};

}  // namespace mfrec
