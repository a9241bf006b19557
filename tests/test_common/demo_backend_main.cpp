// The demo backend started by scripts/run.sh (and usable by hand): the same server the tests
// use as their upstream.
#include <cstdio>
#include <string>

#include "test_common/upstream_server.hpp"

int main(int argc, char** argv) {
  std::string address = "127.0.0.1";
  unsigned port = 8081;
  std::string name = "demo";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--address") {
      address = argv[i + 1];
    } else if (flag == "--port") {
      port = static_cast<unsigned>(std::stoul(argv[i + 1]));
    } else if (flag == "--name") {
      name = argv[i + 1];
    } else {
      std::fprintf(stderr, "usage: wharf-demo-backend [--address A] [--port P] [--name N]\n");
      return 2;
    }
  }
  wharf::test::UpstreamServer server(name, address, static_cast<std::uint16_t>(port), 1);
  std::fprintf(stderr, "demo backend listening on %s:%u\n", address.c_str(), server.port());
  server.wait();
  return 0;
}
