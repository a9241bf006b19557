#include "controller/acme/dns/message.hpp"

#include <algorithm>

namespace wharf::controller::acme::dns {
namespace {

using model::Error;
using model::Result;

void put16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

void put32(std::string& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v >> 16));
  put16(out, static_cast<std::uint16_t>(v & 0xffff));
}

// Reads a message front to back; every read is bounds-checked.
class Reader {
 public:
  explicit Reader(std::string_view wire) : wire_(wire) {}

  bool u8(std::uint8_t& v) {
    if (at_ + 1 > wire_.size()) return false;
    v = static_cast<std::uint8_t>(wire_[at_++]);
    return true;
  }
  bool u16(std::uint16_t& v) {
    std::uint8_t a = 0, b = 0;
    if (!u8(a) || !u8(b)) return false;
    v = static_cast<std::uint16_t>(a << 8 | b);
    return true;
  }
  bool u32(std::uint32_t& v) {
    std::uint16_t a = 0, b = 0;
    if (!u16(a) || !u16(b)) return false;
    v = static_cast<std::uint32_t>(a) << 16 | b;
    return true;
  }
  // A possibly compressed name starting at the current position.
  bool name(std::string& out) {
    std::size_t next = 0;
    return name_at(at_, out, next) && (at_ = next, true);
  }
  // The same at any offset (inside RDATA), leaving the position alone.
  bool name_at(std::size_t pos, std::string& out, std::size_t& after) const {
    out.clear();
    bool jumped = false;
    for (int hops = 0; hops < 64; ++hops) {
      if (pos >= wire_.size()) return false;
      const auto len = static_cast<std::uint8_t>(wire_[pos]);
      if (len == 0) {
        if (!jumped) after = pos + 1;
        return out.size() <= 253;
      }
      if ((len & 0xc0) == 0xc0) {
        if (pos + 1 >= wire_.size()) return false;
        if (!jumped) after = pos + 2;
        jumped = true;
        pos =
            static_cast<std::size_t>((len & 0x3f) << 8 | static_cast<std::uint8_t>(wire_[pos + 1]));
        continue;
      }
      if ((len & 0xc0) != 0 || pos + 1 + len > wire_.size()) return false;
      if (!out.empty()) out += '.';
      out.append(wire_.substr(pos + 1, len));
      pos += 1 + len;
    }
    return false;  // A pointer loop.
  }
  bool bytes(std::size_t n, std::string_view& out) {
    if (at_ + n > wire_.size()) return false;
    out = wire_.substr(at_, n);
    at_ += n;
    return true;
  }
  std::size_t at() const { return at_; }
  std::string_view wire() const { return wire_; }

 private:
  std::string_view wire_;
  std::size_t at_ = 0;
};

bool read_record(Reader& r, Record& rec) {
  std::uint16_t rdlength = 0;
  if (!r.name(rec.name) || !r.u16(rec.type) || !r.u16(rec.klass) || !r.u32(rec.ttl) ||
      !r.u16(rdlength)) {
    return false;
  }
  const std::size_t start = r.at();
  std::string_view raw;
  if (!r.bytes(rdlength, raw)) return false;
  // Names inside these records may be compressed against the whole message: expand them so
  // the record stands alone.
  if (rec.type == type::kNs || rec.type == type::kCname) {
    std::string target;
    std::size_t after = 0;
    if (!r.name_at(start, target, after)) return false;
    auto wire = encode_name(target);
    if (!wire) return false;
    rec.rdata = *wire;
    return true;
  }
  if (rec.type == type::kSoa) {
    std::string mname, rname;
    std::size_t after = 0, after2 = 0;
    if (!r.name_at(start, mname, after) || !r.name_at(after, rname, after2)) return false;
    if (after2 + 20 > start + rdlength) return false;
    auto m = encode_name(mname), n = encode_name(rname);
    if (!m || !n) return false;
    rec.rdata = *m + *n + std::string(r.wire().substr(after2, 20));
    return true;
  }
  rec.rdata = std::string(raw);
  return true;
}

void write_record(std::string& out, const Record& rec, const std::string& name) {
  out += name;
  put16(out, rec.type);
  put16(out, rec.klass);
  put32(out, rec.ttl);
  put16(out, static_cast<std::uint16_t>(rec.rdata.size()));
  out += rec.rdata;
}

}  // namespace

std::string rcode_name(unsigned rcode) {
  static const char* kNames[] = {"NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
                                 "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE"};
  if (rcode < std::size(kNames)) return kNames[rcode];
  if (rcode == 16) return "BADSIG";
  if (rcode == 17) return "BADKEY";
  if (rcode == 18) return "BADTIME";
  return "RCODE" + std::to_string(rcode);
}

Record Record::txt(std::string name, std::uint32_t ttl, std::string_view value) {
  Record r;
  r.name = std::move(name);
  r.type = type::kTxt;
  r.ttl = ttl;
  do {
    const auto n = std::min<std::size_t>(value.size(), 255);
    r.rdata.push_back(static_cast<char>(n));
    r.rdata.append(value.substr(0, n));
    value.remove_prefix(n);
  } while (!value.empty());
  return r;
}

std::string Record::txt_value() const {
  std::string out;
  for (std::size_t i = 0; i < rdata.size();) {
    const auto n = static_cast<std::uint8_t>(rdata[i]);
    out.append(rdata, i + 1, std::min<std::size_t>(n, rdata.size() - i - 1));
    i += 1 + n;
  }
  return out;
}

std::string Record::target() const {
  Reader r(rdata);
  std::string out;
  return r.name(out) ? out : std::string();
}

Result<std::string> encode_name(std::string_view name) {
  if (name.ends_with('.')) name.remove_suffix(1);
  std::string out;
  while (!name.empty()) {
    const auto dot = name.find('.');
    const auto label = name.substr(0, dot);
    if (label.empty() || label.size() > 63) {
      return Error{"'" + std::string(name) + "': a label is empty or longer than 63 bytes"};
    }
    out.push_back(static_cast<char>(label.size()));
    out.append(label);
    name = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
  }
  out.push_back('\0');
  if (out.size() > 255) return Error{"a name longer than 255 bytes"};
  return out;
}

Result<std::string> canonical_name(std::string_view name) {
  auto wire = encode_name(name);
  if (!wire) return wire;
  std::transform(wire->begin(), wire->end(), wire->begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  });
  return wire;
}

Result<std::string> encode(const Message& m) {
  std::string out;
  put16(out, m.id);
  std::uint16_t flags = static_cast<std::uint16_t>(
      (m.response ? 0x8000 : 0) | (m.opcode & 0xf) << 11 | (m.authoritative ? 0x400 : 0) |
      (m.truncated ? 0x200 : 0) | (m.recursion_desired ? 0x100 : 0) |
      (m.recursion_available ? 0x80 : 0) | (m.rcode & 0xf));
  put16(out, flags);
  put16(out, static_cast<std::uint16_t>(m.questions.size()));
  put16(out, static_cast<std::uint16_t>(m.answers.size()));
  put16(out, static_cast<std::uint16_t>(m.authority.size()));
  put16(out, static_cast<std::uint16_t>(m.additional.size()));
  for (const auto& q : m.questions) {
    auto name = encode_name(q.name);
    if (!name) return name;
    out += *name;
    put16(out, q.type);
    put16(out, q.klass);
  }
  for (const auto* section : {&m.answers, &m.authority, &m.additional}) {
    for (const auto& rec : *section) {
      auto name = encode_name(rec.name);
      if (!name) return name;
      write_record(out, rec, *name);
    }
  }
  return out;
}

Result<Message> decode(std::string_view wire) {
  Reader r(wire);
  Message m;
  std::uint16_t flags = 0, qd = 0, an = 0, ns = 0, ar = 0;
  if (!r.u16(m.id) || !r.u16(flags) || !r.u16(qd) || !r.u16(an) || !r.u16(ns) || !r.u16(ar)) {
    return Error{"a DNS message shorter than its header"};
  }
  m.response = flags & 0x8000;
  m.opcode = static_cast<std::uint8_t>(flags >> 11 & 0xf);
  m.authoritative = flags & 0x400;
  m.truncated = flags & 0x200;
  m.recursion_desired = flags & 0x100;
  m.recursion_available = flags & 0x80;
  m.rcode = static_cast<std::uint8_t>(flags & 0xf);
  for (unsigned i = 0; i < qd; ++i) {
    Question q;
    if (!r.name(q.name) || !r.u16(q.type) || !r.u16(q.klass)) {
      return Error{"a DNS message with a malformed question"};
    }
    m.questions.push_back(std::move(q));
  }
  for (auto [section, count] :
       {std::pair{&m.answers, an}, std::pair{&m.authority, ns}, std::pair{&m.additional, ar}}) {
    for (unsigned i = 0; i < count; ++i) {
      Record rec;
      if (section == &m.additional) m.last_additional_at = r.at();
      if (!read_record(r, rec)) return Error{"a DNS message with a malformed record"};
      section->push_back(std::move(rec));
    }
  }
  return m;
}

Message query(std::uint16_t id, std::string name, std::uint16_t type) {
  Message m;
  m.id = id;
  m.recursion_desired = true;
  m.questions.push_back({std::move(name), type, klass::kIn});
  return m;
}

std::string soa_owner(const Message& m) {
  for (const auto* section : {&m.answers, &m.authority}) {
    for (const auto& rec : *section) {
      if (rec.type == type::kSoa) return rec.name;
    }
  }
  return {};
}

}  // namespace wharf::controller::acme::dns
