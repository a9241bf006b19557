// libFuzzer target: any byte string through the rule parsers (HTTP's and TCP's), and every
// rule that parses evaluated against a fixed request or connection. Must never crash, hang or
// leak.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rules/parser.hpp"

namespace {
class NoHeaders : public wharf::rules::HeaderLookup {
 public:
  bool any_value(std::string_view,
                 wharf::model::FunctionRef<bool(std::string_view)> pred) const override {
    return pred("value");
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto ip = wharf::model::IpAddress::parse("192.0.2.1");
  if (auto tcp = wharf::rules::parse_tcp(text)) {
    const std::vector<std::string> alpn = {"h2", "http/1.1"};
    wharf::rules::evaluate(*tcp, wharf::rules::ConnectionView{"a.example.com", &alpn, &*ip});
    wharf::rules::evaluate(*tcp, wharf::rules::ConnectionView{"", nullptr, nullptr});
  }
  auto rule = wharf::rules::parse(text);
  if (!rule) return 0;
  NoHeaders headers;
  wharf::rules::RequestView req{"GET", "a.example.com", "/api/v1", "x=1&y", &headers, &*ip};
  wharf::rules::evaluate(*rule, req);
  wharf::rules::required_hosts(*rule);
  return 0;
}
