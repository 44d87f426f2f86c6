#include "data/compressed.h"

#include <archive.h>
#include <archive_entry.h>

#include <cstdio>
#include <filesystem>
#include <string_view>

#include "common/where.h"
#include "mfrec/error.h"

namespace fs = std::filesystem;

namespace mfrec {
namespace {

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// "a/b.zip/c/d" -> {"a/b.zip", "c/d"} when a/b.zip is a file; {} otherwise.
std::pair<std::string, std::string> split_zip_name(const std::string& name) {
  for (size_t at = name.find(".zip/"); at != std::string::npos; at = name.find(".zip/", at + 1)) {
    const std::string zip = name.substr(0, at + 4);
    std::error_code ec;
    if (fs::is_regular_file(zip, ec)) return {zip, name.substr(at + 5)};
  }
  return {};
}

struct Reader {
  archive* a = archive_read_new();
  ~Reader() { archive_read_free(a); }
  std::string error() const {
    const char* e = archive_error_string(a);
    return e ? e : "unknown error";
  }
};

}  // namespace

struct InputStream::Impl {
  std::string name;
  Reader r;
  std::optional<uint64_t> size;
};

bool is_compressed_name(const std::string& name) { return ends_with(name, ".gz") || !split_zip_name(name).first.empty(); }

// An entry's name; empty when the archive gives none it can decode (such a member cannot be named).
static std::string_view entry_name(archive_entry* e) {
  const char* name = archive_entry_pathname(e);
  return name ? std::string_view(name) : std::string_view();
}

std::vector<std::string> zip_members(const std::string& zip) {
  Reader r;
  archive_read_support_format_zip(r.a);
  if (archive_read_open_filename(r.a, zip.c_str(), 1 << 16) != ARCHIVE_OK)
    throw DataError(where(zip, 0, "cannot open the zip archive: " + r.error()));
  std::vector<std::string> out;
  archive_entry* e = nullptr;
  int rc;
  while ((rc = archive_read_next_header(r.a, &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
    if (archive_entry_filetype(e) == AE_IFREG && !entry_name(e).empty()) out.emplace_back(entry_name(e));
    archive_read_data_skip(r.a);
  }
  if (rc != ARCHIVE_EOF) throw DataError(where(zip, 0, "not a readable zip archive: " + r.error()));
  return out;
}

InputStream::InputStream(const std::string& name) : impl_(std::make_unique<Impl>()) {
  impl_->name = name;
  archive* a = impl_->r.a;
  const auto [zip, member] = split_zip_name(name);
  if (!zip.empty()) {
    archive_read_support_format_zip(a);
    if (archive_read_open_filename(a, zip.c_str(), 1 << 16) != ARCHIVE_OK)
      throw DataError(where(zip, 0, "cannot open the zip archive: " + impl_->r.error()));
    archive_entry* e = nullptr;
    int rc;
    while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
      if (!member.empty() && member == entry_name(e)) {
        if (archive_entry_size_is_set(e)) impl_->size = uint64_t(archive_entry_size(e));
        return;
      }
      archive_read_data_skip(a);
    }
    throw DataError(where(name, 0, rc == ARCHIVE_EOF ? "no such file in the zip archive" : "cannot read the zip archive: " + impl_->r.error()));
  }
  // A single compressed stream: every filter libarchive has, the "raw" format for its one entry.
  archive_read_support_filter_all(a);
  archive_read_support_format_raw(a);
  if (archive_read_open_filename(a, name.c_str(), 1 << 16) != ARCHIVE_OK)
    throw DataError(where(name, 0, "cannot open: " + impl_->r.error()));
  archive_entry* e = nullptr;
  if (archive_read_next_header(a, &e) != ARCHIVE_OK) throw DataError(where(name, 0, "cannot decompress: " + impl_->r.error()));
}

InputStream::~InputStream() = default;

size_t InputStream::read(char* buf, size_t n) {
  const la_ssize_t got = archive_read_data(impl_->r.a, buf, n);
  if (got < 0) throw DataError(where(impl_->name, 0, "cannot decompress: " + impl_->r.error()));
  return size_t(got);
}

std::optional<uint64_t> InputStream::size() const { return impl_->size; }

std::string read_input(const std::string& name, size_t limit) {
  std::string out;
  if (!is_compressed_name(name)) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(name.c_str(), "rb"), &std::fclose);
    if (!f) throw DataError(where(name, 0, "cannot open"));
    char buf[1 << 16];
    size_t n;
    while (out.size() < limit && (n = std::fread(buf, 1, std::min(sizeof buf, limit - out.size()), f.get())) > 0) out.append(buf, n);
    return out;
  }
  InputStream in(name);
  char buf[1 << 16];
  size_t n;
  while (out.size() < limit && (n = in.read(buf, std::min(sizeof buf, limit - out.size()))) > 0) out.append(buf, n);
  return out;
}

}  // namespace mfrec
