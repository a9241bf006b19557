#pragma once

#include <algorithm>

#include <boost/asio/ip/address.hpp>

#include "model/ip.hpp"

namespace wharf::dataplane {

// The model's form of an address Asio gives (a peer, a PROXY header's source): what rules,
// allow lists and trusted-proxy lists compare.
inline model::IpAddress ip_address_of(const boost::asio::ip::address& a) {
  if (a.is_v4()) return model::IpAddress::from_v4(a.to_v4().to_uint());
  model::IpAddress out;
  const auto bytes = a.to_v6().to_bytes();
  std::copy(bytes.begin(), bytes.end(), out.bytes.begin());
  out.v4 = a.to_v6().is_v4_mapped();
  return out;
}

}  // namespace wharf::dataplane
