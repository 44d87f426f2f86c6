// `mfrec serve`: the model over HTTP/JSON with a web page (see mfrec/serve.h). SIGHUP reloads the
// checkpoint; SIGINT and SIGTERM stop the server after the requests in flight.
#include <pthread.h>
#include <signal.h>

#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"
#include "mfrec/serve.h"

namespace mfrec::cli {
namespace {

void run(const ServeOptions& o) {
  // Block the signals in every thread (those started later inherit the mask); this one waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGHUP, SIGINT, SIGTERM}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Server server(o);
  server.start();
  if (o.host != "127.0.0.1" && o.host != "localhost" && o.host != "::1")
    fmt::print(stderr, "mfrec serve: warning: listening on {}, not loopback: anyone who can reach it can use it\n", o.host);
  const auto& m = server.recommender()->model();
  const std::string rating = o.rating_model_path.empty() ? "" : ", rating model " + o.rating_model_path;
  fmt::print("mfrec serve: listening on http://{}:{}/ ({} users, {} items, {} model {}{}, {} threads); "
             "POST /v1/reload or SIGHUP reloads the model{}\n",
             o.host, server.port(), m.n_users(), m.n_items(), objective_name(m.objective), o.model_path, rating,
             o.threads, rating.empty() ? "" : "s");
  std::fflush(stdout);
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig != SIGHUP) break;
    try {
      const uint64_t version = server.reload();
      fmt::print("mfrec serve: reloaded {}{} (model version {})\n", o.model_path,
                 o.rating_model_path.empty() ? "" : " and " + o.rating_model_path, version);
    } catch (const std::exception& e) {
      fmt::print(stderr, "mfrec serve: reload failed, the previous model keeps serving: {}\n", e.what());
    }
    std::fflush(stdout);
  }
  fmt::print("mfrec serve: stopping\n");
  server.stop();
}

}  // namespace

void add_serve(CLI::App& app) {
  auto* cmd = app.add_subcommand("serve", "serve the model over HTTP/JSON, with a web page at /");
  auto o = std::make_shared<ServeOptions>();
  cmd->add_option("--model", o->model_path, "model file (model.mfrec): the lists come from it")->required();
  cmd->add_option("--rating_model", o->rating_model_path,
                  "a model trained for ratings, beside a ranking --model: each listed item also gets its "
                  "predicted rating, and /v1/predict answers from it");
  cmd->add_option("--port", o->port, "TCP port (0: any free port, printed at start)")->capture_default_str();
  cmd->add_option("--host", o->host, "address to bind (loopback unless told otherwise)")->capture_default_str();
  cmd->add_option("--threads", o->threads, "connections served at once, a thread each (at most 1000); at the limit the longest-idle connection is closed to make room, or the new one gets 503")->capture_default_str();
  cmd->add_option("--request_timeout_ms", o->request_timeout_ms, "a request must arrive whole within this of its first byte (else 408), and its answer be read within this of its first byte (else the connection closes)")->capture_default_str();
  cmd->add_option("--idle_timeout_ms", o->idle_timeout_ms, "a kept-alive connection closes after this without a request")->capture_default_str();
  cmd->add_option("--max_body", o->max_body, "largest request body in bytes (larger: 413)")->capture_default_str();
  cmd->add_option("--max_k", o->max_k, "largest k a request may ask for (larger: 422)")->capture_default_str();
  cmd->callback([o] { run(*o); });
}

}  // namespace mfrec::cli
