// SPDX-License-Identifier: Apache-2.0
// Test support for plugin tests: calls a service over a real bus and keeps the status, and turns a
// thrown coach::Error into its code.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>

#include <google/protobuf/util/json_util.h>

#include "bus_client.hpp"
#include "coach/error.hpp"
#include "coach/testing.hpp"
#include "people_import.hpp"

namespace coach::testing {

struct Reply {
  v1::StatusCode code = v1::STATUS_CODE_OK;
  std::string message;
  google::protobuf::Any payload;

  template <typename Msg>
  Msg as() const {
    Msg msg;
    payload.UnpackTo(&msg);
    return msg;
  }
};

class PluginClient {
 public:
  PluginClient(const std::string& endpoint, std::string service)
      : client_(endpoint), service_(std::move(service)) {}

  Reply call(const std::string& method, const google::protobuf::Message& in,
             const std::string& service = "") {
    auto env =
        client_.call(service.empty() ? service_ : service, method, in, std::chrono::seconds(10));
    return {env.status().code(), env.status().message(), env.payload()};
  }

  // Calls and expects OK.
  template <typename Out>
  Out ok(const std::string& method, const google::protobuf::Message& in) {
    auto r = call(method, in);
    EXPECT_EQ(r.code, v1::STATUS_CODE_OK) << method << ": " << r.message;
    return r.as<Out>();
  }

  // Adds a person to the tenant's people directory (as its operator).
  void add_person(const Person& person) {
    v1::ImportPeopleRequest req;
    req.set_format("jsonl");
    std::string line;
    (void)google::protobuf::util::MessageToJsonString(core::to_proto(person), &line);
    req.set_text(line);
    auto r = call("ImportPeople", req, "people");
    ASSERT_EQ(r.code, v1::STATUS_CODE_OK) << r.message;
    ASSERT_EQ(r.as<v1::ImportPeopleReply>().errors_size(), 0) << line;
  }

 private:
  core::BusClient client_;
  std::string service_;
};

// PluginClient's interface over coach/testing.hpp's TestContext: the same test body drives a
// plugin in-process or through a daemon.
class InProcessClient {
 public:
  explicit InProcessClient(TestContext& context) : context_(context) {}

  Reply call(const std::string& method, const google::protobuf::Message& in) {
    Reply r;
    auto status = context_.call_any(method, in, r.payload);
    r.code = status.code();
    r.message = status.message();
    if (r.code != v1::STATUS_CODE_OK) r.payload.Clear();
    return r;
  }
  template <typename Out>
  Out ok(const std::string& method, const google::protobuf::Message& in) {
    auto r = call(method, in);
    EXPECT_EQ(r.code, v1::STATUS_CODE_OK) << method << ": " << r.message;
    return r.as<Out>();
  }

  void add_person(const Person& person) { context_.directory().put(person); }

 private:
  TestContext& context_;
};

// The code of the coach::Error fn throws (OK when it throws none); its message into *message.
inline v1::StatusCode error_code_of(const std::function<void()>& fn,
                                    std::string* message = nullptr) {
  try {
    fn();
  } catch (const coach::Error& e) {
    if (message) *message = e.what();
    return e.code();
  }
  return v1::STATUS_CODE_OK;
}

}  // namespace coach::testing
