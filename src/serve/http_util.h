#pragma once
// Helpers of the HTTP routes (private to src/serve): errors as JSON, query parameters with their
// bounds, and item lists written as JSON.
#include <httplib.h>

#include <charconv>
#include <map>
#include <span>
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
    case 408: return "request timeout";
    case 411: return "length required";
    case 413: return "request body too large";
    case 414: return "request line too long";
    case 416: return "range not satisfiable";
    case 422: return "value out of range";
    case 431: return "request headers too large";
    case 500: return "internal error";
    case 503: return "service unavailable";
    default: return status < 500 ? "bad request" : "server error";
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

// The body's framing, checked before httplib reads it: one Content-Length of decimal digits no
// larger than `max_body` (else 400 or 413), or a chunked body; a POST needs one or the other (411).
inline void check_framing(const Request& req, size_t max_body) {
  const bool chunked = req.has_header("Transfer-Encoding");
  if (chunked && req.get_header_value("Transfer-Encoding") != "chunked")
    throw HttpError(400, "the only Transfer-Encoding understood is chunked");
  if (req.get_header_value_count("Content-Length") > 1) throw HttpError(400, "more than one Content-Length header");
  if (req.has_header("Content-Length")) {
    if (chunked) throw HttpError(400, "both Content-Length and Transfer-Encoding were given");
    const std::string& v = req.get_header_value("Content-Length");
    if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos)
      throw HttpError(400, "Content-Length must be a number of bytes (digits only)");
    if (v.size() > 18 || std::stoull(v) > max_body)
      throw HttpError(413, fmt::format("the request body is larger than {} bytes", max_body));
  } else if (!chunked && (req.method == "POST" || req.method == "PUT" || req.method == "PATCH")) {
    throw HttpError(411, "a POST needs a Content-Length header (with curl: -d '' or --data-binary @file)");
  }
}

// The query string's parameters, parsed strictly: '&' alone separates them, a value is everything
// after the first '=' (so "user=1=2" asks for the user "1=2" and "user=1;k=2" for "1;k=2", never
// for "2"), a name given twice or a malformed %-escape is a 400.
using Query = std::map<std::string, std::string, std::less<>>;

inline int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

inline std::string decode_component(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t k = 0; k < s.size(); ++k) {
    if (s[k] == '+') {
      out += ' ';
    } else if (s[k] != '%') {
      out += s[k];
    } else {
      const int hi = k + 2 < s.size() ? hex_digit(s[k + 1]) : -1, lo = k + 2 < s.size() ? hex_digit(s[k + 2]) : -1;
      if (hi < 0 || lo < 0) throw HttpError(400, "a '%' in the query is not followed by two hex digits");
      out += char(hi * 16 + lo);
      k += 2;
    }
  }
  return out;
}

inline Query parse_query(std::string_view target) {
  Query q;
  const size_t mark = target.find('?');
  if (mark == std::string_view::npos) return q;
  std::string_view rest = target.substr(mark + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view part = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (part.empty()) continue;  // "a=1&&b=2"
    const size_t eq = part.find('=');
    std::string name = decode_component(part.substr(0, eq));
    if (name.empty()) throw HttpError(400, "a query parameter has no name");
    std::string value = eq == std::string_view::npos ? std::string() : decode_component(part.substr(eq + 1));
    if (!q.emplace(name, std::move(value)).second)
      throw HttpError(400, fmt::format("the parameter '{}' is given more than once", name));
  }
  return q;
}

inline std::string_view param(const Query& q, const char* name) {
  auto it = q.find(name);
  if (it == q.end() || it->second.empty()) throw HttpError(400, fmt::format("missing parameter '{}'", name));
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

inline size_t int_param(const Query& q, const char* name, size_t fallback, size_t lo, size_t hi) {
  auto it = q.find(name);
  return it == q.end() ? fallback : bounded(it->second, name, lo, hi);
}

inline bool flag_param(const Query& q, const char* name) {
  auto it = q.find(name);
  if (it == q.end()) return false;
  const std::string& v = it->second;
  if (v.empty() || v == "1" || v == "true" || v == "yes") return true;
  if (v == "0" || v == "false" || v == "no") return false;
  throw HttpError(400, fmt::format("'{}' must be 1 or 0", name));
}

inline uint32_t find_id(const IdMap& ids, std::string_view id, const char* what) {
  if (auto index = ids.find(id)) return *index;
  throw HttpError(404, fmt::format("unknown {} '{}'", what, id));
}

// ,"objective":"rating","items":[{...,"score":4.1234},...] for a list of items ranked by score. A
// rating model's score is shown clipped to its rating range (the order is the raw score's), a ranking
// model's as it is. `predicted` (the rating model's ratings, one per item; empty: none) adds
// "predicted":4.1 to each item.
inline void append_rated_items(fmt::memory_buffer& b, const ServingModel& m, const std::vector<Scored>& list,
                               std::span<const float> predicted = {}) {
  fmt::format_to(std::back_inserter(b), ",\"objective\":\"{}\",\"items\":[", objective_name(m.model().objective));
  for (size_t r = 0; r < list.size(); ++r) {
    if (r) b.push_back(',');
    b.push_back('{');
    b.append(m.item_json[list[r].index]);
    b.append(std::string_view(",\"score\":"));
    append_json_number(b, m.model().clip(list[r].score));
    if (r < predicted.size()) {
      b.append(std::string_view(",\"predicted\":"));
      append_json_number(b, predicted[r]);
    }
    b.push_back('}');
  }
  b.push_back(']');
}

// "items":[{...,"similarity":0.91,"ratings":1234},...]: neighbours with their training counts.
inline void append_similar_items(fmt::memory_buffer& b, const ServingModel& m, const std::vector<Scored>& list) {
  const auto& pop = m.rec().popularity();
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
