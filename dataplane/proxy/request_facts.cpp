#include "dataplane/proxy/request_facts.hpp"

#include "dataplane/proxy/append.hpp"
#include "dataplane/proxy/downstream.hpp"
#include "dataplane/proxy/forwarded.hpp"
#include "text/split_list.hpp"

namespace wharf::dataplane::proxy {
namespace {

// Methods a server may receive twice without harm (RFC 9110 section 9.2.2).
bool idempotent(http::verb v) {
  return v == http::verb::get || v == http::verb::head || v == http::verb::options ||
         v == http::verb::trace || v == http::verb::put || v == http::verb::delete_;
}

}  // namespace

void make_upstream_request(const ForwardContext& ctx, http::request_header<>& req,
                           const ClientBody& body, UpstreamRequest& out) {
  auto& facts = out.facts;
  facts.head = req.method() == http::verb::head;
  facts.version = req.version();
  facts.upgrade = body.may_upgrade && wants_upgrade(req);
  facts.idempotent = idempotent(req.method());
  if (ctx.policy.compress) {
    if (auto it = req.find(http::field::accept_encoding); it != req.end()) {
      facts.accept_encoding = std::string(it->value());
    }
  }
  std::string upgrade = facts.upgrade ? std::string(req[http::field::upgrade]) : std::string();
  auto& up = out.head;
  up.base() = std::move(req);
  // TE is hop-by-hop and goes with the others; whether it said "trailers" is kept.
  if (auto te = up.find(http::field::te); te != up.end()) {
    for (auto token : text::split_list(te->value())) {
      facts.te_trailers = facts.te_trailers || beast::iequals(token, "trailers");
    }
  }
  up.version(11);
  // The target is not set here: each codec writes ctx.target, which may point into this
  // head's own start line (moved here, so still valid); setting it would copy the line.
  strip_hop_by_hop(up, /*trailers_follow=*/body.chunked);
  // After stripping: headers the client listed in Connection are gone, ours always stay.
  forwarded_headers(up, ctx.client_info, ctx.scheme, facts.forwarded);
  if (!ctx.request_id.empty()) {
    append(facts.forwarded, "X-Request-Id: ", ctx.request_id, "\r\n");
  }
  // We answer Expect: 100-continue ourselves once the upstream is connected (RFC 9110
  // section 10.1.1 lets a proxy do so), which spares the client a round trip to the upstream.
  // Found and removed in one pass comparing Beast's enum: a lookup by name, and another for
  // the erase, each walked the field set comparing names without case. The same pass notes
  // a gRPC call by its Content-Type (its local replies are gRPC statuses).
  bool grpc = false;
  for (auto it = up.begin(); it != up.end();) {
    const auto name = it->name();
    if (name == http::field::content_type) grpc = server::is_grpc(it->value());
    if (name != http::field::expect) {
      ++it;
      continue;
    }
    facts.expect_continue = facts.expect_continue || beast::iequals(it->value(), "100-continue");
    it = up.erase(it);
  }
  ctx.down.set_grpc(grpc);
  if (!ctx.service.pass_host_header) up.set(http::field::host, ctx.server->authority);
  if (facts.upgrade) {
    up.set(http::field::connection, "Upgrade");
    up.set(http::field::upgrade, upgrade);
  }
  out.body_follows = body.follows;
  if (body.chunked || (body.follows && !body.length)) {
    // A body of unknown length (an HTTP/2 client that sent no content-length) goes chunked to
    // an HTTP/1.1 server; an HTTP/2 server frames it in DATA frames and drops the field.
    up.chunked(true);
  } else if (body.length) {
    up.content_length(*body.length);
  }
}

void set_upstream_host(const ForwardContext& ctx, const routing::CompiledServer& server,
                       UpstreamRequest& up) {
  if (!ctx.service.pass_host_header) up.head.set(http::field::host, server.authority);
}

}  // namespace wharf::dataplane::proxy
