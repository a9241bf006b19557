// Asio and Beast are compiled once here instead of in every translation unit that includes
// them (BOOST_ASIO_SEPARATE_COMPILATION / BOOST_BEAST_SEPARATE_COMPILATION), which keeps
// rebuilds and CI fast.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
