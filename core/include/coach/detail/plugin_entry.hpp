// SPDX-License-Identifier: Apache-2.0
// What COACH_PLUGIN expands to: the adapter that keeps exceptions on the plugin's side, and the
// three plain entry points the loader looks up with Boost.DLL. Not for plugin authors.
#pragma once

#include <boost/dll/alias.hpp>

#include <cstdint>
#include <new>
#include <optional>
#include <string>

#include "coach/abi.hpp"
#include "coach/detail/host.hpp"

// The plugin's embedded descriptor set (coach_add_plugin generates it); weak, so a plugin built
// without it still links and simply has no comments to show.
namespace coach_plugin_entry {
extern const unsigned char kDescriptorSet[] __attribute__((weak));
extern const std::uint64_t kDescriptorSetSize __attribute__((weak));
}  // namespace coach_plugin_entry

namespace coach::detail {

// Runs fn; an exception becomes its message in error. False when fn threw.
template <typename Fn>
bool run_guarded(std::string& error, Fn&& fn) noexcept {
  v1::Status status;
  capture_status(status, fn);
  if (status.code() == v1::STATUS_CODE_OK) return true;
  error = status.message();
  return false;
}

template <typename P>
class PluginAdapter final : public PluginInstance {
 public:
  bool start(HostContext& host, std::string& error) noexcept override {
    const bool ok = run_guarded(error, [&] {
      context_.emplace(host, P::manifest());
      plugin_.emplace();
      plugin_->start(*context_);
    });
    if (!ok) {
      plugin_.reset();
      context_.reset();
    }
    return ok;
  }
  void stop(std::string& error) noexcept override {
    if (!plugin_) return;
    run_guarded(error, [&] { plugin_->stop(); });
    plugin_.reset();
    context_.reset();
  }

 private:
  std::optional<PluginContext> context_;
  std::optional<P> plugin_;
};

template <typename P>
const PluginManifest* manifest_of(std::uint32_t abi_version) noexcept {
  static const PluginManifest m = [abi_version] {
    PluginManifest copy = P::manifest();
    copy.abi_version = abi_version;
    if (&coach_plugin_entry::kDescriptorSetSize != nullptr) {
      copy.descriptor_set = coach_plugin_entry::kDescriptorSet;
      copy.descriptor_set_size = coach_plugin_entry::kDescriptorSetSize;
    }
    return copy;
  }();
  return &m;
}

}  // namespace coach::detail

// AbiVersion other than coach::kAbiVersion only in tests (to build a mismatch).
#define COACH_DETAIL_PLUGIN_ENTRY(PluginClass, AbiVersion)                   \
  static_assert(std::is_base_of_v<::coach::Plugin, PluginClass>,             \
                #PluginClass " must derive from coach::Plugin");             \
  namespace coach_plugin_entry {                                             \
  std::uint32_t abi_version() noexcept { return (AbiVersion); }              \
  const ::coach::PluginManifest* manifest() noexcept {                       \
    return ::coach::detail::manifest_of<PluginClass>(AbiVersion);            \
  }                                                                          \
  ::coach::detail::PluginInstance* create() noexcept {                       \
    return new (std::nothrow)::coach::detail::PluginAdapter<PluginClass>();  \
  }                                                                          \
  }                                                                          \
  BOOST_DLL_ALIAS(coach_plugin_entry::abi_version, coach_plugin_abi_version) \
  BOOST_DLL_ALIAS(coach_plugin_entry::manifest, coach_plugin_manifest)       \
  BOOST_DLL_ALIAS(coach_plugin_entry::create, coach_plugin_create)
