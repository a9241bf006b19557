#pragma once

#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>

namespace wharf::dataplane::proxy {

// Appends every piece to `out` with one size check: std::string's own append checks the
// capacity and calls out of line for each piece (about 50 instructions), and a message head
// is written from dozens of short pieces per request.
inline void append(std::string& out, std::initializer_list<std::string_view> pieces) {
  std::size_t at = out.size();
  std::size_t size = at;
  for (auto p : pieces) size += p.size();
  out.resize(size);
  char* d = out.data() + at;
  for (auto p : pieces) {
    if (!p.empty()) std::memcpy(d, p.data(), p.size());
    d += p.size();
  }
}

}  // namespace wharf::dataplane::proxy
