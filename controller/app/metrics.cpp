#include "controller/app/metrics.hpp"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <sstream>

namespace wharf::controller {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

struct Definition {
  const char* stat;   // Name in Stats.
  const char* label;  // Its label's name; empty: none.
  MetricType type;
  const char* help;
};

constexpr Definition kDefinitions[] = {
    {"provider_events_total", "provider", MetricType::Counter,
     "Change notifications received from a provider (Docker events, Kubernetes watch events, "
     "file changes)."},
    {"provider_syncs_total", "provider", MetricType::Counter,
     "Complete configurations a provider delivered."},
    {"provider_errors_total", "provider", MetricType::Counter,
     "Failures talking to a provider or reading its configuration."},
    {"provider_synced", "provider", MetricType::Gauge,
     "1 once the provider has delivered its first complete configuration."},
    {"rejected_objects_total", "kind", MetricType::Counter,
     "Objects rejected, counted when each is first rejected."},
    {"rejected_objects", "kind", MetricType::Gauge, "Objects rejected in the current table."},
    {"ingress_annotations_not_applied", "annotation", MetricType::Gauge,
     "Ingresses of the ingress-nginx class carrying this annotation, left out, refused or not "
     "taken."},
    {"pushes_total", "result", MetricType::Counter,
     "Routing tables sent to the data plane, by its answer."},
    {"table_objects", "kind", MetricType::Gauge, "Objects in the current routing table."},
    {"acme_certificates_total", "resolver", MetricType::Counter,
     "Certificates obtained from the ACME server, new or renewed."},
    {"acme_certificate_expiry_timestamp_seconds", "certificate", MetricType::Gauge,
     "When each ACME certificate expires (Unix time), by resolver and names."},
    {"acme_certificate_failing", "certificate", MetricType::Gauge,
     "1 while the last attempt to obtain or renew this certificate failed (the log says why)."},
    {"acme_failures_total", "resolver", MetricType::Counter,
     "Failed ACME attempts: orders, validations, storage (each retried after a pause)."},
    {"leader", "", MetricType::Gauge,
     "1 while this replica holds the Kubernetes leader lease (writes Ingress status)."},
};

}  // namespace

std::string expose_metrics(const Stats& stats) {
  auto snapshot = stats.snapshot();
  std::vector<MetricFamily> families;
  for (const auto& d : kDefinitions) {
    auto it = snapshot.find(d.stat);
    if (it == snapshot.end()) continue;
    MetricFamily f;
    f.name = std::string("wharf_controller_") + d.stat;
    f.help = d.help;
    f.type = d.type;
    for (const auto& [label, value] : it->second) {
      ClientMetric m;
      if (*d.label) m.label.push_back({d.label, label});
      (d.type == MetricType::Counter ? m.counter.value : m.gauge.value) =
          static_cast<double>(value);
      f.metric.push_back(std::move(m));
    }
    families.push_back(std::move(f));
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace wharf::controller
