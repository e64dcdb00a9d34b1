// SPDX-License-Identifier: Apache-2.0
#include "metrics.hpp"

#include <fmt/format.h>

namespace coach::gateway {

namespace {
// A label value with \, " and newlines escaped.
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}
}  // namespace

void GatewayMetrics::record(const std::string& service, const std::string& method, unsigned status,
                            std::chrono::steady_clock::duration took) {
  ++requests_[{service, method, status}];
  latency_[{service, method}].record(took);
}

std::string GatewayMetrics::render(const v1::HealthReply* health,
                                   const v1::ListPluginsReply* plugins,
                                   const Gauges& gauges) const {
  std::string out;
  auto line = [&out]<typename... Args>(fmt::format_string<Args...> format, Args&&... args) {
    out += fmt::format(format, std::forward<Args>(args)...);
    out += '\n';
  };
  // One histogram's series; labels is "" or "name=\"value\",...".
  auto histogram = [&line](const std::string& name, const std::string& labels,
                           const v1::Histogram& h) {
    const std::string sep = labels.empty() ? "" : ",";
    for (int i = 0; i < h.upper_bounds_size(); ++i)
      line("{}_bucket{{{}{}le=\"{}\"}} {}", name, labels, sep, h.upper_bounds(i),
           h.cumulative_counts(i));
    line("{}_bucket{{{}{}le=\"+Inf\"}} {}", name, labels, sep, h.count());
    const std::string braced = labels.empty() ? "" : "{" + labels + "}";
    line("{}_sum{} {}", name, braced, h.sum_seconds());
    line("{}_count{} {}", name, braced, h.count());
  };
  line("# HELP coach_gateway_requests_total HTTP requests to coachd methods, by HTTP status.");
  line("# TYPE coach_gateway_requests_total counter");
  for (const auto& [key, n] : requests_) {
    const auto& [service, method, status] = key;
    line("coach_gateway_requests_total{{service=\"{}\",method=\"{}\",status=\"{}\"}} {}",
         label(service), label(method), status, n);
  }
  line("# HELP coach_gateway_request_seconds Time from a request read to its answer.");
  line("# TYPE coach_gateway_request_seconds histogram");
  for (const auto& [key, h] : latency_) {
    v1::Histogram proto;
    h.to_proto(proto);
    histogram("coach_gateway_request_seconds",
              fmt::format("service=\"{}\",method=\"{}\"", label(key.first), label(key.second)),
              proto);
  }
  line("# HELP coach_gateway_in_flight Requests sent to coachd and not yet answered.");
  line("# TYPE coach_gateway_in_flight gauge");
  line("coach_gateway_in_flight {}", gauges.in_flight);
  line("# HELP coach_gateway_connections Open HTTP connections.");
  line("# TYPE coach_gateway_connections gauge");
  line("coach_gateway_connections {}", gauges.connections);
  line("# HELP coach_gateway_event_streams Open event streams (GET /v1/events).");
  line("# TYPE coach_gateway_event_streams gauge");
  line("coach_gateway_event_streams {}", gauges.streams);
  line("# HELP coach_gateway_events_received_total Events the gateway received from coachd.");
  line("# TYPE coach_gateway_events_received_total counter");
  line("coach_gateway_events_received_total {}", gauges.events_received);
  line("# HELP coach_gateway_events_streamed_total Events written to event streams.");
  line("# TYPE coach_gateway_events_streamed_total counter");
  line("coach_gateway_events_streamed_total {}", gauges.events_streamed);
  line("# HELP coach_gateway_streams_cut_total Streams closed because their client lagged.");
  line("# TYPE coach_gateway_streams_cut_total counter");
  line("coach_gateway_streams_cut_total {}", gauges.streams_cut);
  line("# HELP coachd_up Whether coachd answered the gateway's health check.");
  line("# TYPE coachd_up gauge");
  line("coachd_up {}", health ? 1 : 0);
  if (health) {
    line("# TYPE coachd_uptime_seconds gauge");
    line("coachd_uptime_seconds {}", static_cast<double>(health->uptime_ms()) / 1000);
    line("# HELP coachd_requests_total Requests coachd received.");
    line("# TYPE coachd_requests_total counter");
    line("coachd_requests_total {}", health->requests_total());
    line("# HELP coachd_errors_total Requests answered with a non-OK status, by status.");
    line("# TYPE coachd_errors_total counter");
    for (const auto& [code, n] : health->errors_by_code())
      line("coachd_errors_total{{code=\"{}\"}} {}", label(code), n);
    line("# TYPE coachd_requests_in_flight gauge");
    line("coachd_requests_in_flight {}", health->requests_in_flight());
    line("# HELP coachd_events_published_total Events plugins and the scheduler published.");
    line("# TYPE coachd_events_published_total counter");
    line("coachd_events_published_total {}", health->events_published());
    line("# HELP coachd_events_dropped_total Events dropped at a full queue, by where.");
    line("# TYPE coachd_events_dropped_total counter");
    line("coachd_events_dropped_total{{to=\"plugins\"}} {}", health->events_dropped_plugins());
    line("coachd_events_dropped_total{{to=\"external\"}} {}", health->events_dropped_external());
    line("# TYPE coachd_replies_undeliverable_total counter");
    line("coachd_replies_undeliverable_total {}", health->replies_undeliverable());
    line("# HELP coachd_store_commit_seconds How long the store's group commits took.");
    line("# TYPE coachd_store_commit_seconds histogram");
    histogram("coachd_store_commit_seconds", "", health->store_commit());
    line("# HELP coachd_scheduler_lag_seconds How late due entries reached their plugin.");
    line("# TYPE coachd_scheduler_lag_seconds histogram");
    histogram("coachd_scheduler_lag_seconds", "", health->scheduler_lag());
  }
  if (plugins) {
    line("# HELP coachd_plugin_up 1 for each plugin's current state.");
    line("# TYPE coachd_plugin_up gauge");
    for (const auto& p : plugins->plugins())
      line("coachd_plugin_up{{plugin=\"{}\",state=\"{}\"}} 1", label(p.name()), label(p.state()));
    line("# HELP coachd_plugin_requests_total Requests routed to each plugin.");
    line("# TYPE coachd_plugin_requests_total counter");
    for (const auto& p : plugins->plugins())
      line("coachd_plugin_requests_total{{plugin=\"{}\"}} {}", label(p.name()), p.requests_total());
    line("# TYPE coachd_plugin_events_dropped_total counter");
    for (const auto& p : plugins->plugins())
      line("coachd_plugin_events_dropped_total{{plugin=\"{}\"}} {}", label(p.name()),
           p.events_dropped());
  }
  return out;
}

}  // namespace coach::gateway
