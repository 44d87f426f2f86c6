#pragma once
// "did you mean ...?": the closest of a few known names to a mistyped one (an option, a command).
#include <string>
#include <vector>

namespace mfrec::cli {

// The candidate nearest to `typed` by edit distance, or "" when none is near enough to be a typo.
std::string closest(const std::string& typed, const std::vector<std::string>& candidates);

}  // namespace mfrec::cli
