#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "model/result.hpp"
#include "text/literals.hpp"

namespace wharf::controller::kubernetes::nginx {

// `text` with every nginx variable ($name or ${name}) named in `vars` replaced by its value and
// the text between passed through `literal`; another variable is an error naming it (Wharf
// evaluates no nginx expressions).
model::Result<std::string> resolve_vars(
    const std::string& text, const std::map<std::string, std::string>& vars,
    const std::function<std::string(std::string_view)>& literal);

using text::perl_literal;
using text::regex_literal;
inline std::string as_is(std::string_view s) {
  return std::string(s);
}

}  // namespace wharf::controller::kubernetes::nginx
