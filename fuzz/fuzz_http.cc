// The server's request handling: the input is raw HTTP/1.1 bytes (one request or several kept alive)
// given to Server::answer, which runs httplib's parser, the framing checks, the strict query parser
// and every route without a socket. Two servers answer each input: a rating model alone, and a
// ranking model with a rating model beside it (the "predicted" and /v1/predict paths). Bad input must
// get a 4xx answer: a 500 (an exception the routes did not expect, its text shown) is a finding.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "mfrec/mfrec.h"

namespace mfrec::fuzz {
namespace {

namespace fs = std::filesystem;

// A small model of a small generated data set, with titles (for /v1/items), saved under `dir`.
std::string train_model(const std::string& dir, const std::string& optimizer) {
  const Dataset d = load_dataset({.path = dir + "/data"});
  const Split s = make_split(d.ratings, {});
  TrainOptions o;
  o.optimizer = optimizer;
  o.dim = 4;
  o.epochs = 2;
  o.threads = 1;
  o.lr = 0.01f;
  const std::string path = dir + "/" + optimizer + ".mfrec";
  save_model(fit(d, s, o).model, path);
  return path;
}

struct Servers {
  std::unique_ptr<Server> rating, pair;
};

Servers& servers() {
  static Servers s = [] {
    const std::string dir = (fs::temp_directory_path() / ("mfrec-fuzz-http-" + std::to_string(getpid()))).string();
    fs::create_directories(dir);
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(fs::temp_directory_path() / ("mfrec-fuzz-http-" + std::to_string(getpid())), ec);
    });
    write_synthetic(dir + "/data", {.users = 60, .items = 40, .ratings = 1500, .min_per_user = 5, .seed = 3});
    const std::string adam = train_model(dir, "adam"), ials = train_model(dir, "ials");
    ServeOptions o;
    o.port = 0;
    o.max_body = 4096;
    o.max_k = 50;
    Servers out;
    o.model_path = adam;
    out.rating = std::make_unique<Server>(o);
    o.model_path = ials;
    o.rating_model_path = adam;
    out.pair = std::make_unique<Server>(o);
    return out;
  }();
  return s;
}

// A status line of 500 in what the client reads. A body cannot fake one: JSON escapes the line
// break before it, and the other bodies (the page, /metrics) never echo the request.
bool has_500(const std::string& replies) {
  constexpr std::string_view line = "HTTP/1.1 500";
  for (size_t at = replies.find(line); at != std::string::npos; at = replies.find(line, at + 1))
    if (at == 0 || replies[at - 1] == '\n') return true;
  return false;
}

}  // namespace

void http_one(const uint8_t* data, size_t size) {
  const std::string_view requests(reinterpret_cast<const char*>(data), size);
  Servers& s = servers();
  for (Server* server : {s.rating.get(), s.pair.get()}) {
    const std::string replies = server->answer(requests);
    if (has_500(replies)) {
      std::fprintf(stderr, "fuzz_http: a 500 answer:\n%s\n", replies.substr(0, 2000).c_str());
      std::abort();
    }
  }
}

}  // namespace mfrec::fuzz

#ifndef MFREC_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mfrec::fuzz::http_one(data, size);
  return 0;
}
#endif
