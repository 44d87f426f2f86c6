#pragma once
// Writes a whole file so that readers see the old contents or the new, never a part: a temporary
// file beside it, fsync, rename, fsync of the folder. Throws DataError naming the path.
#include <string>

namespace mfrec {

void write_file_atomically(const std::string& path, const std::string& bytes);

}  // namespace mfrec
