#include "dataplane/server/local_reply.hpp"

#include <array>
#include <boost/asio/write.hpp>
#include <tuple>

#include "dataplane/proxy/wire.hpp"

namespace wharf::dataplane::server {

http::status status_for(LocalReason reason) {
  switch (reason) {
    case LocalReason::kNoRoute:
      return http::status::not_found;
    case LocalReason::kNoServer:
      return http::status::service_unavailable;
    case LocalReason::kUpstreamConnect:
      return http::status::bad_gateway;
    case LocalReason::kUpstreamProtocol:
      return http::status::bad_gateway;
    case LocalReason::kUpstreamTimeout:
      return http::status::gateway_timeout;
    case LocalReason::kBadRequest:
      return http::status::bad_request;
    case LocalReason::kHeadersTooLarge:
      return http::status::request_header_fields_too_large;
    case LocalReason::kNotImplemented:
      return http::status::not_implemented;
    case LocalReason::kRequestTooLarge:
      return http::status::payload_too_large;
    case LocalReason::kResponseTooLarge:
      return http::status::internal_server_error;
    case LocalReason::kMisdirected:
      return http::status::misdirected_request;
  }
  return http::status::internal_server_error;
}

namespace {

awaitable<error_code> send(Stream& stream, http::response<http::string_body>& res, bool keep_alive,
                           bool head_request) {
  res.keep_alive(keep_alive);
  // Said explicitly even to HTTP/1.0 clients, for whom closing is the default anyway.
  if (!keep_alive) res.set(http::field::connection, "close");
  res.prepare_payload();
  std::string head;
  proxy::write_head(res.base(), head);
  // HEAD gets the same head, Content-Length included, but no body (RFC 9110 section 9.3.2).
  std::array<asio::const_buffer, 2> parts{
      asio::buffer(head),
      asio::buffer(head_request ? std::string_view{} : std::string_view(res.body()))};
  // At once when the socket takes it (proxy::write_now): a reply that ends the connection is
  // then followed by the FIN before the client has read it and closed first.
  stream.expires_after(std::chrono::seconds(30));
  error_code ec;
  if (!proxy::write_now(stream, parts, ec)) {
    std::tie(ec, std::ignore) =
        co_await asio::async_write(stream, parts, proxy::whole_write, kNoThrow);
  }
  co_return ec;
}

std::string status_line_text(unsigned status) {
  return std::to_string(status) + " " +
         std::string(http::obsolete_reason(static_cast<http::status>(status))) + "\n";
}

}  // namespace

awaitable<error_code> write_middleware_reply(Stream& stream, const middleware::Reply& reply,
                                             const std::vector<middleware::HeaderOp>& ops,
                                             unsigned version, bool keep_alive, bool head_request) {
  http::response<http::string_body> res{static_cast<http::status>(reply.status),
                                        version < 10 ? 11u : version};
  res.set(http::field::server, "wharf");
  // Inserted, not set: an auth server's answer may carry Set-Cookie more than once.
  for (const auto& [name, value] : reply.headers) res.insert(name, value);
  if (!reply.no_body) {
    if (res.count(http::field::content_type) == 0) {
      res.set(http::field::content_type, "text/plain; charset=utf-8");
    }
    res.body() = reply.body.empty() ? status_line_text(reply.status) : reply.body;
  }
  middleware::apply(ops, res.base());
  co_return co_await send(stream, res, keep_alive, head_request);
}

awaitable<error_code> write_local_reply(Stream& stream, LocalReason reason, unsigned version,
                                        bool keep_alive, bool head_request,
                                        std::string_view detail) {
  auto status = status_for(reason);
  http::response<http::string_body> res{status, version < 10 ? 11u : version};
  res.set(http::field::server, "wharf");
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  if (status == http::status::service_unavailable) res.set(http::field::retry_after, "10");
  std::string body = std::to_string(static_cast<unsigned>(status)) + " " +
                     std::string(http::obsolete_reason(status));
  if (!detail.empty()) {
    body += ": ";
    body += detail;
  }
  body += '\n';
  res.body() = std::move(body);
  co_return co_await send(stream, res, keep_alive, head_request);
}

}  // namespace wharf::dataplane::server
