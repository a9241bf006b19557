#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.hpp"

// DNS messages in their wire format (RFC 1035 section 4), as DNS-01 needs them: queries for
// TXT, SOA, NS and CNAME records, their answers, and RFC 2136 UPDATE messages. Pure values;
// the network is in client.hpp.
namespace wharf::controller::acme::dns {

namespace type {
inline constexpr std::uint16_t kA = 1, kNs = 2, kCname = 5, kSoa = 6, kTxt = 16, kAaaa = 28,
                               kTsig = 250, kAny = 255;
}
namespace klass {
inline constexpr std::uint16_t kIn = 1, kNone = 254, kAny = 255;
}
namespace rcode {
inline constexpr std::uint8_t kNoError = 0, kFormErr = 1, kServFail = 2, kNxDomain = 3, kNotImp = 4,
                              kRefused = 5, kNotAuth = 9, kNotZone = 10;
}
inline constexpr std::uint8_t kOpQuery = 0, kOpUpdate = 5;

// "NOERROR", "REFUSED", "NOTAUTH"... for messages.
std::string rcode_name(unsigned rcode);

struct Question {
  std::string name;  // Absolute, without the final dot: "_acme-challenge.example.com".
  std::uint16_t type = type::kTxt;
  std::uint16_t klass = klass::kIn;
};

struct Record {
  std::string name;
  std::uint16_t type = 0;
  std::uint16_t klass = klass::kIn;
  std::uint32_t ttl = 0;
  std::string rdata;  // As on the wire; names inside it are expanded when decoded.

  // TXT: its character strings, each at most 255 bytes (a longer value is split).
  static Record txt(std::string name, std::uint32_t ttl, std::string_view value);
  std::string txt_value() const;  // The strings of a TXT record joined.
  // NS, CNAME: the name it holds. SOA: its MNAME (the primary server).
  std::string target() const;
};

struct Message {
  std::uint16_t id = 0;
  bool response = false;
  std::uint8_t opcode = kOpQuery;
  bool authoritative = false, truncated = false, recursion_desired = false,
       recursion_available = false;
  std::uint8_t rcode = rcode::kNoError;
  std::vector<Question> questions;  // UPDATE: the zone section.
  std::vector<Record> answers;      // UPDATE: prerequisites.
  std::vector<Record> authority;    // UPDATE: the updates.
  std::vector<Record> additional;   // TSIG goes last here.
  // Decoded only: where the last additional record starts in the wire (a TSIG record is
  // verified over the bytes before it); 0 when there is none.
  std::size_t last_additional_at = 0;
};

// A name in wire form, uncompressed ("example.com" → 7example3com0). Errors for an empty label
// or one over 63 bytes, or a name over 255.
model::Result<std::string> encode_name(std::string_view name);
// The lower-cased wire form DNSSEC and TSIG digest names in (RFC 4034 section 6.2).
model::Result<std::string> canonical_name(std::string_view name);

model::Result<std::string> encode(const Message& m);
// Names are expanded (compression pointers followed, with a bound on how many). Errors name
// what was malformed.
model::Result<Message> decode(std::string_view wire);

// A query for `name`/`type` with recursion desired.
Message query(std::uint16_t id, std::string name, std::uint16_t type);

// The apex the zone cut puts `name` under, from a chain of answers: the owner of the SOA
// found in an answer or authority section, if any.
std::string soa_owner(const Message& m);

}  // namespace wharf::controller::acme::dns
