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

#include "mfrec/error.h"
#include "mfrec/serve.h"
#include "serve/http_util.h"
#include "serve/json_out.h"
#include "serve/metrics.h"
#include "serve/serving_model.h"

namespace mfrec {
namespace {

using httplib::Request;
using httplib::Response;
using namespace serve;
using Clock = std::chrono::steady_clock;

// httplib listens with a backlog of 5 (fixed when the library was built): a burst of new
// connections overflows it and waits for the kernel's SYN retry, a second or more. Listening again
// on the bound socket raises the backlog.
struct HttpServer : httplib::Server {
  void raise_backlog(int backlog) const { ::listen(svr_sock_, backlog); }
};

thread_local Clock::time_point t_request_start{};  // set when routing begins, read by the logger

}  // namespace

void ServeOptions::validate() const {
  if (model_path.empty()) throw UsageError("--model is required");
  if (port < 0 || port > 65535) throw UsageError("--port must be between 0 and 65535");
  if (threads < 1 || threads > 4096) throw UsageError("--threads must be between 1 and 4096");
  if (max_k < 1) throw UsageError("max_k must be at least 1");
}

struct Server::State {
  ServeOptions o;
  HttpServer http;
  std::atomic<std::shared_ptr<const ServingModel>> current;
  std::mutex reload_mutex;
  std::atomic<uint64_t> reloads{0}, reload_failures{0};
  serve::Metrics metrics;
  std::thread thread;
  int port = -1;

  explicit State(ServeOptions options) : o(std::move(options)) {}

  // Wraps a route: holds the serving model for the whole request and maps errors to JSON.
  template <typename F>
  httplib::Server::Handler route(F f) {
    return [this, f](const Request& req, Response& res) {
      try {
        const std::shared_ptr<const ServingModel> m = current.load();
        f(req, res, *m);
      } catch (const HttpError& e) {
        send_error(res, e.status, e.what());
      } catch (const UsageError& e) {
        send_error(res, 400, e.what());
      } catch (const std::exception& e) {
        send_error(res, 500, e.what());
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
        fresh = ServingModel::load(o.model_path, next);
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
  void recommend(const Request& req, Response& res, const ServingModel& m);
  void similar(const Request& req, Response& res, const ServingModel& m);
  void predict(const Request& req, Response& res, const ServingModel& m);
  void foldin(const Request& req, Response& res, const ServingModel& m);
  void items(const Request& req, Response& res, const ServingModel& m);
};

void Server::State::recommend(const Request& req, Response& res, const ServingModel& m) {
  const std::string_view user = param(req, "user");
  const size_t k = int_param(req, "k", 10, 1, o.max_k);
  const bool include_seen = flag_param(req, "include_seen");
  const uint32_t u = find_id(m.model().users, user, "user");
  const auto top = m.rec->top_k(u, k, include_seen);
  fmt::memory_buffer b;
  b.append(std::string_view("{\"user\":"));
  serve::append_json_string(b, user);
  fmt::format_to(std::back_inserter(b), ",\"k\":{},\"model_version\":{}", k, m.version);
  append_rated_items(b, m, top);
  send_json(res, b);
}

void Server::State::similar(const Request& req, Response& res, const ServingModel& m) {
  const bool by_item = req.has_param("item"), by_user = req.has_param("user");
  if (by_item == by_user) throw HttpError(400, "give exactly one of 'item' and 'user'");
  const size_t k = int_param(req, "k", 10, 1, o.max_k);
  const uint32_t min_count = uint32_t(int_param(req, "min_count", kDefaultMinCount, 0, UINT32_MAX));
  fmt::memory_buffer b;
  const std::string_view id = param(req, by_item ? "item" : "user");
  fmt::format_to(std::back_inserter(b), "{{\"{}\":", by_item ? "item" : "user");
  serve::append_json_string(b, id);
  fmt::format_to(std::back_inserter(b), ",\"k\":{},\"model_version\":{}", k, m.version);
  if (by_item) {
    const uint32_t i = find_id(m.model().items, id, "item");
    fmt::format_to(std::back_inserter(b), ",\"ratings\":{},\"min_count\":{}", m.rec->popularity()[i],
                   m.rec->min_count_for(min_count, k));
    append_similar_items(b, m, m.rec->similar_items(i, k, min_count));
  } else {
    const auto list = m.rec->similar_users(find_id(m.model().users, id, "user"), k);
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

void Server::State::predict(const Request& req, Response& res, const ServingModel& m) {
  const std::string_view user = param(req, "user"), item = param(req, "item");
  const uint32_t u = m.model().users.find(user).value_or(Model::npos);
  const uint32_t i = m.model().items.find(item).value_or(Model::npos);
  // Unknown ids are not an error here: the prediction falls back as Model::predict_any documents.
  const char* fallback = u == Model::npos ? (i == Model::npos ? "\"unknown user and item\"" : "\"unknown user\"")
                                          : (i == Model::npos ? "\"unknown item\"" : "false");
  fmt::memory_buffer b;
  b.append(std::string_view("{\"user\":"));
  serve::append_json_string(b, user);
  b.append(std::string_view(",\"item\":"));
  serve::append_json_string(b, item);
  b.append(std::string_view(",\"rating\":"));
  serve::append_json_number(b, m.model().predict_any(u, i));
  fmt::format_to(std::back_inserter(b), ",\"fallback\":{},\"model_version\":{}", fallback, m.version);
  send_json(res, b);
}

void Server::State::foldin(const Request& req, Response& res, const ServingModel& m) {
  if (req.body.size() > o.max_body) throw HttpError(413, fmt::format("the body is larger than {} bytes", o.max_body));
  nlohmann::json body;
  try {
    body = nlohmann::json::parse(req.body);
  } catch (const nlohmann::json::exception&) {
    throw HttpError(400, "the body is not valid JSON");
  }
  if (!body.is_object() || !body.contains("ratings") || !body["ratings"].is_array())
    throw HttpError(400, "expected {\"ratings\":[{\"item\":\"ID\",\"rating\":5},...]}");
  size_t k = int_param(req, "k", 10, 1, o.max_k);
  if (body.contains("k")) {
    if (!body["k"].is_number_integer()) throw HttpError(400, "'k' must be an integer");
    k = bounded(std::to_string(body["k"].get<long long>()), "k", 1, o.max_k);
  }
  const Model& model = m.model();
  std::vector<FoldInRating> ratings;
  for (const auto& r : body["ratings"]) {
    if (!r.is_object() || !r.contains("item") || !r.contains("rating") || !r["rating"].is_number())
      throw HttpError(400, "each rating must be {\"item\":\"ID\",\"rating\":NUMBER}");
    const auto& item = r["item"];
    std::string id;
    if (item.is_string()) id = item.get<std::string>();
    else if (item.is_number_integer()) id = std::to_string(item.get<long long>());
    else throw HttpError(400, "'item' must be a string or an integer");
    const float rating = r["rating"].get<float>();
    if (!(rating >= model.rating_min && rating <= model.rating_max))
      throw HttpError(422, fmt::format("a rating must be between {} and {}", model.rating_min, model.rating_max));
    ratings.push_back({find_id(model.items, id, "item"), rating});
  }
  const FoldedUser user = m.rec->fold_in(ratings);
  fmt::memory_buffer b;
  fmt::format_to(std::back_inserter(b), "{{\"k\":{},\"model_version\":{},\"rated\":{},\"mean\":", k, m.version,
                 user.rated.size());
  serve::append_json_number(b, user.mean);
  b.append(std::string_view(",\"bias\":"));
  serve::append_json_number(b, user.bias);
  append_rated_items(b, m, m.rec->top_k(user, k));
  send_json(res, b);
}

void Server::State::items(const Request& req, Response& res, const ServingModel& m) {
  auto it = req.params.find("q");
  const std::string q = it == req.params.end() ? "" : it->second;
  if (q.size() > 200) throw HttpError(422, "'q' is longer than 200 characters");
  const size_t limit = int_param(req, "limit", 20, 1, std::min<size_t>(o.max_k, 100));
  const auto found = m.search(q, limit);
  const auto& pop = m.rec->popularity();
  fmt::memory_buffer b;
  b.append(std::string_view("{\"q\":"));
  serve::append_json_string(b, q);
  fmt::format_to(std::back_inserter(b), ",\"model_version\":{},\"items\":[", m.version);
  for (size_t r = 0; r < found.size(); ++r) {
    if (r) b.push_back(',');
    fmt::format_to(std::back_inserter(b), "{{{},\"ratings\":{}}}", m.item_json[found[r]], pop[found[r]]);
  }
  b.push_back(']');
  send_json(res, b);
}

void Server::State::routes() {
  http.Get("/v1/recommend", route([this](auto& q, auto& r, auto& m) { recommend(q, r, m); }));
  http.Get("/v1/similar", route([this](auto& q, auto& r, auto& m) { similar(q, r, m); }));
  http.Get("/v1/predict", route([this](auto& q, auto& r, auto& m) { predict(q, r, m); }));
  http.Post("/v1/foldin", route([this](auto& q, auto& r, auto& m) { foldin(q, r, m); }));
  http.Get("/v1/items", route([this](auto& q, auto& r, auto& m) { items(q, r, m); }));
  http.Get("/healthz", route([](const Request&, Response& res, const ServingModel& m) {
    res.set_content(fmt::format("{{\"status\":\"ok\",\"model_version\":{},\"users\":{},\"items\":{},\"dim\":{}}}\n",
                                m.version, m.model().n_users(), m.model().n_items(), m.model().dim),
                    "application/json");
  }));
  http.Get("/metrics", route([this](const Request&, Response& res, const ServingModel& m) {
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

  http.set_pre_routing_handler([](const Request&, Response&) {
    t_request_start = Clock::now();
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
  // line) gets the same JSON shape as ours; a known path with the wrong method is a 405.
  http.set_error_handler([](const Request& req, Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404 && serve::route_of(req.path) != serve::Route::other)
      return send_error(res, 405, fmt::format("{} is not allowed on {}", req.method, req.path));
    if (res.status == 413) return send_error(res, 413, "the request body is too large");
    if (res.status == 400 && req.method == "POST" && !req.has_header("Content-Length"))
      return send_error(res, 400, "a POST needs a Content-Length header (with curl: -d '' or --data-binary @file)");
    send_error(res, res.status, res.status == 404 ? fmt::format("no route {}", req.path) : reason(res.status));
  });
  http.set_exception_handler([](const Request&, Response& res, std::exception_ptr) {
    send_error(res, 500, "internal error");
  });
}

Server::Server(ServeOptions options) : state_(std::make_unique<State>(std::move(options))) {
  State& s = *state_;
  s.o.validate();
  s.current.store(ServingModel::load(s.o.model_path, 1));
  const unsigned threads = s.o.threads;
  s.http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  s.http.set_payload_max_length(s.o.max_body);
  s.http.set_tcp_nodelay(true);
  // httplib's default also sets SO_REUSEPORT, which lets a second server bind the same port and
  // silently take half the connections: keep SO_REUSEADDR (quick restarts) only.
  s.http.set_socket_options([](socket_t sock) {
    const int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  // Each worker serves one connection at a time: a connection closes after 1000 requests so that
  // connections beyond --threads get their turn instead of starving.
  s.http.set_keep_alive_max_count(1000);
  s.http.set_keep_alive_timeout(5);
  s.http.set_read_timeout(5);
  s.http.set_write_timeout(5);
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
  s.thread = std::thread([&s] { s.http.listen_after_bind(); });
  while (!s.http.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void Server::stop() {
  State& s = *state_;
  if (!s.thread.joinable()) return;
  s.http.stop();
  s.thread.join();
}

int Server::port() const { return state_->port; }

uint64_t Server::reload() { return state_->reload(); }

uint64_t Server::model_version() const { return state_->current.load()->version; }

std::shared_ptr<const Recommender> Server::recommender() const { return state_->current.load()->rec; }

}  // namespace mfrec
