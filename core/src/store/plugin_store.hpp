// SPDX-License-Identifier: Apache-2.0
// PluginStore: the coach::Store a plugin gets from its context. It fills in the plugin's name and
// the tenant of the request being handled, so a plugin cannot name another plugin's or another
// tenant's keys, and turns every failure into a Status (nothing throws across the boundary).
#pragma once

#include <chrono>
#include <string>

#include "coach/store.hpp"
#include "store_service.hpp"

namespace coach::core {

class PluginStore final : public Store {
 public:
  using Deadline = std::chrono::steady_clock::time_point;
  // *tenant and *deadline are read at each call: the runner points them at the current
  // request's. They must outlive the PluginStore. Past the deadline, reads fail with
  // HANDLER_TIMEOUT (the caller has stopped waiting); writes still apply, all or nothing.
  PluginStore(StoreService& service, std::string plugin, const std::string* tenant,
              const Deadline* deadline = nullptr)
      : service_(service), plugin_(std::move(plugin)), tenant_(*tenant), deadline_(deadline) {}

  v1::Status read_value(std::string_view key, std::optional<StoredValue>& out) noexcept override;
  v1::Status scan_values(std::string_view prefix, std::string_view start_after, std::uint32_t limit,
                         ScanPage& out) noexcept override;
  v1::Status write_values(const std::vector<WriteOp>& ops, bool& applied,
                          std::vector<std::int64_t>& versions) noexcept override;

 private:
  StoreService& service_;
  std::string plugin_;
  const std::string& tenant_;
  const Deadline* deadline_;
};

// Runs fn, turning StoreError and any other exception into a non-OK Status.
template <typename Fn>
v1::Status status_of(Fn&& fn) noexcept {
  v1::Status status;
  try {
    fn();
  } catch (const StoreError& e) {
    status.set_code(e.code());
    status.set_message(e.what());
  } catch (const std::exception& e) {
    status.set_code(v1::STATUS_CODE_INTERNAL);
    status.set_message(e.what());
  } catch (...) {
    status.set_code(v1::STATUS_CODE_INTERNAL);
    status.set_message("unknown exception in the store");
  }
  return status;
}

}  // namespace coach::core
