#include "controller/provider/middleware_files.hpp"

#include <algorithm>

#include "controller/tls/key_pair.hpp"
#include "text/split_list.hpp"

namespace wharf::controller {
namespace {

using Options = std::vector<std::pair<std::string, std::string>>;

Options::iterator option(Options& o, std::string_view key) {
  return std::find_if(o.begin(), o.end(), [&](auto& kv) { return kv.first == key; });
}

std::string where(const model::ConfigMiddleware& m) {
  return m.source.empty() ? "" : m.source + ": ";
}

void inline_users_file(model::ConfigMiddleware& m, const ReadFile& read) {
  auto& o = m.options;
  auto file = option(o, "usersfile");
  if (file == o.end()) return;
  const std::string path = file->second;
  o.erase(file);
  auto text = read(path);
  if (!text) {
    m.errors.push_back(where(m) + "basicauth.usersFile " + path + ": cannot be read");
    return;
  }
  std::vector<std::string> users;
  std::size_t start = 0;
  while (start <= text->size()) {
    auto end = text->find('\n', start);
    std::string line =
        text->substr(start, end == std::string::npos ? std::string::npos : end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    while (!line.empty() && line.front() == ' ') line.erase(line.begin());
    if (!line.empty() && line.front() != '#') users.push_back(std::move(line));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  auto listed = option(o, "users");
  if (listed != o.end()) {
    for (auto& u : text::split_list(listed->second)) users.push_back(std::move(u));
    listed->second = text::join(users, ",");
  } else {
    o.emplace_back("users", text::join(users, ","));
  }
}

void inline_forward_auth_tls(model::ConfigMiddleware& m, const ReadFile& read) {
  const char* keys[3] = {"tls.ca", "tls.cert", "tls.key"};
  std::string paths[3], pem[3];
  for (int i = 0; i < 3; ++i) {
    auto it = option(m.options, keys[i]);
    if (it == m.options.end()) continue;
    paths[i] = it->second;
    auto text = read(paths[i]);
    if (!text) {
      m.errors.push_back(where(m) + "forwardauth." + keys[i] + " " + paths[i] + ": cannot be read");
      continue;
    }
    it->second = pem[i] = std::move(*text);
  }
  if (!pem[0].empty()) {
    if (auto ok = tls::check_ca_bundle(pem[0], "forwardauth.tls.ca " + paths[0]); !ok) {
      m.errors.push_back(where(m) + ok.error());
    }
  }
  if (!pem[1].empty() && !pem[2].empty()) {
    if (auto ok = tls::check_key_pair(pem[1], pem[2], "forwardauth.tls.cert " + paths[1],
                                      "forwardauth.tls.key " + paths[2]);
        !ok) {
      m.errors.push_back(where(m) + ok.error());
    }
  }
}

}  // namespace

void inline_middleware_files(model::ProviderConfig& config, const ReadFile& read) {
  for (auto& m : config.middlewares) {
    if (m.type == "basicauth") inline_users_file(m, read);
    if (m.type == "forwardauth") inline_forward_auth_tls(m, read);
  }
}

}  // namespace wharf::controller
