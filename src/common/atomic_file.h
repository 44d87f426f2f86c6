#pragma once
// Writes a whole file so that readers see the old contents or the new, never a part: a temporary
// file beside it (NAME.tmp.PID), fsync, rename, fsync of the folder. On any failure (a full disk, a
// missing folder) the temporary file is removed and the old file is left as it was. Temporary files
// of runs that were killed (their pid is no longer alive) are removed at the next write of the same
// file. Throws DataError naming the path and the reason.
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace mfrec {

void write_file_atomically(const std::string& path, std::string_view bytes);
// The parts one after another (a header and a large table, without joining them in memory first).
void write_file_atomically(const std::string& path, std::initializer_list<std::string_view> parts);
void write_file_atomically(const std::string& path, std::span<const std::string_view> parts);

}  // namespace mfrec
