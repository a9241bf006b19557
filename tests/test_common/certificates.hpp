#pragma once

#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

#include "model/routing_table.hpp"
#include "test_common/dataplane_harness.hpp"
#include "test_common/dockerd.hpp"

namespace wharf::test {

// Self-signed certificates made by the openssl tool: one exact name and one wildcard.
struct Certificates {
  TempDir dir;
  model::Certificate exact, wildcard;
  Certificates() {
    exact = make("exact", "a.example", "DNS:a.example");
    wildcard = make("wild", "wild", "DNS:*.wild.example");
  }
  model::Certificate make(const std::string& name, const std::string& cn, const std::string& san) {
    auto r = run_command({"sh", "-c",
                          "cd " + dir.path() +
                              " && openssl req -x509 -newkey ec -pkeyopt "
                              "ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=" +
                              cn + " -addext subjectAltName=" + san + " -keyout " + name +
                              ".key -out " + name + ".crt"});
    EXPECT_EQ(r.status, 0) << r.out;
    return {name + "@test", {san.substr(4)}, read(name + ".crt"), read(name + ".key")};
  }
  std::string read(const std::string& file) const {
    std::ifstream in(dir.path() + "/" + file);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  std::string path(const std::string& file) const { return dir.path() + "/" + file; }
};

}  // namespace wharf::test
