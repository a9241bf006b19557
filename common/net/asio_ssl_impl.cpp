// Asio's OpenSSL layer, compiled once (separate compilation, see asio_impl.cpp): the data plane
// terminates TLS with it and the controller's Kubernetes client speaks TLS through it.
#include <boost/asio/ssl/impl/src.hpp>
