#pragma once
// A one-line progress bar on stderr when it is a terminal; nothing otherwise.
#include <unistd.h>

#include <cstdio>
#include <string>

#include <fmt/format.h>

namespace mfrec::cli {

class Progress {
 public:
  explicit Progress(uint32_t total) : total_(total), on_(isatty(STDERR_FILENO)) {}
  ~Progress() { done(); }
  void update(uint32_t n, const std::string& text) {
    if (!on_) return;
    const int width = 30, filled = int(width * n / std::max(total_, 1u));
    fmt::print(stderr, "\r[{}{}] {}/{} {}\x1b[K", std::string(size_t(filled), '#'), std::string(size_t(width - filled), '.'),
               n, total_, text);
    std::fflush(stderr);
    drawn_ = true;
  }
  void done() {
    if (drawn_) fmt::print(stderr, "\n");
    drawn_ = false;
  }

 private:
  uint32_t total_;
  bool on_, drawn_ = false;
};

}  // namespace mfrec::cli
