#include "dataplane/server/local_reply.hpp"
#include "dataplane/io/stream.hpp"

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
    case LocalReason::kUnresolvedBackend:
      return http::status::internal_server_error;
  }
  return http::status::internal_server_error;
}

namespace {

// "404 Not Found\n": the body of a reply that brings none.
std::string status_line_text(unsigned status) {
  return std::to_string(status) + " " +
         std::string(http::obsolete_reason(static_cast<http::status>(status))) + "\n";
}

}  // namespace

middleware::Reply local_reply(LocalReason reason, std::string_view detail) {
  const auto status = status_for(reason);
  middleware::Reply r;
  r.status = static_cast<unsigned>(status);
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  if (status == http::status::service_unavailable) r.headers.emplace_back("Retry-After", "10");
  r.body = std::to_string(r.status) + " " + std::string(http::obsolete_reason(status));
  if (!detail.empty()) {
    r.body += ": ";
    r.body += detail;
  }
  r.body += '\n';
  return r;
}

bool is_grpc(std::string_view content_type) {
  constexpr std::string_view kGrpc = "application/grpc";
  return content_type.size() >= kGrpc.size() &&
         beast::iequals(content_type.substr(0, kGrpc.size()), kGrpc) &&
         (content_type.size() == kGrpc.size() || content_type[kGrpc.size()] == '+' ||
          content_type[kGrpc.size()] == ';');
}

namespace {

unsigned grpc_code(unsigned http_status) {
  switch (http_status) {
    case 400:
      return 13;  // INTERNAL
    case 401:
      return 16;  // UNAUTHENTICATED
    case 403:
      return 7;  // PERMISSION_DENIED
    case 404:
    case 501:
      return 12;  // UNIMPLEMENTED
    case 413:
    case 431:
      return 8;  // RESOURCE_EXHAUSTED
    case 429:
    case 502:
    case 503:
    case 504:
      return 14;  // UNAVAILABLE
    default:
      return 2;  // UNKNOWN
  }
}

// grpc-message is percent-encoded (the gRPC over HTTP/2 spec): everything outside printable
// ASCII and '%' itself.
std::string grpc_message(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (c == '\n') break;  // The first line says it.
    if (c < 0x20 || c > 0x7e || c == '%') {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

middleware::Reply grpc_reply(const middleware::Reply& reply) {
  middleware::Reply out;
  out.status = 200;
  out.no_body = true;
  out.headers.emplace_back("Content-Type", "application/grpc");
  out.headers.emplace_back("grpc-status", std::to_string(grpc_code(reply.status)));
  std::string text = reply.body.empty() ? status_line_text(reply.status) : reply.body;
  out.headers.emplace_back("grpc-message", grpc_message(text));
  return out;
}

void reply_fields(const middleware::Reply& reply, const std::vector<middleware::HeaderOp>& ops,
                  http::fields& fields, std::string& body) {
  fields.set(http::field::server, "wharf");
  // Inserted, not set: an auth server's answer may carry Set-Cookie more than once.
  for (const auto& [name, value] : reply.headers) fields.insert(name, value);
  body.clear();
  const unsigned st = reply.status;
  // 1xx, 204 and 304 have no body (RFC 9110 sections 15.2, 15.3.5, 15.4.5).
  if (!reply.no_body && !(st < 200 || st == 204 || st == 304)) {
    if (fields.count(http::field::content_type) == 0) {
      fields.set(http::field::content_type, "text/plain; charset=utf-8");
    }
    body = reply.body.empty() ? status_line_text(st) : reply.body;
  }
  middleware::apply(ops, fields);
}

awaitable<error_code> write_reply(Stream& stream, const middleware::Reply& reply,
                                  const std::vector<middleware::HeaderOp>& ops, unsigned version,
                                  bool keep_alive, bool head_request) {
  http::response<http::empty_body> res{static_cast<http::status>(reply.status),
                                       version < 10 ? 11u : version};
  std::string body;
  reply_fields(reply, ops, res.base(), body);
  res.keep_alive(keep_alive);
  // Said explicitly even to HTTP/1.0 clients, for whom closing is the default anyway.
  if (!keep_alive) res.set(http::field::connection, "close");
  // 1xx, 204 and 304 have no Content-Length either (RFC 9110 section 8.6).
  const unsigned st = reply.status;
  if (!(st < 200 || st == 204 || st == 304)) res.content_length(body.size());
  std::string head;
  proxy::write_head(res.base(), head);
  std::array<asio::const_buffer, 2> parts{
      asio::buffer(head), asio::buffer(head_request ? std::string_view{} : std::string_view(body))};
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

}  // namespace wharf::dataplane::server
