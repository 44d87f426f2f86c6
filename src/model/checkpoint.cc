#include "mfrec/checkpoint.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "common/atomic_file.h"
#include "mfrec/error.h"

namespace mfrec {
namespace {

constexpr char kMagic[8] = {'M', 'F', 'R', 'E', 'C', '\x89', '\r', '\n'};

// 64-bit checksum, eight bytes a step (a multiply-rotate hash; detects truncation and bit flips).
uint64_t checksum(const char* p, size_t n) {
  uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
  size_t k = 0;
  for (; k + 8 <= n; k += 8) {
    uint64_t w;
    std::memcpy(&w, p + k, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    h = (h << 31) | (h >> 33);
  }
  for (; k < n; ++k) h = (h ^ uint8_t(p[k])) * 0x100000001b3ull;
  return h ^ (h >> 29);
}

class Writer {
 public:
  template <typename T>
  void pod(const T& v) { bytes(&v, sizeof v); }
  void bytes(const void* p, size_t n) { buf_.append(static_cast<const char*>(p), n); }
  template <typename T>
  void array(const std::vector<T>& v) {
    pod(uint64_t(v.size()));
    bytes(v.data(), v.size() * sizeof(T));
  }
  void strings(const std::vector<std::string>& v) {
    pod(uint64_t(v.size()));
    for (const auto& s : v) pod(uint32_t(s.size())), bytes(s.data(), s.size());
  }
  std::string& buffer() { return buf_; }

 private:
  std::string buf_;
};

class Reader {
 public:
  Reader(const std::string& path, std::string_view data) : path_(path), data_(data) {}
  template <typename T>
  T pod() {
    T v;
    std::memcpy(&v, take(sizeof v), sizeof v);
    return v;
  }
  const char* take(size_t n) {
    if (n > data_.size() - at_) throw DataError(where(path_, 0, "model file is truncated"));
    const char* p = data_.data() + at_;
    at_ += n;
    return p;
  }
  template <typename T>
  std::vector<T> array(size_t expect) {
    const uint64_t n = pod<uint64_t>();
    if (n != expect) throw DataError(where(path_, 0, "model file is inconsistent (a table has the wrong size)"));
    std::vector<T> v(n);
    std::memcpy(v.data(), take(n * sizeof(T)), n * sizeof(T));
    return v;
  }
  std::vector<std::string> strings(size_t expect) {
    const uint64_t n = pod<uint64_t>();
    if (n != expect) throw DataError(where(path_, 0, "model file is inconsistent (a name table has the wrong size)"));
    std::vector<std::string> v(n);
    for (auto& s : v) {
      const uint32_t len = pod<uint32_t>();
      s.assign(take(len), len);
    }
    return v;
  }

 private:
  std::string path_;
  std::string_view data_;
  size_t at_ = 0;
};

// Checkpoints written before the prior was saved: derived from the options as those versions did.
FoldInPrior legacy_prior(const nlohmann::json& meta) {
  const auto& o = meta.contains("options") ? meta["options"] : nlohmann::json::object();
  FoldInPrior p;
  const std::string optimizer = o.value("optimizer", std::string("adam"));
  if (optimizer == "mcmc") {
    p.kind = FoldInPrior::Kind::gaussian;
    p.noise_variance = meta.value("noise_variance", 1.0);
    return p;
  }
  const double reg = o.value("reg", 1e-4);
  p.reg_per_rating = float(optimizer == "adam" ? reg * o.value("batch_size", 512.0) : reg);
  return p;
}

}  // namespace

void save_model(const Model& m, const std::string& path) {
  nlohmann::json header = {{"kind", model_kind_name(m.kind)},
                           {"objective", objective_name(m.objective)},
                           {"fold_in", m.fold_in.to_json()},
                           {"dim", m.dim},
                           {"precision", precision_name(m.precision())},
                           {"n_users", m.n_users()},
                           {"n_items", m.n_items()},
                           {"global_mean", m.global_mean},
                           {"rating_min", m.rating_min},
                           {"rating_max", m.rating_max},
                           {"meta", m.meta}};
  const std::string h = header.dump();
  Writer w;
  w.bytes(kMagic, sizeof kMagic);
  w.pod(kCheckpointVersion);
  w.pod(uint64_t(h.size()));
  w.bytes(h.data(), h.size());
  w.strings(m.users.names());
  w.strings(m.items.names());
  w.strings(m.catalog.titles);
  w.strings(m.catalog.genres);
  w.array(m.user_mean);
  w.array(m.user_bias);
  w.array(m.item_bias);
  w.pod(uint64_t(m.P.bytes()));
  w.bytes(m.P.raw(), m.P.bytes());
  w.pod(uint64_t(m.Q.bytes()));
  w.bytes(m.Q.raw(), m.Q.bytes());
  w.array(m.seen.offsets);
  w.array(m.seen.items);
  w.pod(checksum(w.buffer().data(), w.buffer().size()));
  write_file_atomically(path, w.buffer());
}

Model load_model(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))
    throw DataError(where(path, 0, "not a regular file (a model file was expected)"));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(where(path, 0, std::string("cannot open the model: ") + std::strerror(errno)));
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.size() < sizeof kMagic || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0)
    throw DataError(where(path, 0, "not an mfrec model file (bad magic number)"));
  Reader r(path, data);
  r.take(sizeof kMagic);
  const auto version = r.pod<uint32_t>();
  if (version != kCheckpointVersion)
    throw DataError(where(path, 0, fmt::format("model file format version {}; this mfrec reads version {}",
                                               version, kCheckpointVersion)));
  if (data.size() < 8 + 4 + 8 + 8) throw DataError(where(path, 0, "model file is truncated"));
  uint64_t stored;
  std::memcpy(&stored, data.data() + data.size() - 8, 8);
  if (stored != checksum(data.data(), data.size() - 8))
    throw DataError(where(path, 0, "model file is corrupted or truncated (checksum mismatch)"));

  const auto hlen = r.pod<uint64_t>();
  nlohmann::json h;
  try {
    h = nlohmann::json::parse(std::string_view(r.take(hlen), hlen));
  } catch (const nlohmann::json::exception& e) {
    throw DataError(where(path, 0, std::string("model header is not valid JSON: ") + e.what()));
  }
  Model m;
  try {
    m.kind = parse_model_kind(h.at("kind"));
    m.objective = h.value("objective", std::string("rating")) == "ranking" ? Objective::ranking : Objective::rating;
    m.dim = h.at("dim");
    const size_t nu = h.at("n_users"), ni = h.at("n_items");
    const Precision prec = parse_precision(h.at("precision"));
    m.global_mean = h.at("global_mean");
    m.rating_min = h.at("rating_min");
    m.rating_max = h.at("rating_max");
    m.meta = h.at("meta");
    m.fold_in = h.contains("fold_in") ? FoldInPrior::from_json(h["fold_in"]) : legacy_prior(m.meta);
    m.users = IdMap::from_names(r.strings(nu));
    m.items = IdMap::from_names(r.strings(ni));
    m.catalog.titles = r.strings(ni);
    m.catalog.genres = r.strings(ni);
    m.user_mean = r.array<float>(nu);
    m.user_bias = r.array<float>(nu);
    m.item_bias = r.array<float>(ni);
    m.P = FactorMatrix(nu, m.dim, prec);
    m.Q = FactorMatrix(ni, m.dim, prec);
    for (FactorMatrix* f : {&m.P, &m.Q}) {
      if (r.pod<uint64_t>() != f->bytes()) throw DataError(where(path, 0, "model file is inconsistent (factor table size)"));
      std::memcpy(f->raw(), r.take(f->bytes()), f->bytes());
    }
    m.seen.offsets = r.array<uint64_t>(nu + 1);
    m.seen.items = r.array<uint32_t>(m.seen.offsets.back());
  } catch (const nlohmann::json::exception& e) {
    throw DataError(where(path, 0, std::string("model header is missing a field: ") + e.what()));
  } catch (const UsageError& e) {
    throw DataError(where(path, 0, e.what()));
  }
  if (m.users.size() != m.n_users() || m.items.size() != m.n_items())
    throw DataError(where(path, 0, "model file has repeated ids"));
  return m;
}

}  // namespace mfrec
