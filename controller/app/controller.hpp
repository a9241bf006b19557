#pragma once

#include <iosfwd>

#include "controller/app/options.hpp"
#include "model/routing_table.hpp"

namespace wharf::controller {

// Runs the controller until SIGTERM/SIGINT: providers → aggregator → compiler → publisher on
// one io_context. Returns the process exit code.
int run(const Options& options);

// `--check`: syncs every enabled provider once, compiles, prints the table and every rejected
// object to `out`. Returns 0 when nothing was rejected, 1 otherwise (or a provider failed).
int check(const Options& options, std::ostream& out);

// The human-readable listing --check prints.
void print_table(const model::RoutingTable& table, std::ostream& out);

}  // namespace wharf::controller
