#include "controller/provider/users_file.hpp"

#include <algorithm>

#include "text/split_list.hpp"

namespace wharf::controller {

void inline_users_files(model::ProviderConfig& config, const ReadFile& read) {
  for (auto& m : config.middlewares) {
    if (m.type != "basicauth") continue;
    auto& o = m.options;
    auto file = std::find_if(o.begin(), o.end(), [](auto& kv) { return kv.first == "usersfile"; });
    if (file == o.end()) continue;
    const std::string path = file->second;
    o.erase(file);
    auto text = read(path);
    if (!text) {
      m.errors.push_back((m.source.empty() ? "" : m.source + ": ") + "basicauth.usersFile " + path +
                         ": cannot be read");
      continue;
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
    auto listed = std::find_if(o.begin(), o.end(), [](auto& kv) { return kv.first == "users"; });
    if (listed != o.end()) {
      for (auto& u : text::split_list(listed->second)) users.push_back(std::move(u));
      listed->second = text::join(users, ",");
    } else {
      o.emplace_back("users", text::join(users, ","));
    }
  }
}

}  // namespace wharf::controller
