// libFuzzer target: any bytes as `docker inspect` output (what the Engine API returns is not
// trusted either), translated with both label prefixes and compiled.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "controller/compiler/compiler.hpp"
#include "controller/docker/container.hpp"
#include "controller/docker/translator.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto containers = wharf::controller::docker::parse_inspect_array(text);
  if (!containers) return 0;
  wharf::controller::docker::TranslatorOptions options;
  options.label_prefixes = {"wharf", "traefik"};
  options.exposed_by_default = true;
  auto config = wharf::controller::docker::translate(*containers, options);
  auto table = wharf::controller::compiler::compile({{"docker", config}});
  if (auto ok = wharf::model::validate(table); !ok) {
    std::fprintf(stderr, "compiled table refused: %s\n",
                 ok.error().c_str());  // see file_config_fuzz.cpp
    __builtin_trap();
  }
  return 0;
}
