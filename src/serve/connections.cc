#include "serve/connections.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace mfrec::serve {
namespace {

using Clock = std::chrono::steady_clock;

thread_local bool t_close_after = false;
thread_local bool t_timed_out = false;

int poll_one(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int n = ::poll(&p, 1, std::max(timeout_ms, 0));
    if (n >= 0 || errno != EINTR) return n;
  }
}

void address_of(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  if ((peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&a), &len) : ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len)) != 0)
    return;
  char text[INET6_ADDRSTRLEN] = {};
  if (a.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&a);
    ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    port = ntohs(v4->sin_port);
  } else if (a.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&a);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    port = ntohs(v6->sin6_port);
  }
  ip = text;
}

// A socket stream whose reads share one deadline per request (a request that trickles in byte by
// byte is cut when it runs out, not after each byte's own timeout), buffered as httplib's own, and
// whose writes share one deadline per answer, from its first byte: a client that reads slowly or
// not at all is cut then. Writes never block past it (MSG_DONTWAIT): a blocking send of more than
// the socket takes would wait, with no timeout, for a client that never reads.
class DeadlineStream final : public httplib::Stream {
 public:
  DeadlineStream(int fd, int write_timeout_ms) : fd_(fd), write_timeout_ms_(write_timeout_ms) {}
  void set_deadline(Clock::time_point d) {
    deadline_ = d;
    write_deadline_.reset();
  }
  bool buffered() const { return at_ < size_; }

  bool is_readable() const override { return buffered() || poll_one(fd_, POLLIN, left_ms(deadline_)) > 0; }
  bool is_writable() const override { return poll_one(fd_, POLLOUT, left_ms(write_deadline())) > 0; }
  ssize_t read(char* ptr, size_t n) override {
    if (!buffered()) {
      if (poll_one(fd_, POLLIN, left_ms(deadline_)) <= 0) {
        t_timed_out = true;
        return -1;
      }
      ssize_t got;
      do got = ::recv(fd_, buf_.data(), buf_.size(), 0);
      while (got < 0 && errno == EINTR);
      if (got <= 0) return got;
      at_ = 0, size_ = size_t(got);
    }
    const size_t take = std::min(n, size_ - at_);
    std::memcpy(ptr, buf_.data() + at_, take);
    at_ += take;
    return ssize_t(take);
  }
  ssize_t write(const char* ptr, size_t n) override {
    for (;;) {  // httplib writes the rest again after a part
      const ssize_t sent = ::send(fd_, ptr, n, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (sent >= 0) return sent;
      if (errno == EINTR) continue;
      if ((errno != EAGAIN && errno != EWOULDBLOCK) || poll_one(fd_, POLLOUT, left_ms(write_deadline())) <= 0) return -1;
    }
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override { address_of(fd_, true, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { address_of(fd_, false, ip, port); }
  socket_t socket() const override { return fd_; }

 private:
  static int left_ms(Clock::time_point deadline) {
    return int(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
  }
  Clock::time_point write_deadline() const {
    if (!write_deadline_) write_deadline_ = Clock::now() + std::chrono::milliseconds(write_timeout_ms_);
    return *write_deadline_;
  }
  int fd_, write_timeout_ms_;
  Clock::time_point deadline_ = Clock::now();
  mutable std::optional<Clock::time_point> write_deadline_;  // set by the answer's first write
  std::array<char, 4096> buf_{};
  size_t at_ = 0, size_ = 0;
};

// The answer to a connection over the limit, written by the accepting thread without waiting.
const std::string& busy_reply() {
  static const std::string reply = [] {
    const std::string body = "{\"error\":{\"status\":503,\"message\":\"too many connections: the server is at its limit\"}}\n";
    return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  }();
  return reply;
}

}  // namespace

struct Connections::Impl {
  ConnectionLimits limits;
  Process process;
  struct Open {
    bool idle = true;  // waiting for a request's first byte: may be closed to make room
    Clock::time_point since = Clock::now();
  };
  mutable std::mutex mutex;
  std::condition_variable changed;
  std::condition_variable room;  // a connection ended or went idle: an acceptor at the limit goes on
  std::unordered_map<int, Open> open;  // by descriptor; only its own thread closes one
  std::deque<int> queue;               // accepted, not yet taken by a thread
  std::vector<std::thread> threads;
  size_t waiting_threads = 0;
  bool stopping = false;
  int wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

  void set_idle(int fd, bool idle) {
    std::lock_guard lock(mutex);
    auto it = open.find(fd);
    if (it != open.end()) it->second = {idle, Clock::now()};
    if (idle) room.notify_one();
  }

  // Admission at the limit: close the connection idle the longest; false when none is idle.
  bool make_room() {
    int oldest = -1;
    Clock::time_point when = Clock::time_point::max();
    for (const auto& [fd, o] : open)
      if (o.idle && o.since < when) oldest = fd, when = o.since;
    if (oldest < 0) return false;
    ::shutdown(oldest, SHUT_RDWR);  // its thread sees the end and closes it
    open[oldest].idle = false;       // not chosen twice
    return true;
  }

  void serve(int fd) {
    DeadlineStream strm(fd, limits.write_timeout_ms);
    for (size_t left = limits.max_requests; left > 0; --left) {
      if (!strm.buffered() && poll_one(fd, POLLIN, limits.idle_timeout_ms) <= 0) break;  // idle too long
      set_idle(fd, false);
      strm.set_deadline(Clock::now() + std::chrono::milliseconds(limits.request_timeout_ms));
      begin_request();
      bool closed = false;
      const bool ok = process(strm, left == 1, closed);
      if (!ok || closed || t_close_after || t_timed_out) break;
      set_idle(fd, true);
    }
    std::lock_guard lock(mutex);
    open.erase(fd);
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
    changed.notify_all();
    room.notify_one();
  }

  void worker() {
    std::unique_lock lock(mutex);
    for (;;) {
      ++waiting_threads;
      changed.wait(lock, [&] { return stopping || !queue.empty(); });
      --waiting_threads;
      if (queue.empty()) return;  // stopping
      const int fd = queue.front();
      queue.pop_front();
      lock.unlock();
      serve(fd);
      lock.lock();
    }
  }

  void admit(int fd) {
    std::unique_lock lock(mutex);
    // At the limit with none idle, wait a moment: on a loaded machine a thread that has just answered
    // or seen its client go can take that long to say so, and a 503 then would be wrong.
    const auto give_up = Clock::now() + std::chrono::milliseconds(100);
    bool full = open.size() >= limits.max_connections && !make_room();
    while (full && !stopping && room.wait_until(lock, give_up) != std::cv_status::timeout)
      full = open.size() >= limits.max_connections && !make_room();
    if (full) full = open.size() >= limits.max_connections && !make_room();
    if (stopping || full) {
      lock.unlock();
      ::send(fd, busy_reply().data(), busy_reply().size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      ::shutdown(fd, SHUT_RDWR);
      ::close(fd);
      return;
    }
    open[fd] = Open{};
    queue.push_back(fd);
    // A thread for every connection: one waiting takes it, else a new one joins the pool.
    if (waiting_threads < queue.size()) threads.emplace_back([this] { worker(); });
    changed.notify_one();
  }
};

Connections::Connections(ConnectionLimits limits, Process process) : impl_(std::make_unique<Impl>()) {
  impl_->limits = limits;
  impl_->process = std::move(process);
}

Connections::~Connections() {
  stop();
  if (impl_->wake >= 0) ::close(impl_->wake);
}

void Connections::run(int listen_fd) {
  Impl& s = *impl_;
  for (;;) {
    pollfd p[2] = {{listen_fd, POLLIN, 0}, {s.wake, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0 && errno != EINTR) break;
    {
      std::lock_guard lock(s.mutex);
      if (s.stopping) break;
    }
    if (!(p[0].revents & POLLIN)) continue;
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    const int yes = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    s.admit(fd);
  }
}

void Connections::stop() {
  Impl& s = *impl_;
  std::unique_lock lock(s.mutex);
  if (!s.stopping) {
    s.stopping = true;
    const uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(s.wake, &one, sizeof one);
    // Reading ends: a request being handled still sends its answer, then its connection closes.
    for (const auto& [fd, o] : s.open) ::shutdown(fd, SHUT_RD);
    for (int fd : s.queue) ::shutdown(fd, SHUT_RD);
  }
  s.changed.notify_all();
  s.room.notify_all();
  s.changed.wait(lock, [&] { return s.open.empty(); });
  std::vector<std::thread> threads = std::move(s.threads);
  lock.unlock();
  s.changed.notify_all();
  for (auto& t : threads) t.join();
}

size_t Connections::open() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->open.size();
}

void Connections::close_after_response() { t_close_after = true; }
bool Connections::closes_after_response() { return t_close_after; }
bool Connections::request_timed_out() { return t_timed_out; }
void Connections::begin_request() { t_close_after = t_timed_out = false; }

}  // namespace mfrec::serve
