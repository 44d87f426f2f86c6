#pragma once
// Checks of option values that CLI11 2.1 lets through: it reads "-1" and "1e23" into an unsigned
// seed as 2^64 - 1, "nan" into a float, and "" into a folder name.
#include <cmath>
#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

namespace mfrec::cli {

// Decimal digits only, below 2^64.
inline const CLI::Validator kSeedCheck(
    [](std::string& v) -> std::string {
      if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 20 ||
          (v.size() == 20 && v > "18446744073709551615"))
        return "a seed is an integer from 0 to 18446744073709551615, not '" + v + "'";
      return "";
    },
    "SEED");

// A finite number (not nan, not inf).
inline const CLI::Validator kFiniteCheck(
    [](std::string& v) -> std::string {
      try {
        size_t used = 0;
        const double x = std::stod(v, &used);
        if (used == v.size() && std::isfinite(x)) return "";
      } catch (const std::exception&) {
      }
      return "expected a finite number, not '" + v + "'";
    },
    "FINITE");

// --fold: left out it means every fold, so a negative value typed must not mean the same. Folds
// count from 1 on the command line.
inline const CLI::Validator kFoldCheck(
    [](std::string& v) -> std::string {
      if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos)
        return "a fold is an integer from 1 to --folds, not '" + v + "' (leave --fold out to run every fold)";
      return "";
    },
    "FOLD");

inline const CLI::Validator kNonEmptyCheck(
    [](std::string& v) -> std::string { return v.empty() ? "must not be empty" : ""; }, "NONEMPTY");

}  // namespace mfrec::cli
