#pragma once

namespace wharf::dataplane {

// `wharf-dataplane healthcheck [--admin-address [HOST]:PORT]`: asks the running data plane's
// /readyz and exits 0 when it answers 200, else 1 with the reason on stderr. It is what the
// container image's HEALTHCHECK runs: the image carries no curl or shell for it. The address
// comes from the flag, else WHARF_ADMIN_ADDRESS, else :8082 (an empty host is 127.0.0.1).
int healthcheck(int argc, const char* const* argv, char** envp);

}  // namespace wharf::dataplane
