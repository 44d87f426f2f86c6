// The server against hostile or broken clients, on loopback with bounded counts and times: strict
// query parsing, a JSON answer to every malformed request, idle and slow connections that cannot
// stall others, the connection limit, and a forged model refused by reload.
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "mfrec/serve.h"
#include "test_util.h"

namespace mfrec {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(uint16_t(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) ADD_FAILURE() << "connect failed";
  return fd;
}

// Everything the server sends on `fd` until it closes or `ms` pass.
std::string read_all(int fd, int ms) {
  std::string out;
  const auto deadline = Clock::now() + std::chrono::milliseconds(ms);
  for (char buf[4096];;) {
    const int left = int(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, left) <= 0) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, size_t(n));
  }
  return out;
}

// Sends `raw` on a fresh connection; the reply must come within 3 s.
std::string send_raw(int port, const std::string& raw) {
  const int fd = connect_to(port);
  ::send(fd, raw.data(), raw.size(), MSG_NOSIGNAL);
  std::string reply = read_all(fd, 3000);
  ::close(fd);
  return reply;
}

int status_of(const std::string& reply) { return reply.size() > 12 ? std::atoi(reply.c_str() + 9) : 0; }
json body_of(const std::string& reply) {
  const size_t at = reply.find("\r\n\r\n");
  return at == std::string::npos ? json() : json::parse(reply.substr(at + 4), nullptr, false);
}

class Hardened : public ::testing::Test {
 protected:
  void start(unsigned threads, int request_timeout_ms = 5000) {
    dir_ = test::scratch_dir("serve-hard");
    live_ = dir_ + "/model.mfrec";
    std::filesystem::copy_file(test::small_model(), live_);
    ServeOptions o;
    o.model_path = live_;
    o.port = 0;
    o.threads = threads;
    o.max_body = 4096;
    o.request_timeout_ms = request_timeout_ms;
    server_ = std::make_unique<Server>(o);
    server_->start();
  }
  void TearDown() override {
    if (server_) server_->stop();
  }
  // A normal request on a new connection (at most 3 s).
  int get(const std::string& path, std::string* body = nullptr) {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_connection_timeout(3);
    c.set_read_timeout(3);
    auto res = c.Get(path);
    if (!res) return -1;
    if (body) *body = res->body;
    return res->status;
  }
  std::string user(uint32_t u = 0) const { return server_->recommender()->model().users.external(u); }

  std::string dir_, live_;
  std::unique_ptr<Server> server_;
};

TEST_F(Hardened, QueriesAreParsedStrictly) {
  start(16);
  const std::string u = user(), v = user(1);
  std::string body;
  EXPECT_EQ(get("/v1/recommend?user=" + u + "&k=2"), 200);
  EXPECT_EQ(get("/v1/recommend?user=" + u + "=" + v, &body), 404);  // not user v
  EXPECT_NE(body.find("unknown user '" + u + "=" + v + "'"), std::string::npos) << body;
  EXPECT_EQ(get("/v1/recommend?user=" + u + ";k=" + v, &body), 404);
  EXPECT_NE(body.find("unknown user '" + u + ";k=" + v + "'"), std::string::npos) << body;
  EXPECT_EQ(get("/v1/recommend?user=" + u + "&user=" + v, &body), 400);
  EXPECT_NE(body.find("'user' is given more than once"), std::string::npos) << body;
  EXPECT_EQ(get("/v1/recommend?user=%G1"), 400);
  EXPECT_EQ(get("/v1/recommend?user=1%"), 400);
  EXPECT_EQ(get("/v1/recommend?=3&user=" + u), 400);
}

TEST_F(Hardened, MalformedRequestsGetAJsonAnswer) {
  start(16);
  const int port = server_->port();
  struct Case {
    std::string raw;
    int status;
    const char* words;
  };
  const std::string post = "POST /v1/foldin HTTP/1.1\r\nHost: x\r\n";
  const std::vector<Case> cases = {
      {"GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", 414, "longer than 8192 bytes"},
      {post + "Transfer-Encoding: chunked\r\n\r\nzz\r\nbody\r\n", 400, "chunked request body is malformed"},
      {post + "Content-Length: -5\r\n\r\n", 400, "Content-Length must be a number of bytes"},
      {post + "Content-Length: 99999999999999999999999\r\n\r\n", 413, "larger than 4096 bytes"},
      {post + "Content-Length: 5000\r\n\r\n{}", 413, "larger than 4096 bytes"},
      {post + "\r\n", 411, "needs a Content-Length header"},
      {post + "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}", 400, "more than one Content-Length"},
      {post + "Transfer-Encoding: gzip\r\n\r\n", 400, "only Transfer-Encoding understood is chunked"},
  };
  for (const auto& c : cases) {
    const std::string reply = send_raw(port, c.raw);
    EXPECT_EQ(status_of(reply), c.status) << c.raw.substr(0, 80) << "\n-> " << reply.substr(0, 300);
    const json j = body_of(reply);
    ASSERT_TRUE(j.is_object()) << reply.substr(0, 300);
    EXPECT_EQ(j["error"]["status"], c.status);
    EXPECT_NE(j["error"]["message"].get<std::string>().find(c.words), std::string::npos) << reply.substr(0, 300);
  }
  // A chunked body that is well formed is read.
  const std::string ok = R"({"ratings":[]})";
  const std::string reply = send_raw(port, post + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
                                               fmt::format("{:x}\r\n{}\r\n0\r\n\r\n", ok.size(), ok));
  EXPECT_EQ(status_of(reply), 200) << reply.substr(0, 300);
  // An unsigned 64-bit item id keeps its value in the message.
  httplib::Client c("127.0.0.1", port);
  auto res = c.Post("/v1/foldin", R"({"ratings":[{"item":18446744073709551615,"rating":3}]})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_NE(res->body.find("unknown item '18446744073709551615'"), std::string::npos) << res->body;
  EXPECT_EQ(get("/healthz"), 200);
}

TEST_F(Hardened, IdleConnectionsDoNotStallOthers) {
  start(8);  // five times more idle connections than the limit
  std::vector<int> idle;
  for (int k = 0; k < 40; ++k) idle.push_back(connect_to(server_->port()));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  for (int k = 0; k < 20; ++k) EXPECT_EQ(get("/v1/recommend?user=" + user(uint32_t(k)) + "&k=3"), 200) << k;
  for (int fd : idle) ::close(fd);
}

TEST_F(Hardened, SlowClientsAreCutAtTheRequestTimeout) {
  start(8, 300);
  const auto t0 = Clock::now();
  const int slow = connect_to(server_->port());
  const std::string head = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
  ::send(slow, head.data(), head.size(), MSG_NOSIGNAL);
  std::string reply;
  for (int k = 0; k < 120 && reply.empty(); ++k) {  // one byte every 50 ms, for 6 s at most
    ::send(slow, "a", 1, MSG_NOSIGNAL);
    reply = read_all(slow, 50);
  }
  ::close(slow);
  EXPECT_EQ(status_of(reply), 408) << reply;
  // Cut near the 300 ms timeout; the bound leaves room for a loaded machine (a client never cut would
  // have run the whole 6 s and got no reply).
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 5.0);
  // Six slow clients under a limit of eight: normal requests are still answered.
  std::vector<int> slows;
  for (int k = 0; k < 6; ++k) {
    slows.push_back(connect_to(server_->port()));
    ::send(slows.back(), head.data(), head.size(), MSG_NOSIGNAL);
  }
  for (int k = 0; k < 10; ++k) EXPECT_EQ(get("/healthz"), 200) << k;
  for (int fd : slows) ::close(fd);
}

// A client that asks for `requests` pages at once on one connection, with a small receive window
// (SO_RCVBUF before connect), and reads none of them yet. Returns the socket.
int greedy_client(int port, size_t requests) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  const int window = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &window, sizeof window);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(uint16_t(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) ADD_FAILURE() << "connect failed";
  std::string many;
  for (size_t k = 0; k < requests; ++k) many += "GET / HTTP/1.1\r\nHost: x\r\n\r\n";  // the page, ~10 KB each
  EXPECT_EQ(::send(fd, many.data(), many.size(), MSG_NOSIGNAL), ssize_t(many.size()));
  return fd;
}

// Bytes waiting in `fd`'s receive queue, once they stop growing (the server then waits on the client).
void wait_until_stuck(int fd) {
  int last = -1, now = 0;
  for (int k = 0; k < 100 && now != last; ++k) {
    last = now;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ::ioctl(fd, FIONREAD, &now);
  }
}

TEST_F(Hardened, AClientThatNeverReadsIsCutAtTheTimeout) {
  start(1, 300);  // one connection at a time: while its answer waits, the stuck client holds it
  const int stuck = greedy_client(server_->port(), 600);
  wait_until_stuck(stuck);
  // A blocking write with no deadline would keep the only slot for good (every other client: 503).
  const auto t0 = Clock::now();
  int status = 0;
  while (status != 200 && Clock::now() - t0 < std::chrono::seconds(6)) {
    status = get("/healthz");
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(status, 200);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 5.0);
  ::close(stuck);
}

TEST_F(Hardened, AClientThatReadsTooSlowlyIsCutAtTheTimeout) {
  start(4, 300);
  const int slow = greedy_client(server_->port(), 600);
  // 256 bytes every 20 ms: a page takes seconds to go through, more than the 300 ms an answer has.
  // Never cut, the 600 pages would take minutes; the loop gives up after 6 s.
  const auto t0 = Clock::now();
  bool cut = false;
  for (char buf[256]; !cut && Clock::now() - t0 < std::chrono::seconds(6);) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const ssize_t n = ::recv(slow, buf, sizeof buf, MSG_DONTWAIT);
    cut = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }
  EXPECT_TRUE(cut);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 5.0);
  EXPECT_EQ(get("/healthz"), 200);
  ::close(slow);
}

TEST_F(Hardened, OverTheLimitWithNoIdleConnectionIs503) {
  start(2, 3000);
  std::vector<int> busy;
  for (int k = 0; k < 2; ++k) {
    busy.push_back(connect_to(server_->port()));
    ::send(busy.back(), "GET /healthz HTTP/1.1\r\n", 23, MSG_NOSIGNAL);  // mid-request: not idle
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const std::string reply = send_raw(server_->port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(reply), 503) << reply;
  EXPECT_EQ(body_of(reply)["error"]["status"], 503);
  for (int fd : busy) ::close(fd);
  // Once they are gone there is room again.
  int status = 0;
  for (int k = 0; k < 50 && status != 200; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    status = get("/healthz");
  }
  EXPECT_EQ(status, 200);
}

TEST_F(Hardened, ReloadRefusesAForgedModelAndKeepsServing) {
  start(8);
  Model forged = load_model(live_);
  forged.seen.items[0] = 0xFFFFFFFFu;
  save_model(forged, live_);  // a valid checksum around an impossible seen item
  httplib::Client c("127.0.0.1", server_->port());
  auto res = c.Post("/v1/reload", "", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  EXPECT_NE(res->body.find("model file is inconsistent"), std::string::npos) << res->body;
  for (uint32_t u = 0; u < 5; ++u) EXPECT_EQ(get("/v1/recommend?user=" + user(u)), 200);
}

}  // namespace
}  // namespace mfrec
