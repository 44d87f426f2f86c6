#include "mfrec/metrics.h"

#include <cmath>

namespace mfrec {

ErrorMetrics evaluate(const Model& m, const Ratings& r) {
  double se = 0, ae = 0;
  size_t cold = 0;
  const int64_t n = int64_t(r.size());
  std::vector<uint8_t> item_known(m.n_items(), 0);
  for (uint32_t i : m.seen.items) item_known[i] = 1;
#pragma omp parallel for reduction(+ : se, ae, cold) schedule(static)
  for (int64_t k = 0; k < n; ++k) {
    const uint32_t u = r.user[k], i = r.item[k];
    const double e = double(m.predict_any(u, i)) - r.value[k];
    se += e * e;
    ae += std::abs(e);
    if (u == Model::npos || i == Model::npos || m.seen.count(u) == 0 || !item_known[i]) ++cold;  // not in training
  }
  ErrorMetrics out;
  out.count = r.size();
  out.cold = cold;
  out.rmse = n ? std::sqrt(se / double(n)) : std::nan("");  // NaN: nothing to measure (JSON null)
  out.mae = n ? ae / double(n) : std::nan("");
  return out;
}

Ratings to_model_ids(const Model& m, const Ratings& r, const IdMap& users, const IdMap& items) {
  Ratings out = r;
  for (size_t k = 0; k < r.size(); ++k) {
    out.user[k] = m.users.find(users.external(r.user[k])).value_or(Model::npos);
    out.item[k] = m.items.find(items.external(r.item[k])).value_or(Model::npos);
  }
  return out;
}

double rmse_raw(const Model& m, const Ratings& r) {
  double se = 0;
  const int64_t n = int64_t(r.size());
#pragma omp parallel for reduction(+ : se) schedule(static)
  for (int64_t k = 0; k < n; ++k) {
    const double e = double(m.predict_raw(r.user[k], r.item[k])) - r.value[k];
    se += e * e;
  }
  return n ? std::sqrt(se / double(n)) : std::nan("");
}

}  // namespace mfrec
