// The HTTP routes of `mfrec serve` (see mfrec/serve.h), the error mapping, metrics and reload.
#include <httplib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/json_io.h"
#include "mfrec/error.h"
#include "mfrec/serve.h"
#include "serve/connections.h"
#include "serve/http_util.h"
#include "serve/json_out.h"
#include "serve/memory_stream.h"
#include "serve/metrics.h"
#include "serve/page.h"
#include "serve/serving_model.h"

namespace mfrec {
namespace {

using httplib::Request;
using httplib::Response;
using namespace serve;
using Clock = std::chrono::steady_clock;

// httplib listens with a backlog of 5 (fixed when the library was built): a burst of new
// connections overflows it and waits for the kernel's SYN retry, a second or more. Listening again
// on the bound socket raises the backlog. The connections themselves are served by
// serve::Connections (bounded times and counts), which hands each request to httplib's parser.
struct HttpServer : httplib::Server {
  void raise_backlog(int backlog) const { ::listen(svr_sock_, backlog); }
  int listener() const { return svr_sock_; }
  bool handle(httplib::Stream& strm, bool close, bool& closed) { return process_request(strm, close, closed, nullptr); }
  void close_listener() {
    const socket_t sock = svr_sock_.exchange(INVALID_SOCKET);
    if (sock != INVALID_SOCKET) ::close(sock);
  }
};

thread_local Clock::time_point t_request_start{};

// A JSON integer as decimal text: unsigned ones as unsigned (18446744073709551615 is not "-1").
std::string integer_text(const nlohmann::json& v) {
  return v.is_number_unsigned() ? std::to_string(v.get<uint64_t>()) : std::to_string(v.get<int64_t>());
}  // set when routing begins, read by the logger

}  // namespace

void ServeOptions::validate() const {
  if (model_path.empty()) throw UsageError("`model` is required");
  if (port < 0 || port > 65535) throw UsageError("`port` must be between 0 and 65535");
  // httplib 0.11 answers 500 on descriptors past FD_SETSIZE (1024): connections stay below it.
  if (threads < 1 || threads > 1000) throw UsageError("`threads` must be between 1 and 1000");
  if (request_timeout_ms < 1 || idle_timeout_ms < 1) throw UsageError("`request_timeout_ms` and `idle_timeout_ms` must be at least 1");
  if (max_k < 1) throw UsageError("max_k must be at least 1");
}

struct Server::State {
  ServeOptions o;
  HttpServer http;
  std::atomic<std::shared_ptr<const ServingModel>> current;
  std::mutex reload_mutex;
  std::atomic<uint64_t> reloads{0}, reload_failures{0};
  serve::Metrics metrics;
  std::unique_ptr<serve::Connections> connections;
  std::thread thread;
  int port = -1;

  explicit State(ServeOptions options) : o(std::move(options)) {}

  // Wraps a route: holds the serving model for the whole request and maps errors to JSON.
  template <typename F>
  httplib::Server::Handler route(F f) {
    return [this, f](const Request& req, Response& res) {
      try {
        const Query query = parse_query(req.target);  // strictly; httplib's req.params are not used
        const std::shared_ptr<const ServingModel> m = current.load();
        f(req, query, res, *m);
      } catch (const HttpError& e) {
        send_error(res, e.status, e.what());
      } catch (const UsageError& e) {
        send_error(res, 400, e.what());
      } catch (const std::exception& e) {
        // Not the client's fault and not its business: the library's text goes to the log only.
        fmt::print(stderr, "mfrec serve: internal error on {}: {}\n", req.path, e.what());
        send_error(res, 500, "internal error");
      }
    };
  }

  void routes();
  uint64_t reload() {
    std::lock_guard lock(reload_mutex);  // one reload at a time; requests never wait for it
    const uint64_t next = current.load()->version + 1;
    // Loading is background work: a thread of its own at a lower priority, so that the requests
    // being served keep the cores first.
    std::shared_ptr<const ServingModel> fresh;
    std::exception_ptr failure;
    std::thread loader([&] {
      ::setpriority(PRIO_PROCESS, ::gettid(), 10);
      try {
        fresh = ServingModel::load(o.model_path, o.rating_model_path, next);
      } catch (...) {
        failure = std::current_exception();
      }
    });
    loader.join();
    if (failure) {
      ++reload_failures;
      std::rethrow_exception(failure);
    }
    current.store(std::move(fresh));
    ++reloads;
    return next;
  }
  void recommend(const Request& req, const Query& q, Response& res, const ServingModel& m);
  void similar(const Request& req, const Query& q, Response& res, const ServingModel& m);
  void predict(const Request& req, const Query& q, Response& res, const ServingModel& m);
  void foldin(const Request& req, const Query& q, Response& res, const ServingModel& m);
  void items(const Request& req, const Query& q, Response& res, const ServingModel& m);
};

void Server::State::recommend(const Request& req, const Query& q, Response& res, const ServingModel& m) {
  const std::string_view user = param(q, "user");
  const size_t k = int_param(q, "k", 10, 1, o.max_k);
  const bool include_seen = flag_param(q, "include_seen");
  const uint32_t u = find_id(m.model().users, user, "user");
  const auto top = m.mf.recommend(u, k, include_seen);
  fmt::memory_buffer b;
  b.append(std::string_view("{\"user\":"));
  serve::append_json_string(b, user);
  fmt::format_to(std::back_inserter(b), ",\"k\":{},\"model_version\":{}", k, m.version);
  append_rated_items(b, m, top, m.predicted(user, top));
  send_json(res, b);
}

void Server::State::similar(const Request& req, const Query& q, Response& res, const ServingModel& m) {
  const bool by_item = q.count("item") > 0, by_user = q.count("user") > 0;
  if (by_item == by_user) throw HttpError(400, "give exactly one of 'item' and 'user'");
  const size_t k = int_param(q, "k", 10, 1, o.max_k);
  const uint32_t min_count = uint32_t(int_param(q, "min_count", kDefaultMinCount, 0, UINT32_MAX));
  fmt::memory_buffer b;
  const std::string_view id = param(q, by_item ? "item" : "user");
  fmt::format_to(std::back_inserter(b), "{{\"{}\":", by_item ? "item" : "user");
  serve::append_json_string(b, id);
  fmt::format_to(std::back_inserter(b), ",\"k\":{},\"model_version\":{}", k, m.version);
  if (by_item) {
    const uint32_t i = find_id(m.model().items, id, "item");
    fmt::format_to(std::back_inserter(b), ",\"ratings\":{},\"min_count\":{}", m.rec().popularity()[i],
                   m.rec().min_count_for(min_count, k));
    append_similar_items(b, m, m.mf.similar_items(i, k, min_count));
  } else {
    const auto list = m.mf.similar_users(find_id(m.model().users, id, "user"), k);
    b.append(std::string_view(",\"users\":["));
    for (size_t r = 0; r < list.size(); ++r) {
      b.append(std::string_view(r ? ",{\"user\":" : "{\"user\":"));
      serve::append_json_string(b, m.model().users.external(list[r].index));
      b.append(std::string_view(",\"similarity\":"));
      serve::append_json_number(b, list[r].score);
      fmt::format_to(std::back_inserter(b), ",\"ratings\":{}}}", m.model().seen.count(list[r].index));
    }
    b.push_back(']');
  }
  send_json(res, b);
}

void Server::State::predict(const Request& req, const Query& q, Response& res, const ServingModel& m) {
  const std::string_view user = param(q, "user"), item = param(q, "item");
  const Model& model = m.predicting_model();  // the rating model when there is one
  const uint32_t u = model.users.find(user).value_or(Model::npos);
  const uint32_t i = model.items.find(item).value_or(Model::npos);
  // Unknown ids are not an error here: the prediction falls back as Model::predict_any documents.
  const char* fallback = u == Model::npos ? (i == Model::npos ? "\"unknown user and item\"" : "\"unknown user\"")
                                          : (i == Model::npos ? "\"unknown item\"" : "false");
  fmt::memory_buffer b;
  b.append(std::string_view("{\"user\":"));
  serve::append_json_string(b, user);
  b.append(std::string_view(",\"item\":"));
  serve::append_json_string(b, item);
  b.append(std::string_view(",\"rating\":"));
  serve::append_json_number(b, model.predict_any(u, i));
  fmt::format_to(std::back_inserter(b), ",\"fallback\":{},\"objective\":\"{}\",\"model_version\":{}", fallback,
                 objective_name(model.objective), m.version);
  send_json(res, b);
}

void Server::State::foldin(const Request& req, const Query& q, Response& res, const ServingModel& m) {
  if (req.body.size() > o.max_body) throw HttpError(413, fmt::format("the body is larger than {} bytes", o.max_body));
  nlohmann::json body;
  try {
    body = parse_json(req.body);
  } catch (const JsonError& e) {
    throw HttpError(400, std::string("the body: ") + e.what());
  }
  if (!body.is_object() || !body.contains("ratings") || !body["ratings"].is_array())
    throw HttpError(400, "expected {\"ratings\":[{\"item\":\"ID\",\"rating\":5},...]}");
  size_t k = int_param(q, "k", 10, 1, o.max_k);
  if (body.contains("k")) {
    if (!body["k"].is_number_integer()) throw HttpError(400, "'k' must be an integer");
    k = bounded(integer_text(body["k"]), "k", 1, o.max_k);
  }
  const Model& model = m.model();
  std::vector<FoldInRating> ratings;
  for (const auto& r : body["ratings"]) {
    if (!r.is_object() || !r.contains("item") || !r.contains("rating") || !r["rating"].is_number())
      throw HttpError(400, "each rating must be {\"item\":\"ID\",\"rating\":NUMBER}");
    const auto& item = r["item"];
    std::string id;
    if (item.is_string()) id = item.get<std::string>();
    else if (item.is_number_integer()) id = integer_text(item);
    else throw HttpError(400, "'item' must be a string or an integer");
    const float rating = r["rating"].get<float>();
    if (!(rating >= model.rating_min && rating <= model.rating_max))
      throw HttpError(422, fmt::format("a rating must be between {} and {}", model.rating_min, model.rating_max));
    ratings.push_back({find_id(model.items, id, "item"), rating});
  }
  const FoldedUser user = m.mf.fold_in(ratings);
  fmt::memory_buffer b;
  fmt::format_to(std::back_inserter(b), "{{\"k\":{},\"model_version\":{},\"rated\":{},\"mean\":", k, m.version,
                 user.rated.size());
  serve::append_json_number(b, user.mean);
  b.append(std::string_view(",\"bias\":"));
  serve::append_json_number(b, user.bias);
  const auto top = m.mf.recommend(user, k);
  append_rated_items(b, m, top, m.predicted(ratings, top));
  send_json(res, b);
}

void Server::State::items(const Request& req, const Query& q, Response& res, const ServingModel& m) {
  auto it = q.find("q");
  const std::string text = it == q.end() ? "" : it->second;
  if (text.size() > 200) throw HttpError(422, "'q' is longer than 200 characters");
  const size_t limit = int_param(q, "limit", 20, 1, std::min<size_t>(o.max_k, 100));
  const auto found = m.search(text, limit);
  const auto& pop = m.rec().popularity();
  fmt::memory_buffer b;
  b.append(std::string_view("{\"q\":"));
  serve::append_json_string(b, text);
  fmt::format_to(std::back_inserter(b), ",\"model_version\":{},\"items\":[", m.version);
  for (size_t r = 0; r < found.size(); ++r) {
    if (r) b.push_back(',');
    fmt::format_to(std::back_inserter(b), "{{{},\"ratings\":{}}}", m.item_json[found[r]], pop[found[r]]);
  }
  b.push_back(']');
  send_json(res, b);
}

void Server::State::routes() {
  http.Get("/v1/recommend", route([this](auto& req, auto& q, auto& r, auto& m) { recommend(req, q, r, m); }));
  http.Get("/v1/similar", route([this](auto& req, auto& q, auto& r, auto& m) { similar(req, q, r, m); }));
  http.Get("/v1/predict", route([this](auto& req, auto& q, auto& r, auto& m) { predict(req, q, r, m); }));
  http.Post("/v1/foldin", route([this](auto& req, auto& q, auto& r, auto& m) { foldin(req, q, r, m); }));
  http.Get("/v1/items", route([this](auto& req, auto& q, auto& r, auto& m) { items(req, q, r, m); }));
  http.Get("/healthz", route([](const Request&, const Query&, Response& res, const ServingModel& m) {
    res.set_content(fmt::format("{{\"status\":\"ok\",\"model_version\":{},\"users\":{},\"items\":{},\"dim\":{},"
                                "\"objective\":\"{}\",\"rating_model\":{}}}\n",
                                m.version, m.model().n_users(), m.model().n_items(), m.model().dim,
                                objective_name(m.model().objective), m.rating ? "true" : "false"),
                    "application/json");
  }));
  http.Get("/metrics", route([this](const Request&, const Query&, Response& res, const ServingModel& m) {
    const serve::ModelGauges g{m.version, reloads.load(), reload_failures.load(), m.model().n_users(),
                               m.model().n_items(), m.loaded_unix_seconds};
    res.set_content(metrics.render(g), "text/plain; version=0.0.4; charset=utf-8");
  }));
  http.Post("/v1/reload", [this](const Request&, Response& res) {
    const auto t0 = Clock::now();
    try {
      const uint64_t version = reload();
      res.set_content(fmt::format("{{\"status\":\"ok\",\"model_version\":{},\"seconds\":{:.3f}}}\n", version,
                                  std::chrono::duration<double>(Clock::now() - t0).count()),
                      "application/json");
    } catch (const std::exception& e) {
      send_error(res, 500, fmt::format("reload failed, still serving version {}: {}", current.load()->version, e.what()));
    }
  });
  http.Get("/", [](const Request&, Response& res) {
    const std::string_view page = page_html();
    res.set_content(page.data(), page.size(), "text/html; charset=utf-8");
  });

  // Before httplib reads a body: a Content-Length it would misread (-5 as 2^64 - 5, an overflow) or
  // a POST with none (which it would read until the client hangs up) is answered at once, and the
  // connection closes after the answer, since the unread body is not a next request.
  http.set_pre_routing_handler([this](const Request& req, Response& res) {
    t_request_start = Clock::now();
    try {
      check_framing(req, o.max_body);
    } catch (const HttpError& e) {
      send_error(res, e.status, e.what());
      serve::Connections::close_after_response();
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  http.set_logger([this](const Request& req, const Response& res) {
    const double seconds = t_request_start == Clock::time_point{}
                               ? 0.0
                               : std::chrono::duration<double>(Clock::now() - t_request_start).count();
    t_request_start = {};
    metrics.record(serve::route_of(req.path), res.status, seconds);
  });
  // Every error httplib produces itself (no such route, a body over the limit, a malformed request
  // line or body, a request that did not arrive in time) gets the same JSON shape as ours; a known
  // path with the wrong method is a 405. After a malformed request the connection closes.
  http.set_error_handler([this](const Request& req, Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404 && serve::route_of(req.path) != serve::Route::other)
      return send_error(res, 405, fmt::format("{} is not allowed on {}", req.method, req.path));
    if (res.status != 404) serve::Connections::close_after_response();
    if (serve::Connections::request_timed_out())
      return send_error(res, 408, fmt::format("the request did not arrive within {} ms", o.request_timeout_ms));
    if (res.status == 413) return send_error(res, 413, fmt::format("the request body is larger than {} bytes", o.max_body));
    if (res.status == 414) return send_error(res, 414, "the request line is longer than 8192 bytes");
    if (res.status == 400 && req.has_header("Transfer-Encoding"))
      return send_error(res, 400, "the chunked request body is malformed");
    send_error(res, res.status, res.status == 404 ? fmt::format("no route {}", req.path) : reason(res.status));
  });
  http.set_exception_handler([](const Request&, Response& res, std::exception_ptr) {
    send_error(res, 500, "internal error");
  });
}

Server::Server(ServeOptions options) : state_(std::make_unique<State>(std::move(options))) {
  State& s = *state_;
  s.o.validate();
  s.current.store(ServingModel::load(s.o.model_path, s.o.rating_model_path, 1));
  s.http.set_payload_max_length(s.o.max_body);
  s.http.set_tcp_nodelay(true);
  // httplib's default also sets SO_REUSEPORT, which lets a second server bind the same port and
  // silently take half the connections: keep SO_REUSEADDR (quick restarts) only.
  s.http.set_socket_options([](socket_t sock) {
    const int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  // What the Keep-Alive header announces; serve::Connections enforces it.
  s.http.set_keep_alive_max_count(1000);
  s.http.set_keep_alive_timeout(std::max(1, s.o.idle_timeout_ms / 1000));
  serve::ConnectionLimits limits;
  limits.max_connections = s.o.threads;
  limits.request_timeout_ms = s.o.request_timeout_ms;
  limits.write_timeout_ms = s.o.request_timeout_ms;
  limits.idle_timeout_ms = s.o.idle_timeout_ms;
  limits.max_requests = 1000;
  s.connections = std::make_unique<serve::Connections>(
      limits, [&s](httplib::Stream& strm, bool close, bool& closed) { return s.http.handle(strm, close, closed); });
  s.routes();
}

Server::~Server() { stop(); }

void Server::start() {
  State& s = *state_;
  if (s.thread.joinable()) return;
  const bool bound = s.o.port == 0 ? (s.port = s.http.bind_to_any_port(s.o.host)) > 0
                                   : s.http.bind_to_port(s.o.host, s.o.port) && (s.port = s.o.port) > 0;
  if (!bound) throw UsageError(fmt::format("cannot listen on {}:{} (in use, or not an address of this machine)", s.o.host, s.o.port));
  s.http.raise_backlog(SOMAXCONN);
  // Connections that arrive before the loop runs wait in the backlog.
  s.thread = std::thread([&s] { s.connections->run(s.http.listener()); });
}

void Server::stop() {
  State& s = *state_;
  if (!s.thread.joinable()) return;
  s.connections->stop();
  s.thread.join();
  s.http.close_listener();
}

int Server::port() const { return state_->port; }

std::string Server::answer(std::string_view requests) {
  State& s = *state_;
  serve::MemoryStream strm(requests);
  // As serve::Connections serves a connection: up to its request count, until one closes it.
  for (size_t left = 1000; left > 0 && strm.unread(); --left) {
    serve::Connections::begin_request();
    bool closed = false;
    const bool ok = s.http.handle(strm, left == 1, closed);
    if (!ok || closed || serve::Connections::closes_after_response()) break;
  }
  return strm.written();
}

uint64_t Server::reload() { return state_->reload(); }

uint64_t Server::model_version() const { return state_->current.load()->version; }

// Aliasing pointers: each keeps its version of the models alive, as a reload may replace it.
std::shared_ptr<const Recommender> Server::recommender() const {
  auto m = state_->current.load();
  return {m, &m->rec()};
}

std::shared_ptr<const Recommender> Server::rating_recommender() const {
  auto m = state_->current.load();
  if (!m->rating) return nullptr;
  return {m, &m->rating->recommender()};
}

}  // namespace mfrec
