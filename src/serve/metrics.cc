#include "serve/metrics.h"

#include <fmt/format.h>

namespace mfrec::serve {

Route route_of(std::string_view path) {
  if (path == "/v1/recommend") return Route::recommend;
  if (path == "/v1/similar") return Route::similar;
  if (path == "/v1/predict") return Route::predict;
  if (path == "/v1/foldin") return Route::foldin;
  if (path == "/v1/items") return Route::items;
  if (path == "/v1/reload") return Route::reload;
  if (path == "/healthz") return Route::healthz;
  if (path == "/metrics") return Route::metrics;
  if (path == "/") return Route::page;
  return Route::other;  // unknown paths share one label, so that scanners cannot grow the series
}

const char* route_name(Route r) {
  static const char* const names[] = {"recommend", "similar", "predict", "foldin", "items",
                                      "reload",    "healthz", "metrics", "page",    "other"};
  return names[size_t(r)];
}

size_t Metrics::status_slot(int status) {
  for (size_t k = 0; k + 1 < kStatuses.size(); ++k)
    if (kStatuses[k] == status) return k;
  return kStatuses.size() - 1;
}

void Metrics::record(Route route, int status, double seconds) {
  const size_t r = size_t(route);
  requests_[r][status_slot(status)].fetch_add(1, std::memory_order_relaxed);
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  buckets_[r][b].fetch_add(1, std::memory_order_relaxed);
  nanos_[r].fetch_add(uint64_t(seconds * 1e9), std::memory_order_relaxed);
}

std::string Metrics::render(const ModelGauges& m) const {
  fmt::memory_buffer out;
  auto line = [&]<typename... A>(fmt::format_string<A...> f, A&&... args) {
    fmt::format_to(std::back_inserter(out), f, std::forward<A>(args)...);
  };
  line("# HELP mfrec_http_requests_total HTTP requests answered, by route and status code.\n");
  line("# TYPE mfrec_http_requests_total counter\n");
  for (size_t r = 0; r < kRoutes; ++r)
    for (size_t s = 0; s < kStatuses.size(); ++s) {
      const uint64_t n = requests_[r][s].load(std::memory_order_relaxed);
      if (!n) continue;
      const std::string code = kStatuses[s] ? std::to_string(kStatuses[s]) : "other";
      line("mfrec_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", route_name(Route(r)), code, n);
    }
  line("# HELP mfrec_http_request_duration_seconds Time from routing a request to writing its response.\n");
  line("# TYPE mfrec_http_request_duration_seconds histogram\n");
  for (size_t r = 0; r < kRoutes; ++r) {
    uint64_t total = 0;
    std::array<uint64_t, kBuckets.size() + 1> counts;
    for (size_t b = 0; b <= kBuckets.size(); ++b) total += counts[b] = buckets_[r][b].load(std::memory_order_relaxed);
    if (!total) continue;
    const char* name = route_name(Route(r));
    uint64_t cumulative = 0;
    for (size_t b = 0; b < kBuckets.size(); ++b) {
      cumulative += counts[b];
      line("mfrec_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", name, kBuckets[b], cumulative);
    }
    line("mfrec_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", name, total);
    line("mfrec_http_request_duration_seconds_sum{{route=\"{}\"}} {:.9f}\n", name,
         double(nanos_[r].load(std::memory_order_relaxed)) * 1e-9);
    line("mfrec_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", name, total);
  }
  line("# HELP mfrec_model_version Version of the serving model: 1 at start, one more per successful reload.\n");
  line("# TYPE mfrec_model_version gauge\nmfrec_model_version {}\n", m.version);
  line("# HELP mfrec_model_reloads_total Reloads by outcome.\n# TYPE mfrec_model_reloads_total counter\n");
  line("mfrec_model_reloads_total{{result=\"ok\"}} {}\n", m.reloads);
  line("mfrec_model_reloads_total{{result=\"failed\"}} {}\n", m.reload_failures);
  line("# HELP mfrec_model_loaded_timestamp_seconds When the serving model was loaded (Unix time).\n");
  line("# TYPE mfrec_model_loaded_timestamp_seconds gauge\nmfrec_model_loaded_timestamp_seconds {:.3f}\n",
       m.loaded_unix_seconds);
  line("# HELP mfrec_model_users Users the serving model knows.\n# TYPE mfrec_model_users gauge\nmfrec_model_users {}\n",
       m.users);
  line("# HELP mfrec_model_items Items the serving model knows.\n# TYPE mfrec_model_items gauge\nmfrec_model_items {}\n",
       m.items);
  return fmt::to_string(out);
}

}  // namespace mfrec::serve
