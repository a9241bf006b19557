#pragma once

// The real Traefik setups of tests/controller/fixtures/traefik-real, read as their owners run
// them: compose interpolation of the labels, and each label set's `x-static` summary written
// out as the traefik.yml it stands for. Shared by the corpus's compile test and its end-to-end
// test.

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>

namespace wharf::test {

// Compose interpolation: $VAR, ${VAR}, ${VAR:-default}, $$ → $.
std::string interpolate(const std::string& s, const std::map<std::string, std::string>& env);

// The x-static summary as a traefik.yml. `address` gives an entry point's address (default
// ":<8000 + its index>"); `extra` is appended (providers the test points elsewhere).
std::string static_file(const YAML::Node& x,
                        const std::map<std::string, std::string>& addresses = {},
                        const std::string& docker_endpoint = {});

}  // namespace wharf::test
