// libFuzzer target: the project's own code around nghttp2 on the server side, without sockets.
// The input is what a client sends after the connection preface; a real nghttp2 server session
// parses it (frames, HPACK, its HTTP checks) and hands header fields to the same builders the
// data plane uses (codec/http2/fields.hpp): request heads, trailers, the Host made from
// :authority, cookie crumbs joined. Each head that is accepted must be one the rest of the data
// plane can take, and must convert back into an HTTP/2 header block without any field HTTP/2
// forbids.
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "dataplane/codec/http2/fields.hpp"
#include "dataplane/server/request_head.hpp"

using namespace wharf::dataplane;
using codec::http2::HeaderBlock;
using codec::http2::RequestHeadBuilder;

namespace {

struct Glue {
  std::map<std::int32_t, std::unique_ptr<RequestHeadBuilder>> builders;
  std::map<std::int32_t, http::fields> trailers;
  std::size_t trailer_size = 0;
};

void check(http::request_header<>& head) {
  // Whatever was accepted routes and forwards like an HTTP/1.1 head.
  const std::string_view host = head[http::field::host];
  if (host.empty() || !server::valid_authority(host)) __builtin_trap();
  std::string_view target_host, path, query;
  if (!server::split_target(head.target(), target_host, path, query)) __builtin_trap();
  HeaderBlock block;
  block.add_status(200);
  block.add_fields(head);
  const nghttp2_nv* nv = block.data();
  for (std::size_t i = 0; i < block.size(); ++i) {
    std::string_view name(reinterpret_cast<const char*>(nv[i].name), nv[i].namelen);
    for (char c : name) {
      if (c >= 'A' && c <= 'Z') __builtin_trap();
    }
    if (codec::http2::connection_specific(name) || name == "host") __builtin_trap();
  }
}

int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  auto& g = *static_cast<Glue*>(user);
  if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    g.builders[frame->hd.stream_id] = std::make_unique<RequestHeadBuilder>(64 * 1024);
  }
  return 0;
}

int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
              std::size_t namelen, const std::uint8_t* value, std::size_t valuelen, std::uint8_t,
              void* user) {
  auto& g = *static_cast<Glue*>(user);
  const std::string_view n(reinterpret_cast<const char*>(name), namelen);
  const std::string_view v(reinterpret_cast<const char*>(value), valuelen);
  if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    if (auto it = g.builders.find(frame->hd.stream_id); it != g.builders.end()) it->second->add(n, v);
  } else {
    codec::http2::add_trailer(g.trailers[frame->hd.stream_id], g.trailer_size, 64 * 1024, n, v);
  }
  return 0;
}

int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  auto& g = *static_cast<Glue*>(user);
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  auto it = g.builders.find(frame->hd.stream_id);
  if (it == g.builders.end()) return 0;
  http::request_header<> head;
  if (!it->second->finish(head)) check(head);
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nghttp2_session_callbacks* cb = nullptr;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
  Glue glue;
  nghttp2_session* session = nullptr;
  nghttp2_session_server_new(&session, cb, &glue);
  nghttp2_session_callbacks_del(cb);
  static constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  nghttp2_session_mem_recv(session, reinterpret_cast<const std::uint8_t*>(kPreface.data()),
                           kPreface.size());
  nghttp2_session_mem_recv(session, data, size);
  const std::uint8_t* out = nullptr;
  while (nghttp2_session_mem_send(session, &out) > 0) {
  }
  nghttp2_session_del(session);
  return 0;
}
