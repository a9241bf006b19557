// Asio's OpenSSL layer, compiled once (separate compilation, see common/net/asio_impl.cpp). It
// lives with the controller because only the Kubernetes client speaks TLS so far.
#include <boost/asio/ssl/impl/src.hpp>
