#include <cstdio>
#include <string_view>

#include "dataplane/app/healthcheck_command.hpp"
#include "dataplane/app/options.hpp"
#include "dataplane/server/dataplane.hpp"
#include "log/log.hpp"

extern char** environ;

int main(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "healthcheck") {
    return wharf::dataplane::healthcheck(argc, argv, environ);
  }
  auto options = wharf::dataplane::parse_options(argc, argv, environ);
  if (!options) {
    std::fprintf(stderr, "wharf-dataplane: %s\n", options.error().c_str());
    return 2;
  }
  if (options->show_help) {
    std::fputs(wharf::dataplane::options_help(), stdout);
    return 0;
  }
  if (options->show_version) {
    std::printf("wharf-dataplane %s\n", WHARF_VERSION);
    return 0;
  }
  wharf::dataplane::server::Dataplane dp(std::move(*options));
  if (auto ok = dp.start(); !ok) {
    std::fprintf(stderr, "wharf-dataplane: %s\n", ok.error().c_str());
    return 1;
  }
  dp.run(/*handle_signals=*/true);
  return 0;
}
