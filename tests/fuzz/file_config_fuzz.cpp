// libFuzzer target: any bytes as a Traefik configuration file: a dynamic file (YAML or TOML),
// translated and compiled, or a static file (YAML or TOML), read. The first byte picks which
// (the whole input is the text). The file is user input: yaml-cpp's and toml++'s errors must come
// back as messages, never escape or crash, and the compiled table must pass the data plane's
// validation.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "config/static_config.hpp"
#include "controller/compiler/compiler.hpp"
#include "controller/file/file_translator.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const unsigned kind = size ? data[0] % 4 : 0;
  if (kind >= 2) {
    auto sc = wharf::config::read_static_config(text, kind == 2 ? "traefik.yml" : "traefik.toml");
    (void)sc;
    return 0;
  }
  // Certificate files are never read: the input names arbitrary paths.
  auto config = wharf::controller::file::translate(
      text, kind == 0 ? "fuzz.yml" : "fuzz.toml",
      [](const std::string&) -> std::optional<std::string> { return {}; });
  if (!config) return 0;
  // Whatever the input, the compiled table must be one the data plane accepts: a bad object
  // is dropped with a diagnostic, never passed on to get the whole table refused.
  auto table = wharf::controller::compiler::compile({{"file", *config}});
  if (auto ok = wharf::model::validate(table); !ok) {
    std::fprintf(stderr, "compiled table refused: %s\n", ok.error().c_str());
    __builtin_trap();
  }
  return 0;
}
