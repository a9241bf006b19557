#pragma once

#include <cstddef>
#include <string_view>

#include "dataplane/io/net.hpp"

namespace wharf::dataplane::proxy {

// Finds the end of the response head at the start of a buffer whose lines may end in CRLF or in
// a bare LF, as RFC 9112 section 2.2 lets a recipient read them: nginx and Go's client (so
// Traefik) take bare LFs from a server, and small embedded servers (cameras, printers) send
// them. Beast's parser looks for CRLF CRLF and would wait for it until the response-header
// timeout, so the head is looked at here first and goes to Beast only once it is whole, each
// bare LF given a CR by crlf_head. Scanning resumes where the last piece ended, so a head that
// trickles in is still looked at once; the bytes already scanned must not change meanwhile.
class HeadEnd {
 public:
  // The size of the head, its empty line included, once it is whole; 0 until then.
  std::size_t scan(std::string_view bytes);
  // LFs without a CR before them in the bytes scanned so far: final once scan() found the end.
  std::size_t bare_lf() const { return bare_lf_; }

 private:
  std::size_t scanned_ = 0, line_ = 0, end_ = 0, bare_lf_ = 0;
};

// Gives each of the `bare_lf` bare LFs in the buffer's first `size` bytes a CR before it; the
// bytes after the head move along unchanged.
void crlf_head(beast::flat_buffer& buffer, std::size_t size, std::size_t bare_lf);

}  // namespace wharf::dataplane::proxy
