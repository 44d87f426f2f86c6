// The .npy writer (format version 1.0) and the CSV id maps.
#include "mfrec/export.h"

#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/atomic_file.h"
#include "common/json_io.h"
#include "model/export_io.h"
#include "common/where.h"
#include "mfrec/error.h"

namespace fs = std::filesystem;

namespace mfrec {
namespace {

static_assert(std::endian::native == std::endian::little, "the .npy writer assumes a little-endian machine");

// Through the atomic writer: a full disk leaves the previous file, never a truncated .npy.
void write_file(const std::string& path, const std::string& head, const char* data, size_t bytes) {
  write_file_atomically(path, {head, std::string_view(data, bytes)});
}

std::string shape_text(const std::vector<size_t>& shape) {
  std::string s = "(";
  for (size_t d : shape) s += std::to_string(d) + ", ";
  if (shape.size() > 1) s.resize(s.size() - 2);  // (3, 4) but (3,)
  else if (!shape.empty()) s.resize(s.size() - 1);
  return s + ")";
}

}  // namespace

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void write_npy(const std::string& path, const float* data, const std::vector<size_t>& shape) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape_text(shape) + ", }";
  // Magic (6) + version (2) + header length (2) + dict + padding + '\n', a multiple of 64 in all.
  const size_t unpadded = 10 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict += '\n';
  std::string head("\x93NUMPY\x01\x00", 8);
  const uint16_t len = uint16_t(dict.size());
  head += char(len & 0xff);
  head += char(len >> 8);
  head += dict;
  size_t count = 1;
  for (size_t d : shape) count *= d;
  write_file(path, head, reinterpret_cast<const char*>(data), count * sizeof(float));
}

std::vector<float> read_npy(const std::string& path, std::vector<size_t>* shape_out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(where(path, 0, "cannot read"));
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto bad = [&](const char* what) { return DataError(where(path, 0, what)); };
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0 || bytes[6] != 1) throw bad("not a version 1 .npy file");
  const size_t len = uint8_t(bytes[8]) | size_t(uint8_t(bytes[9])) << 8;
  if (10 + len > bytes.size()) throw bad("truncated .npy header");
  const std::string dict = bytes.substr(10, len);
  if (dict.find("'descr': '<f4'") == std::string::npos || dict.find("'fortran_order': False") == std::string::npos)
    throw bad("only C-order float32 .npy files are read");
  const size_t open = dict.find("'shape': ("), close = dict.find(')', open);
  if (open == std::string::npos || close == std::string::npos) throw bad("no shape in the .npy header");
  std::vector<size_t> shape;
  std::stringstream ss(dict.substr(open + 10, close - open - 10));
  for (std::string part; std::getline(ss, part, ',');)
    if (part.find_first_not_of(' ') != std::string::npos) shape.push_back(std::stoull(part));
  size_t count = 1;
  for (size_t d : shape) count *= d;
  if (bytes.size() != 10 + len + count * sizeof(float)) throw bad("the .npy data does not match its shape");
  std::vector<float> out(count);
  if (count) std::memcpy(out.data(), bytes.data() + 10 + len, count * sizeof(float));
  if (shape_out) *shape_out = shape;
  return out;
}

std::vector<std::string> export_model(const Model& m, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw DataError(where(dir, 0, "cannot create the folder: " + ec.message()));
  std::vector<std::string> written;
  auto path = [&](const char* name) { return written.emplace_back((fs::path(dir) / name).string()); };

  auto factors = [&](const FactorMatrix& f, const char* name) {
    std::vector<float> v(f.rows() * f.cols());
    for (size_t r = 0; r < f.rows(); ++r) f.read_row(r, v.data() + r * f.cols());
    write_npy(path(name), v.data(), {f.rows(), f.cols()});
  };
  factors(m.P, "user_factors.npy");
  factors(m.Q, "item_factors.npy");
  write_npy(path("user_bias.npy"), m.user_bias.data(), {m.user_bias.size()});
  write_npy(path("item_bias.npy"), m.item_bias.data(), {m.item_bias.size()});
  write_npy(path("user_mean.npy"), m.user_mean.data(), {m.user_mean.size()});

  std::string users = "index,id\n";
  for (size_t u = 0; u < m.users.size(); ++u) users += fmt::format("{},{}\n", u, csv_field(m.users.external(uint32_t(u))));
  const std::string users_path = path("users.csv");
  write_file(users_path, users, nullptr, 0);
  std::string items = "index,id,title,genres\n";
  for (size_t i = 0; i < m.items.size(); ++i) {
    const std::string& title = i < m.catalog.titles.size() ? m.catalog.titles[i] : std::string();
    const std::string& genres = i < m.catalog.genres.size() ? m.catalog.genres[i] : std::string();
    items += fmt::format("{},{},{},{}\n", i, csv_field(m.items.external(uint32_t(i))), csv_field(title), csv_field(genres));
  }
  const std::string items_path = path("items.csv");
  write_file(items_path, items, nullptr, 0);

  const nlohmann::json info = m.info();
  const std::string json_path = path("model.json");
  write_file(json_path, json_text(info, 2) + "\n", nullptr, 0);
  return written;
}

}  // namespace mfrec
