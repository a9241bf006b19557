#pragma once

#include <string>

#include "controller/provider/stats.hpp"

namespace wharf::controller {

// The controller's Stats in the Prometheus text format 0.0.4 (prometheus-cpp's serializer),
// every name prefixed wharf_controller_, with help text and type:
//   provider_events_total{provider}, provider_syncs_total{provider},
//   provider_errors_total{provider}, provider_synced{provider} (1 once it has synced),
//   rejected_objects_total{kind} (each object the first time it is rejected),
//   rejected_objects{kind} (in the current table), pushes_total{result} (ack, nack),
//   table_objects{kind} (routers, services, middlewares, certificates), leader (Kubernetes).
std::string expose_metrics(const Stats& stats);

}  // namespace wharf::controller
