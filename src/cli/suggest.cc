#include "cli/suggest.h"

#include <algorithm>
#include <cctype>

namespace mfrec::cli {
namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      const bool same = std::tolower((unsigned char)a[i - 1]) == std::tolower((unsigned char)b[j - 1]);
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (same ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string closest(const std::string& typed, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const auto& c : candidates) {
    size_t d = edit_distance(typed, c);
    // One name a prefix of the other ("--thread" for "--threads", "--dimension" for "--dim") is as
    // good as one typo, when they share more than dashes and a letter or two.
    const size_t shared = std::min(c.size(), typed.size());
    const size_t letters = shared - std::min(shared, size_t(c.find_first_not_of('-')));
    if (letters >= 3 && c.compare(0, shared, typed, 0, shared) == 0) d = std::min<size_t>(d, 1);
    if (d < best_distance) best = c, best_distance = d;
  }
  // Up to a third of the name wrong (at least 2 edits) still reads as a typo; more is another word.
  const size_t allowed = std::max<size_t>(2, typed.size() / 3);
  return best_distance <= allowed && best_distance < typed.size() ? best : "";
}

}  // namespace mfrec::cli
