// SPDX-License-Identifier: Apache-2.0
// PeopleDirectories: every tenant's people directory as an immutable snapshot, shared by the
// broker (which resolves principals) and the plugin threads (PluginContext::people()). A change
// builds a new snapshot and swaps it in; readers keep the one they took until they let it go.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "coach/people.hpp"

namespace coach::core {

class PeopleDirectories {
 public:
  // The tenant's directory; an empty one for a tenant without people. Never null.
  std::shared_ptr<const PeopleDirectory> get(std::string_view tenant) const {
    std::lock_guard lock(mutex_);
    auto it = tenants_.find(tenant);
    return it == tenants_.end() ? empty() : it->second;
  }
  void replace(const std::string& tenant, std::shared_ptr<const PeopleDirectory> directory) {
    std::lock_guard lock(mutex_);
    tenants_[tenant] = std::move(directory);
  }

 private:
  static const std::shared_ptr<const PeopleDirectory>& empty() {
    static const auto kEmpty = std::make_shared<const PeopleDirectory>();
    return kEmpty;
  }

  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const PeopleDirectory>, std::less<>> tenants_;
};

}  // namespace coach::core
