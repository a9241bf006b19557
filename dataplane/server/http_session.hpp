#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "dataplane/metrics/route_stats.hpp"
#include "dataplane/net.hpp"
#include "dataplane/proxy/exchange.hpp"
#include "dataplane/proxy/forwarded.hpp"
#include "dataplane/proxy/relay_buffer.hpp"
#include "dataplane/server/local_reply.hpp"

namespace wharf::dataplane::server {

class Worker;

// Serves one client connection: reads request heads, routes, and hands each request to the
// proxy; requests are answered strictly in order, which is what makes pipelining safe.
class HttpSession {
 public:
  HttpSession(Worker& worker, tcp::socket socket, const tcp::endpoint& peer,
              std::string entrypoint);
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  awaitable<void> run();

  // Drain: a connection waiting for its next request is closed now; one with a request in
  // flight finishes that request and closes after it.
  void close_if_idle();

 private:
  // Reads the first bytes and, when they start a TLS handshake, completes it (SNI picks the
  // certificate); false when the connection is over before its first request.
  awaitable<bool> detect_tls();
  // Clears what metrics and the access log say about the previous request.
  void start_request();
  // Handles one request; false when the connection must close afterwards.
  awaitable<bool> handle_request();
  // Metrics and the access log line of the request just answered.
  void finish_request();
  awaitable<bool> reply(LocalReason reason, bool keep_alive, std::string_view detail = {});
  awaitable<bool> reply(const middleware::Reply& r, bool keep_alive);
  // The 503 for a service with no server that is up, or an errors middleware's page for it.
  awaitable<bool> reply_no_server(const http::fields& req, std::string_view target,
                                  bool keep_alive);

  Worker& worker_;
  Stream stream_;
  std::string entrypoint_;
  model::IpAddress peer_;
  std::string peer_text_;  // peer_ formatted once: every request's forwarding headers use it.
  beast::flat_buffer buffer_;
  beast::flat_buffer upstream_buffer_;
  proxy::RelayBuffer relay_buffer_;
  bool waiting_ = false;  // True while no byte of the next request has arrived.
  // The client may still be sending what the last request left unread: a body that was refused
  // or not forwarded, or whatever follows a refused head. Closing then lingers (Stream::shutdown).
  bool may_be_sending_ = false;
  unsigned version_ = 11;
  bool head_request_ = false;
  // Scratch strings reused across requests on this connection.
  std::string host_, path_, head_;
  // The request as middlewares rewrite it, and what they leave for the response.
  std::string raw_path_, raw_query_, origin_target_;
  std::vector<middleware::HeaderOp> response_ops_;
  std::vector<std::shared_ptr<void>> holds_;
  middleware::ExchangePolicy policy_;
  std::uint8_t ep_index_ = 0;  // This entrypoint in the metrics' labels.
  std::string tls_options_;    // The TLS options the handshake applied (their name), if any.

  // What metrics and the access log say about the current request; strings only for the log.
  struct Record {
    bool started = false;
    std::chrono::steady_clock::time_point start;
    metrics::Method method = metrics::Method::kGet;
    std::uint32_t route = 0;
    unsigned status = 0;
    std::optional<LocalReason> local;
    proxy::ExchangeReport report;
    bool logged = false;  // The strings below were filled (an access log is on).
    std::chrono::system_clock::time_point wall;
    std::string method_name, target, host, user_agent, referer, client, request_id;
    std::string router, service, upstream;
  } record_;
};

// Entry point for a freshly accepted connection.
// `peer` as accept(2) gave it (asking the socket again would be one more system call per
// connection).
awaitable<void> serve_connection(Worker& worker, tcp::socket socket, tcp::endpoint peer,
                                 std::string entrypoint);

}  // namespace wharf::dataplane::server
