// mfrec_serve_stall: how long a normal request takes while other clients hold connections open
// without sending (idle) or send their headers a byte at a time (slowloris). A server on a free
// loopback port in this process; every count and time is bounded.
//
//   build/bench/mfrec_serve_stall --model FILE [--idle 500] [--slow 130] [--requests 1000] [--threads 512]
//
// Prints, for each case, the p50, p99 and largest latency of `--requests` GET /v1/recommend on a
// new connection each, and how many failed.
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "mfrec/mfrec.h"
#include "mfrec/serve.h"

namespace {

using Clock = std::chrono::steady_clock;

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(uint16_t(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 ? fd : (::close(fd), -1);
}

void measure(const char* name, int port, const mfrec::Model& m, int requests) {
  std::vector<double> ms;
  int failed = 0;
  for (int k = 0; k < requests; ++k) {
    httplib::Client c("127.0.0.1", port);
    c.set_connection_timeout(5);
    c.set_read_timeout(5);
    const auto t0 = Clock::now();
    auto res = c.Get("/v1/recommend?user=" + m.users.external(uint32_t(k % m.n_users())) + "&k=10");
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    if (!res || res->status != 200) ++failed;
  }
  std::sort(ms.begin(), ms.end());
  std::printf("%-28s %5d requests: p50 %7.2f ms  p99 %7.2f ms  max %8.2f ms  failed %d\n", name, requests,
              ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 99 / 100)], ms.back(), failed);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string model;
  int idle = 500, slow = 130, requests = 1000;
  unsigned threads = 512;
  for (int k = 1; k + 1 < argc; k += 2) {
    const std::string a = argv[k], v = argv[k + 1];
    if (a == "--model") model = v;
    else if (a == "--idle") idle = std::stoi(v);
    else if (a == "--slow") slow = std::stoi(v);
    else if (a == "--requests") requests = std::stoi(v);
    else if (a == "--threads") threads = unsigned(std::stoul(v));
  }
  if (model.empty()) {
    std::fprintf(stderr, "usage: mfrec_serve_stall --model FILE [--idle 500] [--slow 130] [--requests 1000] [--threads 512]\n");
    return 2;
  }
  mfrec::ServeOptions o;
  o.model_path = model;
  o.port = 0;
  o.threads = threads;
  mfrec::Server server(o);
  server.start();
  const mfrec::Model& m = server.recommender()->model();
  measure("alone", server.port(), m, requests);

  std::vector<int> held;
  for (int k = 0; k < idle; ++k) held.push_back(connect_to(server.port()));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  measure(("with " + std::to_string(idle) + " idle").c_str(), server.port(), m, requests);
  for (int fd : held) ::close(fd);
  held.clear();

  // Slowloris: each sends the start of a request, then one header byte every 500 ms until stopped.
  std::atomic<bool> done{false};
  std::vector<std::thread> trickle;
  for (int k = 0; k < slow; ++k) {
    trickle.emplace_back([&] {
      while (!done) {
        const int fd = connect_to(server.port());
        if (fd < 0) return;
        const std::string head = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
        ::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
        for (int b = 0; b < 40 && !done && ::send(fd, "a", 1, MSG_NOSIGNAL) == 1; ++b)
          std::this_thread::sleep_for(std::chrono::milliseconds(500));
        ::close(fd);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  measure(("with " + std::to_string(slow) + " slowloris").c_str(), server.port(), m, requests);
  done = true;
  for (auto& t : trickle) t.join();
  server.stop();
}
