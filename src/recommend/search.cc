// Title search: folding (case, accents, punctuation) and word matching in any order.
#include "mfrec/search.h"

#include <algorithm>

namespace mfrec {
namespace {

// U+00C0..U+017F folded to ASCII ("" for a word break: the signs x and ÷).
constexpr const char* kLatin[] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",  // U+00C0
    "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss",  // U+00D0
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",  // U+00E0
    "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y",  // U+00F0
    "a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",  // U+0100
    "d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",  // U+0110
    "g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",  // U+0120
    "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",  // U+0130
    "l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",  // U+0140
    "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",  // U+0150
    "s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",  // U+0160
    "u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s",  // U+0170
};

// The code point at s[at] (UTF-8) and its length in bytes; a stray byte counts as itself.
std::pair<uint32_t, size_t> decode(std::string_view s, size_t at) {
  const auto b = [&](size_t k) { return uint32_t(static_cast<unsigned char>(s[at + k])); };
  const uint32_t c = b(0);
  const auto cont = [&](size_t k) { return at + k < s.size() && (b(k) & 0xC0) == 0x80; };
  if (c >= 0xC2 && c < 0xE0 && cont(1)) return {((c & 0x1F) << 6) | (b(1) & 0x3F), 2};
  if (c >= 0xE0 && c < 0xF0 && cont(1) && cont(2)) return {((c & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F), 3};
  if (c >= 0xF0 && c < 0xF5 && cont(1) && cont(2) && cont(3)) return {0x10000, 4};  // kept as is, never folded
  return {c, 1};
}

}  // namespace

std::string fold_for_search(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool gap = false;  // a word break is pending
  auto put = [&](std::string_view word_chars) {
    if (gap && !out.empty()) out += ' ';
    gap = false;
    out += word_chars;
  };
  for (size_t at = 0; at < s.size();) {
    const auto [cp, len] = decode(s, at);
    const std::string_view raw = s.substr(at, len);
    at += len;
    if (cp < 0x80) {
      const char c = char(cp);
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) put(std::string_view(&c, 1));
      else if (c >= 'A' && c <= 'Z') put(std::string(1, char(c - 'A' + 'a')));
      else if (c != '\'') gap = true;  // an apostrophe joins ("schindler's"); anything else breaks
    } else if (cp == 0x2019 || cp == 0x2018) {
      // typographic apostrophes join, as ' does
    } else if (cp >= 0xC0 && cp < 0x180) {
      const std::string_view f = kLatin[cp - 0xC0];
      if (f.empty()) gap = true;
      else put(f);
    } else if (cp < 0xC0 || (cp >= 0x2000 && cp < 0x2070)) {
      gap = true;  // Latin-1 signs and general punctuation (dashes, quotes, ellipsis)
    } else {
      put(raw);  // letters of other scripts: kept
    }
  }
  return out;
}

TitleIndex::TitleIndex(const Model& m, const std::vector<uint32_t>& popularity) : ids_(&m.items) {
  folded_.resize(m.n_items());
  for (uint32_t i = 0; i < m.n_items(); ++i)
    folded_[i] = " " + fold_for_search(i < m.catalog.titles.size() ? m.catalog.titles[i] : "") + " ";
  by_popularity_.resize(m.n_items());
  for (uint32_t i = 0; i < m.n_items(); ++i) by_popularity_[i] = i;
  std::stable_sort(by_popularity_.begin(), by_popularity_.end(), [&](uint32_t a, uint32_t b) {
    return (a < popularity.size() ? popularity[a] : 0) > (b < popularity.size() ? popularity[b] : 0);
  });
}

std::vector<uint32_t> TitleIndex::search(std::string_view query, size_t limit) const {
  std::vector<uint32_t> whole, partial;
  const auto exact = ids_->find(query);
  if (exact) whole.push_back(*exact);
  std::vector<std::string> prefixes, words;  // " word" and " word "
  const std::string q = fold_for_search(query);
  for (size_t at = 0; at < q.size();) {
    const size_t end = std::min(q.find(' ', at), q.size());
    prefixes.push_back(" " + q.substr(at, end - at));
    words.push_back(prefixes.back() + " ");
    at = end + 1;
  }
  for (uint32_t i : by_popularity_) {
    if (whole.size() >= limit) break;
    if (exact && i == *exact) continue;
    const std::string& t = folded_[i];
    bool all = true, all_whole = true;
    for (size_t w = 0; w < prefixes.size() && all; ++w) {
      if (t.find(words[w]) != std::string::npos) continue;
      all_whole = false;
      all = t.find(prefixes[w]) != std::string::npos;
    }
    if (!all) continue;
    if (all_whole) whole.push_back(i);
    else if (partial.size() < limit) partial.push_back(i);
  }
  for (uint32_t i : partial) {
    if (whole.size() >= limit) break;
    whole.push_back(i);
  }
  if (whole.size() > limit) whole.resize(limit);
  return whole;
}

}  // namespace mfrec
