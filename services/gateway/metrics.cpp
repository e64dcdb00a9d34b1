// SPDX-License-Identifier: Apache-2.0
#include "metrics.hpp"

#include <fmt/format.h>

#include <string_view>

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
  // A family's HELP and TYPE lines.
  auto family = [&line](std::string_view name, std::string_view type, std::string_view help) {
    line("# HELP {} {}", name, help);
    line("# TYPE {} {}", name, type);
  };
  // A family of one unlabelled sample.
  auto single = [&](std::string_view name, std::string_view type, std::string_view help,
                    auto value) {
    family(name, type, help);
    line("{} {}", name, value);
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
  family("coach_gateway_requests_total", "counter",
         "HTTP requests to coachd methods, by HTTP status.");
  for (const auto& [key, n] : requests_) {
    const auto& [service, method, status] = key;
    line("coach_gateway_requests_total{{service=\"{}\",method=\"{}\",status=\"{}\"}} {}",
         label(service), label(method), status, n);
  }
  family("coach_gateway_request_seconds", "histogram", "Time from a request read to its answer.");
  for (const auto& [key, h] : latency_) {
    v1::Histogram proto;
    h.to_proto(proto);
    histogram("coach_gateway_request_seconds",
              fmt::format("service=\"{}\",method=\"{}\"", label(key.first), label(key.second)),
              proto);
  }
  single("coach_gateway_in_flight", "gauge", "Requests sent to coachd and not yet answered.",
         gauges.in_flight);
  single("coach_gateway_connections", "gauge", "Open HTTP connections.", gauges.connections);
  single("coach_gateway_event_streams", "gauge", "Open event streams (GET /v1/events).",
         gauges.streams);
  single("coach_gateway_events_received_total", "counter",
         "Events the gateway received from coachd.", gauges.events_received);
  single("coach_gateway_events_streamed_total", "counter", "Events written to event streams.",
         gauges.events_streamed);
  single("coach_gateway_streams_cut_total", "counter",
         "Streams closed because their client lagged.", gauges.streams_cut);
  single("coachd_up", "gauge", "Whether coachd answered the gateway's health check.",
         health ? 1 : 0);
  if (health) {
    single("coachd_uptime_seconds", "gauge", "Seconds since coachd started.",
           static_cast<double>(health->uptime_ms()) / 1000);
    single("coachd_requests_total", "counter", "Requests coachd received.",
           health->requests_total());
    family("coachd_errors_total", "counter", "Requests answered with a non-OK status, by status.");
    for (const auto& [code, n] : health->errors_by_code())
      line("coachd_errors_total{{code=\"{}\"}} {}", label(code), n);
    single("coachd_requests_in_flight", "gauge", "Requests coachd is handling.",
           health->requests_in_flight());
    single("coachd_events_published_total", "counter",
           "Events plugins and the scheduler published.", health->events_published());
    family("coachd_events_dropped_total", "counter", "Events dropped at a full queue, by where.");
    line("coachd_events_dropped_total{{to=\"plugins\"}} {}", health->events_dropped_plugins());
    line("coachd_events_dropped_total{{to=\"external\"}} {}", health->events_dropped_external());
    single("coachd_replies_undeliverable_total", "counter",
           "Replies whose client had gone when they were ready.", health->replies_undeliverable());
    family("coachd_store_commit_seconds", "histogram", "How long the store's group commits took.");
    histogram("coachd_store_commit_seconds", "", health->store_commit());
    family("coachd_scheduler_lag_seconds", "histogram",
           "How late due entries reached their plugin.");
    histogram("coachd_scheduler_lag_seconds", "", health->scheduler_lag());
  }
  if (plugins) {
    family("coachd_plugin_up", "gauge", "1 for each plugin's current state.");
    for (const auto& p : plugins->plugins())
      line("coachd_plugin_up{{plugin=\"{}\",state=\"{}\"}} 1", label(p.name()), label(p.state()));
    family("coachd_plugin_requests_total", "counter", "Requests routed to each plugin.");
    for (const auto& p : plugins->plugins())
      line("coachd_plugin_requests_total{{plugin=\"{}\"}} {}", label(p.name()), p.requests_total());
    family("coachd_plugin_events_dropped_total", "counter",
           "Events dropped at each plugin's full queue.");
    for (const auto& p : plugins->plugins())
      line("coachd_plugin_events_dropped_total{{plugin=\"{}\"}} {}", label(p.name()),
           p.events_dropped());
  }
  return out;
}

}  // namespace coach::gateway
