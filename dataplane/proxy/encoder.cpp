#include "dataplane/proxy/encoder.hpp"

#include <brotli/encode.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <charconv>
#include <optional>

#include "text/split_list.hpp"

namespace wharf::dataplane::proxy {
namespace {

// Levels chosen for dynamic content compressed on the request path: close to the best ratio
// per CPU second (gzip 5 and brotli 4 are about what nginx and Caddy users settle on; zstd 3
// is its own default).
constexpr int kGzipLevel = 5;
constexpr int kBrotliQuality = 4;
constexpr int kZstdLevel = 3;
constexpr std::size_t kOutStep = 16 * 1024;

class Gzip : public Encoder {
 public:
  Gzip() {
    // 15 + 16: a gzip wrapper (RFC 1952) around a full-window deflate stream.
    ok_ = deflateInit2(&z_, kGzipLevel, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~Gzip() override {
    if (ok_) deflateEnd(&z_);
  }
  bool write(const char* data, std::size_t n, bool finish, std::string& out) override {
    out.clear();
    if (!ok_) return false;
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
    z_.avail_in = static_cast<uInt>(n);
    const int flush = finish ? Z_FINISH : Z_SYNC_FLUSH;
    for (;;) {
      std::size_t used = out.size();
      out.resize(used + kOutStep);
      z_.next_out = reinterpret_cast<Bytef*>(out.data() + used);
      z_.avail_out = static_cast<uInt>(kOutStep);
      int rc = deflate(&z_, flush);
      out.resize(used + kOutStep - z_.avail_out);
      if (rc == Z_STREAM_END) return true;
      if (rc != Z_OK && rc != Z_BUF_ERROR) return false;
      // Done with this piece once all input is taken and deflate left output space unused.
      if (z_.avail_in == 0 && z_.avail_out != 0) return !finish || rc == Z_STREAM_END;
    }
  }

 private:
  z_stream z_{};
  bool ok_ = false;
};

class Brotli : public Encoder {
 public:
  Brotli() : s_(BrotliEncoderCreateInstance(nullptr, nullptr, nullptr)) {
    if (s_) BrotliEncoderSetParameter(s_, BROTLI_PARAM_QUALITY, kBrotliQuality);
  }
  ~Brotli() override {
    if (s_) BrotliEncoderDestroyInstance(s_);
  }
  bool write(const char* data, std::size_t n, bool finish, std::string& out) override {
    out.clear();
    if (!s_) return false;
    auto op = finish ? BROTLI_OPERATION_FINISH : BROTLI_OPERATION_FLUSH;
    const auto* in = reinterpret_cast<const std::uint8_t*>(data);
    std::size_t avail_in = n;
    for (;;) {
      std::size_t used = out.size();
      out.resize(used + kOutStep);
      auto* next_out = reinterpret_cast<std::uint8_t*>(out.data() + used);
      std::size_t avail_out = kOutStep;
      if (!BrotliEncoderCompressStream(s_, op, &avail_in, &in, &avail_out, &next_out, nullptr)) {
        return false;
      }
      out.resize(used + kOutStep - avail_out);
      bool drained = avail_in == 0 && !BrotliEncoderHasMoreOutput(s_);
      if (drained && (!finish || BrotliEncoderIsFinished(s_))) return true;
    }
  }

 private:
  BrotliEncoderState* s_;
};

class Zstd : public Encoder {
 public:
  Zstd() : c_(ZSTD_createCCtx()) {
    if (c_) ZSTD_CCtx_setParameter(c_, ZSTD_c_compressionLevel, kZstdLevel);
  }
  ~Zstd() override { ZSTD_freeCCtx(c_); }
  bool write(const char* data, std::size_t n, bool finish, std::string& out) override {
    out.clear();
    if (!c_) return false;
    ZSTD_inBuffer in{data, n, 0};
    for (;;) {
      std::size_t used = out.size();
      out.resize(used + kOutStep);
      ZSTD_outBuffer o{out.data() + used, kOutStep, 0};
      std::size_t left = ZSTD_compressStream2(c_, &o, &in, finish ? ZSTD_e_end : ZSTD_e_flush);
      out.resize(used + o.pos);
      if (ZSTD_isError(left)) return false;
      // Zero left means the flush (or the frame end) is complete.
      if (left == 0 && in.pos == in.size) return true;
    }
  }

 private:
  ZSTD_CCtx* c_;
};

std::optional<Encoding> from_name(std::string_view s) {
  if (s == "gzip" || s == "x-gzip") return Encoding::kGzip;
  if (s == "br") return Encoding::kBrotli;
  if (s == "zstd") return Encoding::kZstd;
  return std::nullopt;
}

// The q-value of one Accept-Encoding element ("gzip;q=0.5"); 1 when absent or malformed
// parameters other than q.
double q_value(std::string_view params) {
  double q = 1;
  while (!params.empty()) {
    auto semi = params.find(';');
    auto p = params.substr(0, semi);
    while (!p.empty() && p.front() == ' ') p.remove_prefix(1);
    if (p.size() > 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
      double v = 0;
      auto [end, ec] = std::from_chars(p.data() + 2, p.data() + p.size(), v);
      q = ec == std::errc{} ? std::clamp(v, 0.0, 1.0) : 0;
    }
    if (semi == std::string_view::npos) break;
    params.remove_prefix(semi + 1);
  }
  return q;
}

}  // namespace

std::string_view token(Encoding e) {
  switch (e) {
    case Encoding::kGzip:
      return "gzip";
    case Encoding::kBrotli:
      return "br";
    case Encoding::kZstd:
      return "zstd";
    case Encoding::kNone:
      break;
  }
  return "identity";
}

Encoding negotiate(const std::string* accept_encoding, const std::vector<std::string>& offered,
                   std::string_view fallback) {
  if (!accept_encoding) return from_name(fallback).value_or(Encoding::kNone);
  // q per coding the client named, and for "*".
  std::optional<double> star;
  std::vector<std::pair<std::string, double>> named;
  for (const auto& element : text::split_list(*accept_encoding)) {
    std::string_view e = element;
    auto semi = e.find(';');
    std::string coding(e.substr(0, semi));
    while (!coding.empty() && coding.back() == ' ') coding.pop_back();
    std::transform(coding.begin(), coding.end(), coding.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    double q = semi == std::string_view::npos ? 1 : q_value(e.substr(semi + 1));
    if (coding == "*") {
      star = q;
    } else {
      named.emplace_back(coding, q);
    }
  }
  Encoding best = Encoding::kNone;
  double best_q = 0;
  for (const auto& name : offered) {
    auto e = from_name(name);
    if (!e) continue;
    std::optional<double> q;
    for (const auto& [coding, cq] : named) {
      if (from_name(coding) == e) q = cq;
    }
    if (!q) q = star;
    if (q && *q > best_q) best = *e, best_q = *q;
  }
  return best;
}

std::unique_ptr<Encoder> make_encoder(Encoding e) {
  switch (e) {
    case Encoding::kGzip:
      return std::make_unique<Gzip>();
    case Encoding::kBrotli:
      return std::make_unique<Brotli>();
    case Encoding::kZstd:
      return std::make_unique<Zstd>();
    case Encoding::kNone:
      break;
  }
  return nullptr;
}

}  // namespace wharf::dataplane::proxy
