// libFuzzer target: what a TCP entry point reads before routing, a PROXY protocol header and a
// TLS ClientHello, over any bytes: whole and cut at every length the input's first byte picks,
// the two verdicts must agree (a prefix is incomplete or already decided the same way), and a
// header is never longer than the bytes or its bound.
#include <cstddef>
#include <cstdint>
#include <string>

#include "dataplane/tcp/client_hello.hpp"
#include "dataplane/tcp/proxy_protocol.hpp"

using namespace wharf::dataplane::l4;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t cut = data[0] % (bytes.size() + 1);

  const auto whole = parse_proxy_header(bytes);
  const auto part = parse_proxy_header(bytes.substr(0, cut));
  if (whole.status == ProxyHeader::Status::kOk) {
    if (whole.size > bytes.size() || whole.size > kMaxProxyHeader) __builtin_trap();
    // A prefix holding the whole header says the same.
    if (cut >= whole.size && (part.status != whole.status || part.size != whole.size)) {
      __builtin_trap();
    }
    // What was parsed is sent back the same way.
    if (whole.has_addresses) {
      const auto again =
          parse_proxy_header(proxy_header(whole.version, whole.source, whole.destination));
      if (again.status != ProxyHeader::Status::kOk || again.source.port() != whole.source.port())
        __builtin_trap();
    }
  }
  if (part.status != ProxyHeader::Status::kIncomplete && part.status != whole.status) {
    __builtin_trap();
  }

  const auto hello = parse_client_hello(bytes);
  const auto hello_part = parse_client_hello(bytes.substr(0, cut));
  if (hello_part.status != ClientHello::Status::kIncomplete && hello_part.status != hello.status) {
    __builtin_trap();
  }
  return 0;
}
