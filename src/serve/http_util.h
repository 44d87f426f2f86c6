#pragma once
// Helpers of the HTTP routes (private to src/serve): errors as JSON, query parameters with their
// bounds, and item lists written as JSON.
#include <httplib.h>

#include <charconv>
#include <stdexcept>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "mfrec/id_map.h"
#include "mfrec/recommend.h"
#include "serve/json_out.h"
#include "serve/serving_model.h"

namespace mfrec::serve {

using httplib::Request;
using httplib::Response;

// A request that cannot be answered: its status and message become the JSON error.
struct HttpError : std::runtime_error {
  int status;
  HttpError(int s, const std::string& what) : std::runtime_error(what), status(s) {}
};

inline const char* reason(int status) {
  switch (status) {
    case 400: return "bad request";
    case 404: return "not found";
    case 405: return "method not allowed";
    case 413: return "request body too large";
    case 422: return "value out of range";
    default: return "internal error";
  }
}

inline void send_error(Response& res, int status, std::string_view message) {
  res.status = status;
  res.set_content(fmt::format("{{\"error\":{{\"status\":{},\"message\":{}}}}}\n", status, json_string(message)),
                  "application/json");
}

inline void send_json(Response& res, fmt::memory_buffer& body) {
  body.append(std::string_view("}\n"));
  res.set_content(body.data(), body.size(), "application/json");
}

inline std::string_view param(const Request& req, const char* name) {
  auto it = req.params.find(name);
  if (it == req.params.end() || it->second.empty()) throw HttpError(400, fmt::format("missing parameter '{}'", name));
  return it->second;
}

// An integer parameter (or body field) in [lo, hi]: 400 when not an integer, 422 when out of range.
inline size_t bounded(std::string_view text, const char* name, size_t lo, size_t hi) {
  long long v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size())
    throw HttpError(ec == std::errc::result_out_of_range ? 422 : 400, fmt::format("'{}' must be an integer", name));
  if (v < (long long)lo || v > (long long)hi) throw HttpError(422, fmt::format("'{}' must be between {} and {}", name, lo, hi));
  return size_t(v);
}

inline size_t int_param(const Request& req, const char* name, size_t fallback, size_t lo, size_t hi) {
  auto it = req.params.find(name);
  return it == req.params.end() ? fallback : bounded(it->second, name, lo, hi);
}

inline bool flag_param(const Request& req, const char* name) {
  auto it = req.params.find(name);
  if (it == req.params.end()) return false;
  const std::string& v = it->second;
  if (v.empty() || v == "1" || v == "true" || v == "yes") return true;
  if (v == "0" || v == "false" || v == "no") return false;
  throw HttpError(400, fmt::format("'{}' must be 1 or 0", name));
}

inline uint32_t find_id(const IdMap& ids, std::string_view id, const char* what) {
  if (auto index = ids.find(id)) return *index;
  throw HttpError(404, fmt::format("unknown {} '{}'", what, id));
}

// "items":[{...,"score":4.1234},...] for a list of items ranked by predicted rating: the score
// shown is clipped to the model's rating range (the order is the raw score's).
inline void append_rated_items(fmt::memory_buffer& b, const ServingModel& m, const std::vector<Scored>& list) {
  b.append(std::string_view(",\"items\":["));
  for (size_t r = 0; r < list.size(); ++r) {
    if (r) b.push_back(',');
    b.push_back('{');
    b.append(m.item_json[list[r].index]);
    b.append(std::string_view(",\"score\":"));
    append_json_number(b, m.model().clip(list[r].score));
    b.push_back('}');
  }
  b.push_back(']');
}

// "items":[{...,"similarity":0.91,"ratings":1234},...]: neighbours with their training counts.
inline void append_similar_items(fmt::memory_buffer& b, const ServingModel& m, const std::vector<Scored>& list) {
  const auto& pop = m.rec->popularity();
  b.append(std::string_view(",\"items\":["));
  for (size_t r = 0; r < list.size(); ++r) {
    if (r) b.push_back(',');
    b.push_back('{');
    b.append(m.item_json[list[r].index]);
    b.append(std::string_view(",\"similarity\":"));
    append_json_number(b, list[r].score);
    fmt::format_to(std::back_inserter(b), ",\"ratings\":{}}}", pop[list[r].index]);
  }
  b.push_back(']');
}

}  // namespace mfrec::serve
