#include "controller/kubernetes/nginx/variables.hpp"

namespace wharf::controller::kubernetes::nginx {

using model::Error;

model::Result<std::string> resolve_vars(
    const std::string& text, const std::map<std::string, std::string>& vars,
    const std::function<std::string(std::string_view)>& literal) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '$') {
      std::size_t next = text.find('$', i);
      if (next == std::string::npos) next = text.size();
      out += literal(std::string_view(text).substr(i, next - i));
      i = next;
      continue;
    }
    std::size_t start = i + 1;
    std::size_t end = start;
    bool braced = start < text.size() && text[start] == '{';
    if (braced) {
      end = text.find('}', start);
      if (end == std::string::npos) return Error{"unterminated ${ in '" + text + "'"};
      ++start;
    } else {
      while (end < text.size() &&
             (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_')) {
        ++end;
      }
    }
    std::string name = text.substr(start, end - start);
    auto it = vars.find(name);
    if (it == vars.end()) {
      return Error{name.empty() ? "a lone '$'"
                                : "the nginx variable $" + name + ", which Wharf cannot evaluate"};
    }
    out += it->second;
    i = braced ? end + 1 : end;
  }
  return out;
}

}  // namespace wharf::controller::kubernetes::nginx
