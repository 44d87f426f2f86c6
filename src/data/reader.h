#pragma once
// read_ratings and parse_ratings on a given number of threads (theirs use all cores, up to 8); the
// result is the same for any number.
#include <string>
#include <string_view>

#include "mfrec/dataset.h"

namespace mfrec {

Ratings read_ratings_on(int threads, const std::string& file, const Layout& layout, IdMap& users, IdMap& items,
                        ReadReport* report = nullptr);
Ratings parse_ratings_on(int threads, std::string_view text, const std::string& name, const Layout& layout,
                         IdMap& users, IdMap& items, ReadReport* report = nullptr);

}  // namespace mfrec
