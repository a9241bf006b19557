#include "dataplane/tcp/client_hello.hpp"

#include <cstdint>

namespace wharf::dataplane::l4 {
namespace {

using Status = ClientHello::Status;

constexpr unsigned kHandshakeRecord = 22;
constexpr unsigned kClientHelloType = 1;
constexpr unsigned kServerName = 0, kAlpn = 16;

ClientHello bad(std::string reason) {
  ClientHello h;
  h.status = Status::kBad;
  h.reason = std::move(reason);
  return h;
}

// A cursor over the ClientHello body that refuses to read past its end.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  bool ok() const { return ok_; }
  std::size_t left() const { return s_.size() - at_; }
  unsigned u8() { return static_cast<unsigned>(take(1)[0] & 0xff); }
  unsigned u16() {
    auto b = take(2);
    return b.size() == 2 ? (static_cast<unsigned>(b[0] & 0xff) << 8) | (b[1] & 0xff) : 0;
  }
  std::string_view take(std::size_t n) {
    if (!ok_ || n > left()) {
      ok_ = false;
      static constexpr char kZero[2] = {0, 0};
      return {kZero, n <= 2 ? n : 0};
    }
    auto out = s_.substr(at_, n);
    at_ += n;
    return out;
  }
  // A vector with a length prefix of `width` bytes.
  std::string_view vec(int width) { return take(width == 1 ? u8() : u16()); }

 private:
  std::string_view s_;
  std::size_t at_ = 0;
  bool ok_ = true;
};

bool read_server_name(std::string_view ext, std::string& out) {
  Reader r(ext);
  Reader list(r.vec(2));
  while (list.ok() && list.left() > 0) {
    const unsigned type = list.u8();
    const auto name = list.vec(2);
    if (!list.ok()) return false;
    if (type != 0 || !out.empty()) continue;  // host_name; the first one counts.
    for (char c : name) {
      const auto u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u >= 0x7f) return false;  // RFC 6066: ASCII, no NUL or spaces.
      out.push_back(static_cast<char>(u >= 'A' && u <= 'Z' ? u + 32 : u));
    }
  }
  return r.ok() && list.ok();
}

bool read_alpn(std::string_view ext, std::vector<std::string>& out) {
  Reader r(ext);
  Reader list(r.vec(2));
  while (list.ok() && list.left() > 0) {
    const auto proto = list.vec(1);
    if (!list.ok() || proto.empty()) return false;
    out.emplace_back(proto);
  }
  return r.ok() && list.ok();
}

}  // namespace

ClientHello parse_client_hello(std::string_view bytes) {
  if (bytes.empty()) return {};
  if (static_cast<unsigned char>(bytes[0]) != kHandshakeRecord) {
    ClientHello h;
    h.status = Status::kNotTls;
    return h;
  }
  // The handshake message may span records: their payloads are joined until it is whole.
  std::string message;
  std::size_t at = 0;
  std::size_t need = 0;  // The whole message's size once its header is in.
  for (;;) {
    if (bytes.size() - at < 5)
      return at >= kMaxClientHello ? bad("ClientHello too long") : ClientHello{};
    const auto* rec = reinterpret_cast<const unsigned char*>(bytes.data() + at);
    if (rec[0] != kHandshakeRecord)
      return bad("a record other than handshake inside the ClientHello");
    if (rec[1] != 3) return bad("not a TLS record version");
    const std::size_t len = (std::size_t{rec[3]} << 8) | rec[4];
    if (len == 0 || len > 16384) return bad("a TLS record of " + std::to_string(len) + " bytes");
    if (at + 5 + len > kMaxClientHello) return bad("ClientHello longer than 32 KiB");
    const std::size_t have = std::min(len, bytes.size() - at - 5);
    message.append(bytes.substr(at + 5, have));
    if (need == 0 && message.size() >= 4) {
      const auto* m = reinterpret_cast<const unsigned char*>(message.data());
      if (m[0] != kClientHelloType) return bad("the first handshake message is not a ClientHello");
      need = 4 + ((std::size_t{m[1]} << 16) | (std::size_t{m[2]} << 8) | m[3]);
      if (need > kMaxClientHello) return bad("ClientHello longer than 32 KiB");
    }
    if (need != 0 && message.size() >= need) break;
    if (have < len) return {};  // The rest of this record is still on its way.
    at += 5 + len;
  }
  Reader r(std::string_view(message).substr(4, need - 4));
  r.take(2 + 32);  // client_version, random
  r.vec(1);        // session_id
  r.vec(2);        // cipher_suites
  r.vec(1);        // compression_methods
  ClientHello h;
  h.status = Status::kOk;
  if (!r.ok()) return bad("ClientHello cut short");
  if (r.left() == 0) return h;  // No extensions at all (old clients): no name, no ALPN.
  Reader exts(r.vec(2));
  if (!r.ok()) return bad("ClientHello extensions cut short");
  while (exts.left() > 0) {
    const unsigned type = exts.u16();
    const auto body = exts.vec(2);
    if (!exts.ok()) return bad("ClientHello extension cut short");
    if (type == kServerName && !read_server_name(body, h.server_name)) {
      return bad("malformed server_name extension");
    }
    if (type == kAlpn && !read_alpn(body, h.alpn)) return bad("malformed ALPN extension");
  }
  return h;
}

}  // namespace wharf::dataplane::l4
