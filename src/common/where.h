#pragma once
// "file:line: what" -- the form every data error takes (line 0: "file: what"). Defined in
// data/error.cc.
#include <cstddef>
#include <string>

namespace mfrec {

std::string where(const std::string& file, size_t line, const std::string& what);

}  // namespace mfrec
