#pragma once
// An httplib stream over bytes in memory: reads come from a request text, writes are kept. It lets
// Server::answer run httplib's parser and the routes on raw requests without a socket (the HTTP
// fuzz harness and its regression test drive the server this way).
#include <httplib.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

namespace mfrec::serve {

class MemoryStream final : public httplib::Stream {
 public:
  explicit MemoryStream(std::string_view in) : in_(in) {}
  bool unread() const { return at_ < in_.size(); }
  const std::string& written() const { return out_; }

  bool is_readable() const override { return true; }  // the end reads as a closed connection
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t n) override {
    const size_t take = std::min(n, in_.size() - at_);
    std::memcpy(ptr, in_.data() + at_, take);
    at_ += take;
    return ssize_t(take);
  }
  ssize_t write(const char* ptr, size_t n) override {
    out_.append(ptr, n);
    return ssize_t(n);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override { ip = "127.0.0.1", port = 0; }
  void get_local_ip_and_port(std::string& ip, int& port) const override { ip = "127.0.0.1", port = 0; }
  socket_t socket() const override { return INVALID_SOCKET; }

 private:
  std::string_view in_;
  size_t at_ = 0;
  std::string out_;
};

}  // namespace mfrec::serve
