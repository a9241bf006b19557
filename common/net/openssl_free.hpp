#pragma once

#include <memory>

namespace wharf::net {

// A unique_ptr deleter calling an OpenSSL free function:
// std::unique_ptr<X509, OpenSslFree<X509_free>>.
template <auto Free>
struct OpenSslFree {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};

}  // namespace wharf::net
