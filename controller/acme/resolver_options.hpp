#pragma once

#include <map>
#include <string>
#include <vector>

#include "cli/flags.hpp"
#include "controller/acme/manager.hpp"
#include "model/result.hpp"

namespace wharf::controller::acme {

// Traefik's certificate resolver flags, so a Traefik command line carries over unchanged:
//   --certificatesresolvers.NAME.acme.email=ops@example.com
//   --certificatesresolvers.NAME.acme.storage=/letsencrypt      (a directory; a Traefik
//                                          acme.json path means the directory holding it)
//   --certificatesresolvers.NAME.acme.storage=secret:[NAMESPACE/]SECRET   (a Kubernetes Secret;
//                                          the namespace defaults to the controller's own)
//   --certificatesresolvers.NAME.acme.caserver=URL              (Let's Encrypt's by default)
//   --certificatesresolvers.NAME.acme.httpchallenge.entrypoint=web   (http-01; default)
//   --certificatesresolvers.NAME.acme.tlschallenge=true             (tls-alpn-01)
//   --certificatesresolvers.NAME.acme.dnschallenge.provider=rfc2136  (dns-01; wildcard names)
//   --certificatesresolvers.NAME.acme.dnschallenge.resolvers=1.1.1.1:53,8.8.8.8:53
//   --certificatesresolvers.NAME.acme.dnschallenge.propagation.{delayBeforeChecks,
//                                          disableChecks,disableANSChecks}
//   --certificatesresolvers.NAME.acme.keytype=EC256
// `ca_file` (--acme-ca-certificates, or LEGO_CA_CERTIFICATES as with Traefik) holds extra
// trust anchors for the ACME server's own HTTPS (a private CA, Pebble in tests). `env` holds the
// DNS providers' variables (RFC2136_NAMESERVER...), as lego reads them.
model::Result<std::vector<ResolverConfig>> parse_resolvers(
    const cli::Flags& flags, const std::string& ca_file,
    const std::map<std::string, std::string>& env = {});

}  // namespace wharf::controller::acme
