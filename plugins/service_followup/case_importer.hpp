// SPDX-License-Identifier: Apache-2.0
// CaseImporter: a help desk's history, applied through CaseService as living through it would
// have: each line in event time, a batch of lines in one commit, each line once (its event_id is
// kept on its case). Consequences still pending in an imported history (auto-closes, check-ins)
// wait until imports have been quiet for import_settle_minutes; then the import_settle entry
// applies those that fell due and schedules the rest, one batch's cases per delivery.
//
//   deferred/<ms>-<seq>   the ids of an import batch's cases whose consequences wait, one per line
//   meta/import_last_ms   when an import batch last arrived (decimal ms)
//   meta/import_settle    (empty) an import_settle entry is scheduled
#pragma once

#include <coach/plugin.hpp>

#include "case_service.hpp"

namespace coach::service_followup {

class CaseImporter {
 public:
  static constexpr int kMaxBatch = 1000;

  CaseImporter(PluginContext& ctx, CaseService& cases);

  pb::ImportReply import(const pb::ImportEvent& e);
  pb::ImportBatchReply import_batch(const pb::ImportBatchRequest& r);
  // The import_settle entry came due.
  void settle(const DueEntry& due);

 private:
  // One line, applied; "applied" or "duplicate". Throws coach::Error for a refused line.
  std::string import_line(const pb::ImportEvent& e);
  void write_deferred(CaseService::ImportBatch& batch);
  void ensure_settle_scheduled();
  void schedule_settle(std::int64_t due_ms);

  PluginContext& ctx_;
  CaseService& cases_;
  std::int64_t settle_ms_;
  std::uint64_t deferred_seq_ = 0;
};

}  // namespace coach::service_followup
