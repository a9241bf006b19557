// libFuzzer target: the request-head path of the data plane without sockets: head detection
// (obs-fold, size limit), Beast's parser, the framing checks and target splitting, then host
// and path normalization as routing does them.
#include <cstddef>
#include <cstdint>
#include <string>

#include "dataplane/proxy/h1_relay.hpp"
#include "dataplane/server/request_head.hpp"
#include "rules/ast.hpp"

using namespace wharf::dataplane;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::size_t skip = 0;
  auto head = server::find_request_head(bytes, skip);
  if (head.status != server::HeadStatus::kOk) return 0;
  proxy::RequestParser parser;
  parser.header_limit(static_cast<std::uint32_t>(server::kMaxRequestHead));
  parser.body_limit(boost::none);
  error_code ec;
  parser.put(asio::buffer(bytes.data() + skip, head.size), ec);
  if (ec || !parser.is_header_done()) return 0;
  auto& req = parser.get();
  std::string_view host_field;
  if (server::check_framing(req, host_field)) return 0;
  std::string_view host, path, query;
  if (!server::split_target(req.target(), host, path, query)) return 0;
  std::string h, p;
  wharf::rules::normalize_host(host.empty() ? host_field : host, h);
  wharf::rules::normalize_path(path, p);
  return 0;
}
