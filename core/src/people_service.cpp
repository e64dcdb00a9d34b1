// SPDX-License-Identifier: Apache-2.0
#include "people_service.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "coach/access.hpp"
#include "coach/v1/people.pb.h"
#include "event_audience.hpp"
#include "logging.hpp"
#include "people_import.hpp"
#include "store/plugin_store.hpp"

namespace coach::core {

namespace {

constexpr std::size_t kWriteChunk = 500;  // people per store transaction of an import

std::string person_key(std::string_view id) { return "person/" + std::string(id); }

}  // namespace

PeopleService::PeopleService(zmq::context_t& zmq, std::string backend_endpoint, StoreService& store,
                             PeopleDirectories& directories,
                             const std::vector<std::string>& tenants)
    : store_(store),
      directories_(directories),
      log_(make_logger("people")),
      tenant_store_(std::make_unique<PluginStore>(store, std::string(kPeopleService), &tenant_)),
      service_(zmq, std::move(backend_endpoint), std::string(kPeopleIdentity),
               std::string(kPeopleService),
               [this](const v1::Envelope& request, const RequestTail& principal) {
                 return handle(request, principal);
               }) {
  load(tenants);
}

void PeopleService::load(const std::vector<std::string>& tenants) {
  const auto t0 = std::chrono::steady_clock::now();
  std::size_t total = 0;
  for (const auto& tenant : tenants) {
    // Its own scope: the handler thread may be serving a request meanwhile (SIGHUP).
    PluginStore store(store_, std::string(kPeopleService), &tenant);
    auto directory = std::make_shared<PeopleDirectory>();
    for (const auto& item : store.scan_all("person/"))
      directory->put(from_proto(Store::parse<v1::Person>(item)));
    total += directory->size();
    directories_.replace(tenant, std::move(directory));
  }
  log_->info(
      "people directory: {} people of {} tenant(s) loaded in {} ms", total, tenants.size(),
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count());
}

v1::Envelope PeopleService::handle(const v1::Envelope& request, const RequestTail& principal) {
  tenant_.assign(principal.tenant);
  const auto current = directories_.get(tenant_);
  const RequestContext rc = request_context(request, principal);
  const Access access(rc, *current);
  const auto& method = request.method();
  if (method == "ImportPeople") {
    access.require(access.admin(), "the people import");
    v1::ImportPeopleRequest req;
    request.payload().UnpackTo(&req);
    auto parsed = parse_people(req);
    auto next = std::make_shared<PeopleDirectory>(*current);
    const auto applied = apply_people(*next, parsed);
    for (std::size_t i = 0; i < applied.changed.size(); i += kWriteChunk) {
      WriteBatch batch;
      for (std::size_t j = i; j < std::min(applied.changed.size(), i + kWriteChunk); ++j)
        batch.put(person_key(applied.changed[j].id), to_proto(applied.changed[j]));
      tenant_store_->commit(batch);
    }
    v1::ImportPeopleReply out;
    out.set_lines(parsed.lines);
    out.set_added(applied.added);
    out.set_updated(applied.updated);
    out.set_unchanged(applied.unchanged);
    for (auto& e : parsed.errors) *out.add_errors() = std::move(e);
    out.set_people(static_cast<std::uint32_t>(next->size()));
    if (!applied.changed.empty()) directories_.replace(tenant_, std::move(next));
    log_->info(
        "tenant {}: people import of {} lines: {} added, {} updated, {} unchanged, {} "
        "refused",
        tenant_, out.lines(), out.added(), out.updated(), out.unchanged(), out.errors_size());
    return make_reply(request.message_id(), out);
  } else if (method == "GetPerson") {
    v1::GetPersonRequest req;
    request.payload().UnpackTo(&req);
    require_id("id", req.id());
    access.require(access.own_coach_or_manager(req.id()), "the directory entry", req.id());
    const Person* p = current->find(req.id());
    if (!p) throw Error(v1::STATUS_CODE_NOT_FOUND, "id: no person '" + req.id() + "'");
    return make_reply(request.message_id(), to_proto(*p));
  } else if (method == "ListPeople") {
    v1::ListPeopleRequest req;
    request.payload().UnpackTo(&req);
    const std::uint32_t limit = req.limit() == 0 || req.limit() > 1000 ? 1000 : req.limit();
    v1::PersonList out;
    auto add = [&](const Person& p) {
      if (static_cast<std::uint32_t>(out.people_size()) == limit) {
        out.set_next_after(out.people(out.people_size() - 1).id());
        return false;
      }
      *out.add_people() = to_proto(p);
      return true;
    };
    if (req.team().empty()) {
      access.require(access.admin(), "the whole people directory");
      for (auto it = current->all().upper_bound(req.after()); it != current->all().end(); ++it)
        if (!add(it->second)) break;
    } else {
      access.require(access.team_lead(req.team()), "the members", "team " + req.team());
      const auto& members = current->team(req.team());
      for (auto it = members.upper_bound(req.after()); it != members.end(); ++it)
        if (!add(*current->find(*it))) break;
    }
    return make_reply(request.message_id(), out);
  } else if (method == "RemovePerson") {
    access.require(access.admin(), "removing people");
    v1::GetPersonRequest req;
    request.payload().UnpackTo(&req);
    require_id("id", req.id());
    v1::RemovePersonReply out;
    auto next = std::make_shared<PeopleDirectory>(*current);
    if (!next->coachees(req.id()).empty() || !next->reports(req.id()).empty()) {
      throw Error(v1::STATUS_CODE_FAILED_PRECONDITION,
                  "id: '" + req.id() +
                      "' still coaches or manages people; import their new "
                      "coach or manager first");
    }
    out.set_removed(next->erase(req.id()));
    if (out.removed()) {
      tenant_store_->commit(WriteBatch().erase(person_key(req.id())));
      directories_.replace(tenant_, std::move(next));
    }
    return make_reply(request.message_id(), out);
  } else if (method == "GetVisibility") {
    const Viewer viewer = viewer_of(access, *current);
    v1::Visibility out;
    out.set_person(std::string(rc.person));
    for (std::size_t i = 0; i < std::size(kRoleNames); ++i)
      if (rc.roles.has(static_cast<Role>(1u << i))) out.add_roles(std::string(kRoleNames[i]));
    out.set_admin(viewer.admin);
    out.set_service_desk(viewer.service_desk);
    for (const auto& id : viewer.people) out.add_people(id);
    return make_reply(request.message_id(), out);
  } else {
    throw Error(v1::STATUS_CODE_UNKNOWN_METHOD, "people has no method '" + method + "'");
  }
}

}  // namespace coach::core
