#include <cstdio>
#include <iostream>

#include "controller/app/controller.hpp"
#include "controller/app/options.hpp"

extern char** environ;

int main(int argc, char** argv) {
  auto options = wharf::controller::parse_options(argc, argv, environ);
  if (!options) {
    std::fprintf(stderr, "wharf-controller: %s\n", options.error().c_str());
    return 2;
  }
  if (options->show_help) {
    std::fputs(wharf::controller::options_help(), stdout);
    return 0;
  }
  if (options->show_version) {
    std::printf("wharf-controller %s\n", WHARF_VERSION);
    return 0;
  }
  if (options->check) return wharf::controller::check(*options, std::cout);
  return wharf::controller::run(*options);
}
