#pragma once
// `mfrec serve`: the model over HTTP/JSON (cpp-httplib), with a web page at `/`.
//
//   GET  /v1/recommend?user=ID&k=10[&include_seen=1]   top-k for a known user
//   GET  /v1/similar?item=ID&k=10[&min_count=20]  (or ?user=ID)   cosine neighbours, with each one's
//                                                      training count (items: at least min_count)
//   GET  /v1/predict?user=ID&item=ID                   one rating (unknown ids: Model::predict_any),
//                                                      from the rating model when there is one
//   POST /v1/foldin  {"ratings":[{"item":"1193","rating":5}],"k":10}   top-k for a new user
//   GET  /v1/items?q=toy[&limit=20]                    title search (accents, case and word order
//                                                      do not matter), most rated first
//   POST /v1/reload                                    load the checkpoint(s) again and swap them in
//   GET  /healthz, GET /metrics (Prometheus text), GET / (the page)
//
// Errors are JSON, {"error":{"status":404,"message":"..."}}: 400 malformed request, 404 unknown id
// or route, 405 wrong method, 408 a request that did not arrive in time, 411 a POST without a
// length, 413 body too large, 414 request line too long, 422 a value out of range (k, limit,
// rating), 500 a failed reload (the old model keeps serving), 503 over the connection limit (when
// no connection is idle to make room).
//
// Lists (recommend, foldin) say the "objective" of the model they come from: "rating" (each item's
// "score" is a predicted rating, clipped to the model's range) or "ranking" (an implicit engine's
// score, of which only the order means something, shown as it is). With a rating model beside a
// ranking one (ServeOptions::rating_model_path), the lists still come from the ranking model and
// each listed item also carries "predicted": the rating model's rating for that user and item
// (matched by external ids; ids it does not know get Model::predict_any's fallback; a folded-in
// user is folded into the rating model too), clipped to its range.
//
// Reload is atomic: the serving model is a std::shared_ptr swapped atomically; a request holds the
// one it started with until it has answered, so requests in flight finish on the old model.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "mfrec/recommend.h"

namespace mfrec {

struct ServeOptions {
  std::string model_path;
  std::string rating_model_path;   // optional: a model with Objective::rating whose predictions go beside the lists
  std::string host = "127.0.0.1";  // loopback unless told otherwise
  int port = 8080;                 // 0: any free port (see Server::port)
  unsigned threads = 512;          // connections served at once, a thread each (started as they come, up to 1000)
  int request_timeout_ms = 5000;   // a request must arrive whole within this of its first byte (else 408),
                                   // and its answer be read whole within this of its first byte (else
                                   // the connection closes)
  int idle_timeout_ms = 5000;      // a kept-alive connection closes after this without a request
  size_t max_body = 64 * 1024;     // bytes; larger bodies get 413
  size_t max_k = 1000;             // k (and limit) above this get 422
  void validate() const;           // throws UsageError
};

class Server {
 public:
  // Loads the model(s): throws DataError, or UsageError when options are wrong (a rating model
  // whose objective is not rating among them).
  explicit Server(ServeOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds (throws UsageError when the address cannot be bound) and serves on a background thread;
  // returns once connections are accepted.
  void start();
  void stop();     // stops accepting, finishes the requests in flight, joins
  int port() const;  // the bound port (after start)

  // Loads the checkpoint at options.model_path (and the one at rating_model_path, when given) again
  // and swaps them in together; returns the new version. Throws (DataError, or UsageError when the
  // rating model is not one) when either cannot be loaded, and the old pair keeps serving.
  uint64_t reload();
  uint64_t model_version() const;

  // What a client would read back after sending `requests` (raw HTTP/1.1 bytes: one request, or
  // several kept alive) on one connection, answered by the same parser and routes, without a socket
  // and without start(). For tests and fuzzing; the end of the bytes is the client closing.
  std::string answer(std::string_view requests);
  std::shared_ptr<const Recommender> recommender() const;         // the lists' model (--model)
  std::shared_ptr<const Recommender> rating_recommender() const;  // the rating model, or null

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace mfrec
