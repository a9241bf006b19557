#include "controller/acme/dns/tsig.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

#include "text/ascii.hpp"

namespace wharf::controller::acme::dns {
namespace {

using model::Error;
using model::Result;
using model::Status;

constexpr std::uint16_t kFudge = 300;

std::string normalized(std::string_view algorithm) {
  std::string a = text::lower(algorithm);
  if (a.ends_with('.')) a.pop_back();
  return a;
}

const EVP_MD* digest_of(std::string_view algorithm) {
  const std::string a = normalized(algorithm);
  if (a == "hmac-sha256") return EVP_sha256();
  if (a == "hmac-sha512") return EVP_sha512();
  if (a == "hmac-sha384") return EVP_sha384();
  if (a == "hmac-sha224") return EVP_sha224();
  if (a == "hmac-sha1") return EVP_sha1();
  if (a == "hmac-md5.sig-alg.reg.int" || a == "hmac-md5") return EVP_md5();
  return nullptr;
}

// The wire name of the algorithm: hmac-md5 has its historical long name.
std::string algorithm_name(std::string_view algorithm) {
  const std::string a = normalized(algorithm);
  return a == "hmac-md5" ? "hmac-md5.sig-alg.reg.int" : a;
}

void put16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

void put48(std::string& out, std::uint64_t v) {
  put16(out, static_cast<std::uint16_t>(v >> 32));
  put16(out, static_cast<std::uint16_t>(v >> 16));
  put16(out, static_cast<std::uint16_t>(v));
}

// The TSIG variables the MAC covers after the message (RFC 8945 section 4.3.3).
Result<std::string> variables(const TsigKey& key, std::uint64_t time, std::uint16_t fudge,
                              std::uint16_t error, std::string_view other) {
  auto name = canonical_name(key.name);
  auto alg = canonical_name(algorithm_name(key.algorithm));
  if (!name) return name;
  if (!alg) return alg;
  std::string out = *name;
  put16(out, klass::kAny);
  out.append(4, '\0');  // TTL 0
  out += *alg;
  put48(out, time);
  put16(out, fudge);
  put16(out, error);
  put16(out, static_cast<std::uint16_t>(other.size()));
  out += other;
  return out;
}

Result<std::string> hmac(const TsigKey& key, std::string_view data) {
  const EVP_MD* md = digest_of(key.algorithm);
  if (!md) return Error{"TSIG algorithm '" + key.algorithm + "' is not supported"};
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!HMAC(md, key.secret.data(), static_cast<int>(key.secret.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &n)) {
    return Error{"HMAC failed"};
  }
  return std::string(reinterpret_cast<const char*>(out), n);
}

}  // namespace

bool tsig_algorithm_known(std::string_view algorithm) {
  return digest_of(algorithm) != nullptr;
}

Result<std::string> sign(Message& m, const TsigKey& key, std::uint64_t now, std::string& mac) {
  auto wire = encode(m);
  if (!wire) return wire;
  auto vars = variables(key, now, kFudge, 0, {});
  if (!vars) return vars;
  auto digest = hmac(key, *wire + *vars);
  if (!digest) return digest;
  mac = *digest;
  auto alg = encode_name(algorithm_name(key.algorithm));
  if (!alg) return alg;
  Record tsig;
  tsig.name = key.name;
  tsig.type = type::kTsig;
  tsig.klass = klass::kAny;
  tsig.ttl = 0;
  tsig.rdata = *alg;
  put48(tsig.rdata, now);
  put16(tsig.rdata, kFudge);
  put16(tsig.rdata, static_cast<std::uint16_t>(mac.size()));
  tsig.rdata += mac;
  put16(tsig.rdata, m.id);
  put16(tsig.rdata, 0);  // error
  put16(tsig.rdata, 0);  // other length
  m.additional.push_back(tsig);
  return encode(m);
}

Status verify(std::string_view wire, const Message& decoded, const TsigKey& key,
              std::string_view request_mac, std::uint64_t now) {
  if (decoded.additional.empty() || decoded.additional.back().type != type::kTsig) {
    return Error{"the answer is not signed (no TSIG record)"};
  }
  const Record& tsig = decoded.additional.back();
  if (normalized(tsig.name) != normalized(key.name)) {
    return Error{"the answer is signed with key '" + tsig.name + "', not '" + key.name + "'"};
  }
  // RDATA: algorithm name, time (48 bits), fudge, MAC size, MAC, original id, error, other.
  const std::string& r = tsig.rdata;
  std::size_t at = 0;
  while (at < r.size() && r[at] != '\0') at += 1 + static_cast<std::uint8_t>(r[at]);
  ++at;
  auto u16 = [&](std::size_t i) {
    return static_cast<std::uint16_t>(static_cast<std::uint8_t>(r[i]) << 8 |
                                      static_cast<std::uint8_t>(r[i + 1]));
  };
  if (at + 10 > r.size()) return Error{"a malformed TSIG record"};
  std::uint64_t time = 0;
  for (int i = 0; i < 6; ++i) time = time << 8 | static_cast<std::uint8_t>(r[at + i]);
  const std::uint16_t fudge = u16(at + 6), mac_size = u16(at + 8);
  if (at + 10 + mac_size + 6 > r.size()) return Error{"a malformed TSIG record"};
  const std::string mac = r.substr(at + 10, mac_size);
  const std::uint16_t original_id = u16(at + 10 + mac_size);
  const std::uint16_t error = u16(at + 12 + mac_size);
  const std::uint16_t other_len = u16(at + 14 + mac_size);
  if (at + 16 + mac_size + other_len > r.size()) return Error{"a malformed TSIG record"};
  if (error != 0) return Error{"the server refused our signature: " + rcode_name(error)};
  // The answer as it was before the TSIG record was added: ARCOUNT one less, the original id.
  std::string unsigned_wire(wire.substr(0, decoded.last_additional_at));
  if (unsigned_wire.size() < 12) return Error{"a malformed answer"};
  unsigned_wire[0] = static_cast<char>(original_id >> 8);
  unsigned_wire[1] = static_cast<char>(original_id & 0xff);
  const auto ar = static_cast<std::uint16_t>(decoded.additional.size() - 1);
  unsigned_wire[10] = static_cast<char>(ar >> 8);
  unsigned_wire[11] = static_cast<char>(ar & 0xff);
  std::string data;
  put16(data, static_cast<std::uint16_t>(request_mac.size()));
  data += request_mac;
  data += unsigned_wire;
  auto vars = variables(key, time, fudge, error, r.substr(at + 16 + mac_size, other_len));
  if (!vars) return Error{vars.error()};
  auto expected = hmac(key, data + *vars);
  if (!expected) return Error{expected.error()};
  if (expected->size() != mac.size() ||
      CRYPTO_memcmp(expected->data(), mac.data(), mac.size()) != 0) {
    return Error{"the answer's TSIG signature does not verify (a different key?)"};
  }
  const std::uint64_t skew = time > now ? time - now : now - time;
  if (skew > fudge) return Error{"the answer's TSIG time is " + std::to_string(skew) + " s off"};
  return model::kOk;
}

}  // namespace wharf::controller::acme::dns
