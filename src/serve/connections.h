#pragma once
// The server's connections, served with the bounds cpp-httplib 0.11 lacks. httplib gives each
// connection a pool thread for its whole life and polls idle ones every millisecond, so 500 idle
// connections (or 130 that send their headers a byte at a time) took every thread and stalled
// everyone for seconds. Here each connection gets a thread of its own from a pool that grows to
// `max_connections`; a request must arrive whole within `request_timeout_ms` of its first byte,
// and its answer be taken by the client within `write_timeout_ms` of its first byte (else the
// connection closes: a client that reads slowly or never holds a thread that long at most); an
// idle connection waits `idle_timeout_ms` (in poll, not a spin) for its next request; and at the
// limit, the connection idle the longest is closed to make room (if none is idle, the new one is
// answered 503). The HTTP parsing and routing stay httplib's (Server::process_request).
#include <httplib.h>

#include <functional>
#include <memory>

namespace mfrec::serve {

struct ConnectionLimits {
  size_t max_connections = 512;  // below 1000: httplib 0.11 answers 500 on descriptors >= FD_SETSIZE
  int request_timeout_ms = 5000;
  int idle_timeout_ms = 5000;
  int write_timeout_ms = 5000;
  size_t max_requests = 1000;  // per connection, then it closes
};

class Connections {
 public:
  // Handles one request read from the stream, as httplib::Server::process_request does.
  using Process = std::function<bool(httplib::Stream&, bool close_connection, bool& connection_closed)>;
  Connections(ConnectionLimits limits, Process process);
  ~Connections();

  void run(int listen_fd);  // the accept loop, until stop()
  void stop();              // stops accepting, lets requests being handled answer, closes the rest, waits
  size_t open() const;      // connections open now

  // Called while handling a request: close the connection after this response (its body was not
  // read, so the next bytes on it are not a request).
  static void close_after_response();
  static bool closes_after_response();
  // Whether the request being handled ran out of time while it was read (the answer is then a 408).
  static bool request_timed_out();
  // Clears both flags above before a request (done here per request; Server::answer, which has no
  // connection, calls it itself).
  static void begin_request();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mfrec::serve
