#pragma once

#include <yaml-cpp/yaml.h>

#include "controller/file/file_translator.hpp"
#include "controller/file/yaml_reading.hpp"
#include "model/provider_config.hpp"

// The file provider's sections that carry key material: `tls` (certificates, the default
// store) and `http.serversTransports` (CAs and client certificates for TLS to servers). Files
// they name are read through `read` and checked here, so a bad one is reported with its line.
namespace wharf::controller::file {

void read_tls(const YAML::Node& tls, const Where& w, const FileReader& read,
              model::ProviderConfig& out);

// One servers transport: a dynamic file's `http.serversTransports.<name>` or the static
// configuration's `serversTransport` (then `field` is "serversTransport").
model::ConfigTransport read_servers_transport(const std::string& name, const std::string& field,
                                              const YAML::Node& node, const Where& w,
                                              const FileReader& read);

void read_servers_transports(const YAML::Node& section, const Where& w, const FileReader& read,
                             model::ProviderConfig& out);

}  // namespace wharf::controller::file
