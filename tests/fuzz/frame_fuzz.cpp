// libFuzzer target: arbitrary bytes on the control socket, split at an arbitrary point, through
// the frame decoder and the message decoder, then validation and table compilation.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ipc/frame.hpp"
#include "ipc/messages.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::size_t split = data[0] % (bytes.size() + 1);
  wharf::ipc::FrameDecoder decoder(1 << 20);
  decoder.feed(bytes.substr(0, split));
  for (int round = 0; round < 2; ++round) {
    for (;;) {
      auto frame = decoder.next();
      if (!frame || !*frame) break;
      auto msg = wharf::ipc::decode(**frame);
      if (msg) {
        if (auto* apply = std::get_if<wharf::ipc::Apply>(&*msg)) {
          wharf::model::validate(apply->table);
          wharf::ipc::encode(*msg);
        }
      }
    }
    decoder.feed(bytes.substr(split));
  }
  // The payload alone as a table, as the state file is read.
  wharf::ipc::decode_table(bytes);
  return 0;
}
