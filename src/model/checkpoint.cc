#include "mfrec/checkpoint.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "common/atomic_file.h"
#include "common/json_io.h"
#include "common/where.h"
#include "data/mapped_file.h"
#include "model/checkpoint_format.h"
#include "mfrec/error.h"

namespace mfrec {

namespace {

// The checksum over bytes given in pieces, equal to checksum() over them joined: a model is written
// from its own tables, never copied into one buffer first (a copy would double the peak memory).
class Checksum {
 public:
  explicit Checksum(size_t total) : h_(0x9e3779b97f4a7c15ull ^ total) {}
  void add(const char* p, size_t n) {
    while (n > 0 && carry_n_ > 0) {  // finish a word begun by the last piece
      carry_[carry_n_++] = p[0], ++p, --n;
      if (carry_n_ == 8) word(carry_), carry_n_ = 0;
    }
    for (; n >= 8; p += 8, n -= 8) word(p);
    std::memcpy(carry_ + carry_n_, p, n);
    carry_n_ += n;
  }
  uint64_t finish() {
    for (size_t k = 0; k < carry_n_; ++k) h_ = (h_ ^ uint8_t(carry_[k])) * 0x100000001b3ull;
    return h_ ^ (h_ >> 29);
  }

 private:
  void word(const char* p) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h_ = (h_ ^ w) * 0xff51afd7ed558ccdull;
    h_ = (h_ << 31) | (h_ >> 33);
  }
  uint64_t h_;
  char carry_[8];
  size_t carry_n_ = 0;
};

}  // namespace

uint64_t checkpoint::checksum(const char* p, size_t n) {
  Checksum c(n);
  c.add(p, n);
  return c.finish();
}

namespace {

using checkpoint::kMagic;

// The file as pieces: small fields gathered in owned strings, large tables as views of the model.
class Writer {
 public:
  template <typename T>
  void pod(const T& v) { bytes(&v, sizeof v); }
  void bytes(const void* p, size_t n) {
    if (n >= kLarge) {
      pieces_.push_back({{}, std::string_view(static_cast<const char*>(p), n)});
    } else {
      if (pieces_.empty() || !pieces_.back().external.empty()) pieces_.emplace_back();
      pieces_.back().owned.append(static_cast<const char*>(p), n);
    }
  }
  template <typename T>
  void array(const std::vector<T>& v) {
    pod(uint64_t(v.size()));
    bytes(v.data(), v.size() * sizeof(T));
  }
  void strings(const std::vector<std::string>& v) {
    pod(uint64_t(v.size()));
    for (const auto& s : v) pod(uint32_t(s.size())), bytes(s.data(), s.size());
  }
  // The pieces in order, the checksum of all of them last.
  std::vector<std::string_view> finish() {
    size_t total = 0;
    for (const Piece& p : pieces_) total += p.view().size();
    Checksum c(total);
    for (const Piece& p : pieces_) c.add(p.view().data(), p.view().size());
    sum_ = c.finish();
    std::vector<std::string_view> out;
    for (const Piece& p : pieces_) out.push_back(p.view());
    out.emplace_back(reinterpret_cast<const char*>(&sum_), sizeof sum_);
    return out;
  }

 private:
  static constexpr size_t kLarge = 4096;
  struct Piece {
    std::string owned;
    std::string_view external;
    std::string_view view() const { return external.empty() ? std::string_view(owned) : external; }
  };
  std::deque<Piece> pieces_;  // a deque: owned strings stay where they are as pieces are added
  uint64_t sum_ = 0;
};

// Reads the tables in order. Every count is checked against the bytes left before anything is
// allocated, so a forged count fails as "truncated" instead of as std::bad_alloc.
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
    if (n > data_.size() - at_) fail("model file is truncated");
    const char* p = data_.data() + at_;
    at_ += n;
    return p;
  }
  size_t left() const { return data_.size() - at_; }
  template <typename T>
  std::vector<T> array(size_t expect, const char* what) {
    const uint64_t n = pod<uint64_t>();
    if (n != expect) fail(fmt::format("model file is inconsistent ({} has {} entries, expected {})", what, n, expect));
    if (n > left() / sizeof(T)) fail("model file is truncated");
    const char* p = take(n * sizeof(T));
    std::vector<T> v(n);
    if (n) std::memcpy(v.data(), p, n * sizeof(T));  // an empty vector's data() may be null
    return v;
  }
  std::vector<std::string> strings(size_t expect, const char* what) {
    const uint64_t n = pod<uint64_t>();
    if (n != expect) fail(fmt::format("model file is inconsistent ({} has {} entries, expected {})", what, n, expect));
    if (n > left() / sizeof(uint32_t)) fail("model file is truncated");
    std::vector<std::string> v(n);
    for (auto& s : v) {
      const uint32_t len = pod<uint32_t>();
      s.assign(take(len), len);
    }
    return v;
  }
  [[noreturn]] void fail(const std::string& what) const { throw DataError(where(path_, 0, what)); }

 private:
  std::string path_;
  std::string_view data_;
  size_t at_ = 0;
};

// The header's fields, each checked for its type and range: a forged header must give a message,
// never a raw JSON exception or an allocation sized by it.
struct Header {
  ModelKind kind;
  uint32_t dim;
  size_t n_users, n_items;
  Precision precision;
  float global_mean, rating_min, rating_max;
  Objective objective = Objective::rating;
  std::optional<FoldInPrior> fold_in;  // absent in checkpoints written before it was saved
  nlohmann::json meta;
};

Header parse_header(const nlohmann::json& h, size_t file_bytes, const Reader& r) {
  auto bad = [&](const std::string& key, const char* expected) -> void {
    r.fail(fmt::format("model header field '{}' must be {}", key, expected));
  };
  if (!h.is_object()) r.fail("model header is not a JSON object");
  for (const char* key : {"kind", "dim", "precision", "n_users", "n_items", "global_mean", "rating_min", "rating_max", "meta"})
    if (!h.contains(key)) r.fail(fmt::format("model header is missing the field '{}'", key));
  Header out;
  const auto& kind = h["kind"];
  if (!kind.is_string() || (kind != "plain" && kind != "biased")) bad("kind", "\"biased\" or \"plain\"");
  out.kind = kind == "plain" ? ModelKind::plain : ModelKind::biased;
  // Every user and item takes at least 4 bytes of the file (its name's length): a bound on the counts.
  auto count = [&](const char* key, uint64_t lo, uint64_t hi) -> uint64_t {
    const auto& v = h[key];
    if (!v.is_number_unsigned() || v.get<uint64_t>() < lo || v.get<uint64_t>() > hi)
      bad(key, fmt::format("an integer from {} to {} for this file's size", lo, hi).c_str());
    return v.get<uint64_t>();
  };
  const uint64_t max_rows = std::min<uint64_t>(file_bytes / 4, UINT32_MAX - 1);  // UINT32_MAX is npos
  out.n_users = count("n_users", 0, max_rows);
  out.n_items = count("n_items", 0, max_rows);
  // ease is as wide as its catalogue; its item table (items x dim) is then checked against the file.
  out.dim = uint32_t(count("dim", 1, std::max<uint64_t>(1u << 16, out.n_items)));
  if (!h["precision"].is_string()) bad("precision", "a string (fp32, bf16 or fp16)");
  try {
    out.precision = parse_precision(h["precision"]);
  } catch (const UsageError& e) {
    r.fail(std::string("model header: ") + e.what());
  }
  auto number = [&](const char* key) {
    const auto& v = h[key];
    if (!v.is_number() || !std::isfinite(v.get<double>())) bad(key, "a finite number");
    return v.get<float>();
  };
  out.global_mean = number("global_mean");
  out.rating_min = number("rating_min");
  out.rating_max = number("rating_max");
  if (!(out.rating_min <= out.rating_max)) r.fail("model header: rating_min is above rating_max");
  // Written since the registry (ranking engines, typed fold-in priors); older files get the defaults.
  if (h.contains("objective")) {
    const auto& o = h["objective"];
    if (!o.is_string() || (o != "rating" && o != "ranking")) bad("objective", "\"rating\" or \"ranking\"");
    out.objective = o == "ranking" ? Objective::ranking : Objective::rating;
  }
  if (h.contains("fold_in")) {
    const auto& f = h["fold_in"];
    if (!f.is_object()) bad("fold_in", "an object");
    if (!f.contains("kind") || !f["kind"].is_string()) bad("fold_in.kind", "a string");
    for (const char* key : {"reg_per_rating", "noise_variance", "alpha", "unobserved_weight", "reg", "reg_exponent", "recency"})
      if (f.contains(key) && (!f[key].is_number() || !std::isfinite(f[key].get<double>())))
        bad(std::string("fold_in.") + key, "a finite number");
    if (f.contains("confidence") && !f["confidence"].is_string()) bad("fold_in.confidence", "a string (binary, linear or log)");
    try {
      out.fold_in = FoldInPrior::from_json(f);
    } catch (const UsageError& e) {
      r.fail(std::string("model header: fold_in: ") + e.what());
    }
  }
  out.meta = h["meta"];
  // What the library reads back from meta (fold-in's ridge, --resume's epoch count) must have its type.
  if (!out.meta.is_object()) bad("meta", "an object");
  if (out.meta.contains("epochs_done") && !out.meta["epochs_done"].is_number_unsigned()) bad("meta.epochs_done", "an integer >= 0");
  if (out.meta.contains("noise_variance") && !out.meta["noise_variance"].is_number()) bad("meta.noise_variance", "a number");
  if (out.meta.contains("options")) {
    const auto& o = out.meta["options"];
    if (!o.is_object()) bad("meta.options", "an object");
    if (o.contains("optimizer") && !o["optimizer"].is_string()) bad("meta.options.optimizer", "a string");
    for (const char* key : {"reg", "batch_size"})
      if (o.contains(key) && !o[key].is_number()) bad(std::string("meta.options.") + key, "a number");
  }
  return out;
}

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

namespace {

void encode(const Model& m, Writer& w) {
  const std::string h = json_text(m.info());
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
}

}  // namespace

std::string encode_model(const Model& m) {
  Writer w;
  encode(m, w);
  std::string out;
  for (std::string_view piece : w.finish()) out.append(piece);
  return out;
}

void save_model(const Model& m, const std::string& path) {
  Writer w;
  encode(m, w);
  write_file_atomically(path, w.finish());
}

Model load_model(const std::string& path) {
  // A map, not a read: the magic number is checked before the rest of the file is touched (a huge
  // file that is not a model fails at once), and a whole file is never copied.
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))
    throw DataError(where(path, 0, "not a regular file (a model file was expected)"));
  std::unique_ptr<MappedFile> file;
  try {
    file = std::make_unique<MappedFile>(path);
  } catch (const DataError& e) {
    throw DataError(where(path, 0, std::string("cannot open the model: ") + e.what()));
  }
  return decode_model(file->view(), path);
}

Model decode_model(std::string_view data, const std::string& path) {
  if (data.size() < sizeof kMagic || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0)
    throw DataError(where(path, 0, "not an mfrec model file (bad magic number)"));
  Reader r(path, data.substr(0, data.size() >= 8 ? data.size() - 8 : 0));
  r.take(sizeof kMagic);
  const auto version = r.pod<uint32_t>();
  if (version != kCheckpointVersion)
    r.fail(fmt::format("model file format version {}; this mfrec reads version {}", version, kCheckpointVersion));
  if (data.size() < 8 + 4 + 8 + 8) r.fail("model file is truncated");
  uint64_t stored;
  std::memcpy(&stored, data.data() + data.size() - 8, 8);
  if (stored != checkpoint::checksum(data.data(), data.size() - 8))
    r.fail("model file is corrupted or truncated (checksum mismatch)");

  const auto hlen = r.pod<uint64_t>();
  if (hlen > r.left()) r.fail("model file is truncated");
  nlohmann::json json;
  try {
    json = parse_json(std::string_view(r.take(hlen), hlen));
  } catch (const JsonError& e) {
    r.fail(std::string("model header: ") + e.what());
  }
  const Header h = parse_header(json, data.size(), r);
  const size_t nu = h.n_users, ni = h.n_items;
  Model m;
  m.kind = h.kind;
  m.objective = h.objective;
  m.dim = h.dim;
  m.global_mean = h.global_mean;
  m.rating_min = h.rating_min;
  m.rating_max = h.rating_max;
  m.meta = h.meta;
  m.fold_in = h.fold_in ? *h.fold_in : legacy_prior(m.meta);  // meta's options are type-checked above
  m.users = IdMap::from_names(r.strings(nu, "the user ids"));
  m.items = IdMap::from_names(r.strings(ni, "the item ids"));
  if (m.users.size() != nu || m.items.size() != ni) r.fail("model file has repeated ids");
  m.catalog.titles = r.strings(ni, "the titles");
  m.catalog.genres = r.strings(ni, "the genres");
  m.user_mean = r.array<float>(nu, "the user means");
  m.user_bias = r.array<float>(nu, "the user biases");
  m.item_bias = r.array<float>(ni, "the item biases");
  for (auto [f, rows] : {std::pair{&m.P, nu}, std::pair{&m.Q, ni}}) {
    const uint64_t bytes = r.pod<uint64_t>();
    const size_t row_bytes = size_t(h.dim) * precision_bytes(h.precision);
    if (rows > r.left() / row_bytes) r.fail("model file is truncated");
    if (bytes != rows * row_bytes) r.fail("model file is inconsistent (factor table size)");
    const char* p = r.take(bytes);
    *f = FactorMatrix(rows, h.dim, h.precision);
    if (bytes) std::memcpy(f->raw(), p, bytes);
  }
  m.seen.offsets = r.array<uint64_t>(nu + 1, "the seen-item offsets");
  const uint64_t n_seen = m.seen.offsets.back();
  if (n_seen > r.left() / sizeof(uint32_t)) r.fail("model file is inconsistent (seen items: the last offset is out of range)");
  m.seen.items = r.array<uint32_t>(n_seen, "the seen items");
  if (const std::string why = m.inconsistency(); !why.empty()) r.fail("model file is inconsistent (" + why + ")");
  if (r.left() != 0) r.fail("model file is inconsistent (bytes after the last table)");
  return m;
}

}  // namespace mfrec
