#include "common/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "common/where.h"
#include "mfrec/error.h"

namespace mfrec {
namespace {

namespace fs = std::filesystem;

// Removes NAME.tmp.PID files in `dir` whose process is gone (a run that was killed before its
// rename). A pid that is alive, or that cannot be asked about, keeps its file: it may be writing.
void remove_stale_temporaries(const fs::path& dir, const std::string& name) {
  const std::string prefix = name + ".tmp.";
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string file = it->path().filename().string();
    if (file.size() <= prefix.size() || file.compare(0, prefix.size(), prefix) != 0) continue;
    int pid = 0;
    const char* digits = file.data() + prefix.size();
    const auto [end_of_pid, err] = std::from_chars(digits, file.data() + file.size(), pid);
    if (err != std::errc() || end_of_pid != file.data() + file.size() || pid <= 0) continue;
    if (::kill(pid, 0) != 0 && errno == ESRCH) {
      std::error_code ignored;
      fs::remove(it->path(), ignored);
    }
  }
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view bytes) { write_file_atomically(path, {bytes}); }

void write_file_atomically(const std::string& path, std::initializer_list<std::string_view> parts) {
  write_file_atomically(path, std::span<const std::string_view>(parts.begin(), parts.size()));
}

void write_file_atomically(const std::string& path, std::span<const std::string_view> parts) {
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  const std::string tmp = (dir / (target.filename().string() + fmt::format(".tmp.{}", ::getpid()))).string();
  auto fail = [&](const char* what, int e) {
    ::unlink(tmp.c_str());
    throw DataError(where(path, 0, fmt::format("cannot write ({}): {}", what, std::strerror(e))));
  };
  remove_stale_temporaries(dir, target.filename().string());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("create", errno);
  for (std::string_view bytes : parts) {
    for (size_t done = 0; done < bytes.size();) {
      const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int e = n < 0 ? errno : ENOSPC;  // a write of 0 bytes: no room
        ::close(fd);
        fail("write", e);
      }
      done += size_t(n);
    }
  }
  if (::fsync(fd) != 0) {
    const int e = errno;
    ::close(fd);
    fail("fsync", e);
  }
  if (::close(fd) != 0) fail("close", errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("rename", errno);
  if (int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) ::fsync(dfd), ::close(dfd);
}

}  // namespace mfrec
