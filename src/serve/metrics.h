#pragma once
// Prometheus counters for the HTTP service: requests by route and status, a latency histogram per
// route. Lock-free: every field is a relaxed atomic, so recording costs a few increments.
#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace mfrec::serve {

enum class Route : uint8_t { recommend, similar, predict, foldin, items, reload, healthz, metrics, page, other };
inline constexpr size_t kRoutes = 10;
Route route_of(std::string_view path);
const char* route_name(Route r);

struct ModelGauges {
  uint64_t version = 0, reloads = 0, reload_failures = 0, users = 0, items = 0;
  double loaded_unix_seconds = 0;
};

class Metrics {
 public:
  static constexpr std::array<double, 14> kBuckets = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                      0.01,    0.025,  0.05,    0.1,    0.25,   1.0,   5.0};
  static constexpr std::array<int, 9> kStatuses = {200, 400, 404, 405, 413, 422, 500, 503, 0};  // 0: any other

  void record(Route route, int status, double seconds);
  std::string render(const ModelGauges& model) const;  // the Prometheus text format, version 0.0.4

 private:
  static size_t status_slot(int status);
  std::array<std::array<std::atomic<uint64_t>, kStatuses.size()>, kRoutes> requests_{};
  std::array<std::array<std::atomic<uint64_t>, kBuckets.size() + 1>, kRoutes> buckets_{};  // not cumulative
  std::array<std::atomic<uint64_t>, kRoutes> nanos_{};
};

}  // namespace mfrec::serve
