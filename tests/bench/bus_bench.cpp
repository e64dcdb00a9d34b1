// SPDX-License-Identifier: Apache-2.0
// Request round trip client -> coachd -> echo plugin -> client over ipc, next to a raw ZeroMQ
// DEALER/ROUTER echo process serving the same bytes, and the same coachd over tcp with CURVE (an
// authenticated, encrypted client), measured in the same run. Prints p50/p99 latency and pipelined
// requests/s for each, the ratios, and coachd's time to READY and resident memory.
//
// With --endpoint it measures a coachd that is already running instead (rounds of the same
// request, optionally stated for a person as coach-gateway states it): the bus baseline that
// tests/bench/gateway_bench.sh alternates with its HTTP runs against the same daemon.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <thread>
#include <vector>

#include "bus_client.hpp"
#include "curve_keys.hpp"
#include "daemon_process.hpp"
#include "echo.pb.h"
#include "envelope.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Figures {
  double p50_us = 0;
  double p99_us = 0;
  double rps = 0;
};

double percentile(std::vector<double>& v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

// Sequential round trips for latency, then a window of requests in flight for throughput.
Figures measure(zmq::socket_t& s, const std::string& payload, int sequential, int pipelined,
                int window) {
  Figures f;
  zmq::message_t reply;
  for (int i = 0; i < 200; ++i) {  // warm-up
    s.send(zmq::buffer(payload), zmq::send_flags::none);
    (void)s.recv(reply);
  }
  std::vector<double> lat;
  lat.reserve(static_cast<std::size_t>(sequential));
  for (int i = 0; i < sequential; ++i) {
    auto t0 = Clock::now();
    s.send(zmq::buffer(payload), zmq::send_flags::none);
    (void)s.recv(reply);
    lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  f.p50_us = percentile(lat, 0.50);
  f.p99_us = percentile(lat, 0.99);
  auto t0 = Clock::now();
  int sent = 0, received = 0;
  while (received < pipelined) {
    while (sent < pipelined && sent - received < window) {
      s.send(zmq::buffer(payload), zmq::send_flags::none);
      ++sent;
    }
    (void)s.recv(reply);
    ++received;
  }
  f.rps = pipelined / std::chrono::duration<double>(Clock::now() - t0).count();
  return f;
}

std::uint64_t rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  }
  return 0;
}

double median_of(const std::vector<Figures>& runs, double Figures::*field) {
  std::vector<double> v;
  for (const auto& f : runs) v.push_back(f.*field);
  return percentile(v, 0.5);
}

int measure_running(const std::string& endpoint, const std::string& payload, int rounds,
                    int sequential, int pipelined, int window) {
  coach::core::BusClient client(endpoint);
  std::vector<Figures> bus;
  for (int r = 0; r < rounds; ++r) {
    bus.push_back(measure(client.socket(), payload, sequential, pipelined, window));
    fmt::print("round {}: coachd p50 {:.1f} us, {:.0f}/s\n", r + 1, bus.back().p50_us,
               bus.back().rps);
  }
  fmt::print("\nmedians over {} rounds\n{:<22} {:>10} {:>10} {:>12}\n", rounds, "", "p50 us",
             "p99 us", "requests/s");
  fmt::print("{:<22} {:>10.1f} {:>10.1f} {:>12.0f}\n", "coachd -> echo plugin",
             median_of(bus, &Figures::p50_us), median_of(bus, &Figures::p99_us),
             median_of(bus, &Figures::rps));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"coach_bus_bench: coachd request round trip against a raw ZeroMQ echo"};
  int rounds = 5, sequential = 4000, pipelined = 100000, window = 64, text_bytes = 64;
  std::string service = "echo";
  std::string cpu_scheduling = "batch";
  std::string endpoint, tenant, person, role;
  app.add_option("--rounds", rounds,
                 "Rounds; each measures the raw echo, then coachd (medians are reported)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--sequential", sequential, "Sequential round trips per round, for latency")
      ->capture_default_str();
  app.add_option("--pipelined", pipelined, "Requests per round for the throughput run")
      ->capture_default_str();
  app.add_option("--window", window, "Requests in flight in the throughput run")
      ->capture_default_str();
  app.add_option("--text-bytes", text_bytes, "Size of the echoed text")->capture_default_str();
  app.add_option("--service", service,
                 "Service the requests go to (diagnostics: an unknown one measures the broker "
                 "alone)")
      ->capture_default_str();
  app.add_option("--cpu-scheduling", cpu_scheduling,
                 "coachd's cpu_scheduling (batch is the default config's; normal to compare)")
      ->capture_default_str()
      ->check(CLI::IsMember({"batch", "normal"}));
  auto* running =
      app.add_option("--endpoint", endpoint,
                     "Measure the coachd already serving this request endpoint (its own plugins "
                     "and config) instead of starting one; no raw or CURVE comparison");
  // A started coachd has no people: stated principals only mean something with --endpoint.
  app.add_option("--tenant", tenant, "With --endpoint: the tenant the requests state")
      ->needs(running);
  app.add_option("--person", person,
                 "With --endpoint: the person the requests are made for, as coach-gateway states "
                 "its callers")
      ->needs(running);
  app.add_option("--role", role, "With --endpoint and --person: the one role they act in")
      ->needs(running);
  CLI11_PARSE(app, argc, argv);

  coach::v1::echo::EchoRequest req;
  req.set_text(std::string(static_cast<std::size_t>(text_bytes), 'x'));
  auto request = coach::core::make_request(service, "Echo", req);
  request.set_tenant(tenant);
  request.set_person(person);
  if (!role.empty()) request.add_roles(role);
  const std::string payload = request.SerializeAsString();
  if (!endpoint.empty()) {
    fmt::print(
        "payload: {} byte envelope; {} rounds of {} sequential and {} pipelined (window {}) "
        "against {}\n",
        payload.size(), rounds, sequential, pipelined, window, endpoint);
    return measure_running(endpoint, payload, rounds, sequential, pipelined, window);
  }
  fmt::print(
      "payload: {} byte envelope; {} rounds of {} sequential and {} pipelined (window {}); coachd "
      "cpu_scheduling {}\n",
      payload.size(), rounds, sequential, pipelined, window, cpu_scheduling);

  // Baseline: raw DEALER/ROUTER echo over ipc in its own process, as coachd is: one server
  // thread, one I/O thread, nothing but receive and send back. Forked before this process
  // creates any ZeroMQ context.
  coach::testing::TempDir dir;
  const std::string raw_ep = "ipc://" + dir.file("raw.sock");
  pid_t echo_pid = ::fork();
  if (echo_pid == 0) {
    zmq::context_t server_ctx(1);
    zmq::socket_t router(server_ctx, zmq::socket_type::router);
    router.set(zmq::sockopt::linger, 0);
    router.bind(raw_ep);
    for (;;) {
      std::vector<zmq::message_t> parts;
      if (!zmq::recv_multipart(router, std::back_inserter(parts))) continue;
      zmq::send_multipart(router, parts);
    }
  }

  // coachd with the default config's plugins, info logging as shipped.
  coach::testing::DaemonProcess daemon(
      "  echo: {}\n  behavior_styles: {}\n  motivation_keys: {}\n  service_followup: {}\n", "",
      "info");
  // And a CURVE endpoint with one client key, an operator of the tenant.
  const auto server_keys = coach::core::generate_curve_key_pair();
  const auto client_keys = coach::core::generate_curve_key_pair();
  coach::core::write_key_files(dir.path().string(), "coachd", server_keys);
  const std::string curve_ep = "tcp://127.0.0.1:" + std::to_string(coach::testing::free_tcp_port());
  daemon.set_sections(daemon.default_sections() + "cpu_scheduling: " + cpu_scheduling +
                      "\nsecurity:\n  curve:\n    request_endpoint: " + curve_ep +
                      "\n    server_key: " + dir.file("coachd.key") +
                      "\n    clients:\n      - {name: bench, public_key: \"" +
                      client_keys.public_key + "\", tenant: default, role: operator}\n");
  auto t0 = Clock::now();
  daemon.start();
  double ready_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  std::uint64_t rss_ready = rss_kib(daemon.pid());

  // Alternating rounds: this machine's speed drifts over seconds, and both sides of a ratio
  // should see the same drift.
  zmq::context_t ctx(1);
  zmq::socket_t raw_socket(ctx, zmq::socket_type::dealer);
  raw_socket.set(zmq::sockopt::linger, 0);
  raw_socket.connect(raw_ep);
  coach::core::BusClient client(daemon.request_endpoint());
  coach::core::BusClientOptions curve_options;
  curve_options.client_key = client_keys;
  curve_options.server_public_key = server_keys.public_key;
  coach::core::BusClient curve_client(curve_ep, curve_options);
  std::vector<Figures> raw, bus, curve;
  for (int r = 0; r < rounds; ++r) {
    raw.push_back(measure(raw_socket, payload, sequential, pipelined, window));
    bus.push_back(measure(client.socket(), payload, sequential, pipelined, window));
    curve.push_back(measure(curve_client.socket(), payload, sequential, pipelined, window));
    fmt::print(
        "round {}: raw p50 {:.1f} us, {:.0f}/s; coachd p50 {:.1f} us, {:.0f}/s; coachd CURVE tcp "
        "p50 {:.1f} us, {:.0f}/s\n",
        r + 1, raw.back().p50_us, raw.back().rps, bus.back().p50_us, bus.back().rps,
        curve.back().p50_us, curve.back().rps);
  }
  std::uint64_t rss_after = rss_kib(daemon.pid());
  daemon.signal(SIGTERM);
  daemon.wait_exit(10s);
  ::kill(echo_pid, SIGKILL);
  ::waitpid(echo_pid, nullptr, 0);

  const Figures raw_m{median_of(raw, &Figures::p50_us), median_of(raw, &Figures::p99_us),
                      median_of(raw, &Figures::rps)};
  const Figures bus_m{median_of(bus, &Figures::p50_us), median_of(bus, &Figures::p99_us),
                      median_of(bus, &Figures::rps)};
  const Figures curve_m{median_of(curve, &Figures::p50_us), median_of(curve, &Figures::p99_us),
                        median_of(curve, &Figures::rps)};
  fmt::print("\nmedians over {} rounds\n{:<22} {:>10} {:>10} {:>12}\n", rounds, "", "p50 us",
             "p99 us", "requests/s");
  fmt::print("{:<22} {:>10.1f} {:>10.1f} {:>12.0f}\n", "raw zmq echo (ipc)", raw_m.p50_us,
             raw_m.p99_us, raw_m.rps);
  fmt::print("{:<22} {:>10.1f} {:>10.1f} {:>12.0f}\n", "coachd -> echo plugin", bus_m.p50_us,
             bus_m.p99_us, bus_m.rps);
  fmt::print("{:<22} {:>10.1f} {:>10.1f} {:>12.0f}\n", "the same, CURVE tcp", curve_m.p50_us,
             curve_m.p99_us, curve_m.rps);
  double p50_ratio = bus_m.p50_us / raw_m.p50_us;
  double rps_ratio = bus_m.rps / raw_m.rps;
  fmt::print("\np50 ratio coachd/raw:        {:.2f}x  (target <= 1.5x: {})\n", p50_ratio,
             p50_ratio <= 1.5 ? "met" : "MISSED");
  fmt::print("requests/s ratio coachd/raw: {:.2f}   (target >= 0.5: {})\n", rps_ratio,
             rps_ratio >= 0.5 ? "met" : "MISSED");
  fmt::print("CURVE tcp cost vs coachd ipc:  p50 {:.2f}x, requests/s {:.2f}\n",
             curve_m.p50_us / bus_m.p50_us, curve_m.rps / bus_m.rps);
  fmt::print("coachd ready (fork to READY=1): {:.1f} ms  (target < 100 ms: {})\n", ready_ms,
             ready_ms < 100 ? "met" : "MISSED");
  fmt::print(
      "coachd resident: {:.1f} MiB at ready, {:.1f} MiB after the run  (target < 30 MiB: {})\n",
      static_cast<double>(rss_ready) / 1024, static_cast<double>(rss_after) / 1024,
      rss_after < 30 * 1024 ? "met" : "MISSED");
  return 0;
}
