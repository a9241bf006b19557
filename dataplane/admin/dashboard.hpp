#pragma once

#include <string_view>

namespace wharf::dataplane::admin {

// The dashboard page (dataplane/admin/dashboard.html, compiled in): one HTML file with its
// script and style inline, so the admin port serves it with no external assets.
std::string_view dashboard_html();

}  // namespace wharf::dataplane::admin
