#pragma once
// Title search, the same for `mfrec items`, the HTTP API's /v1/items and the page: accents and case
// do not matter and the words may come in any order ("leon" finds "Léon: The Professional",
// "godfather ii" finds "Godfather: Part II, The").
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mfrec/model.h"

namespace mfrec {

// Text reduced for matching: lower case, Latin accents dropped (é -> e, ß -> ss, Æ -> ae),
// apostrophes dropped ("schindler's" -> "schindlers"), every other non-alphanumeric character a
// word break; the words joined by single spaces. Characters outside Latin-1 and Latin Extended-A
// are kept as they are.
std::string fold_for_search(std::string_view utf8);

class TitleIndex {
 public:
  // `popularity[i]`: how many training ratings item i has (the order of the results).
  TitleIndex(const Model& model, const std::vector<uint32_t>& popularity);

  // Items whose title holds every word of `query`, each as a word or the start of one: first those
  // holding them all as whole words, then the rest, each group most rated first; an item whose id is
  // `query` comes before all. An empty query lists the most rated items.
  std::vector<uint32_t> search(std::string_view query, size_t limit) const;

 private:
  const IdMap* ids_;
  std::vector<std::string> folded_;   // " word word ... " per item: a word starts after a space
  std::vector<uint32_t> by_popularity_;
};

}  // namespace mfrec
