#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "model/result.hpp"
#include "model/routing_table.hpp"

namespace wharf::ipc {

// Controller → data plane: replace the whole table (state of the world, never a delta).
struct Apply {
  std::uint64_t version = 0;
  model::RoutingTable table;
};

// Data plane → controller: the table with this version is now serving.
struct Ack {
  std::uint64_t version = 0;
};

// Data plane → controller: the table was refused; the previous one keeps serving.
struct Nack {
  std::uint64_t version = 0;
  std::string reason;
};

using Message = std::variant<Apply, Ack, Nack>;

std::string encode(const Message& message);
model::Result<Message> decode(std::string_view json);

// The table alone, as persisted in the data plane's state directory.
std::string encode_table(const model::RoutingTable& table);
model::Result<model::RoutingTable> decode_table(std::string_view json);

}  // namespace wharf::ipc
