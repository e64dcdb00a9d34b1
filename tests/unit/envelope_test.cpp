// SPDX-License-Identifier: Apache-2.0
#include "envelope.hpp"

#include <google/protobuf/wrappers.pb.h>
#include <gtest/gtest.h>

namespace coach::core {

TEST(Envelope, RequestCarriesServiceMethodAndTypedPayload) {
  google::protobuf::StringValue text;
  text.set_value("hello");
  auto env = make_request("echo", "Echo", text);
  EXPECT_EQ(env.kind(), v1::Envelope::KIND_REQUEST);
  EXPECT_EQ(env.service(), "echo");
  EXPECT_EQ(env.method(), "Echo");
  EXPECT_FALSE(env.message_id().empty());
  EXPECT_GT(env.sent_at().seconds(), 1'700'000'000);
  v1::Envelope decoded;
  ASSERT_TRUE(decoded.ParseFromString(env.SerializeAsString()));
  google::protobuf::StringValue back;
  ASSERT_TRUE(decoded.payload().UnpackTo(&back));
  EXPECT_EQ(back.value(), "hello");
  EXPECT_EQ(type_name_of(decoded.payload().type_url()), "google.protobuf.StringValue");
}

TEST(Envelope, MessageIdsAreUnique) { EXPECT_NE(new_message_id(), new_message_id()); }

TEST(Envelope, ErrorReplyCorrelatesAndNamesItsCode) {
  auto env = make_error_reply("abc", v1::STATUS_CODE_UNKNOWN_SERVICE, "no plugin serves 'x'");
  EXPECT_EQ(env.kind(), v1::Envelope::KIND_REPLY);
  EXPECT_EQ(env.correlation_id(), "abc");
  EXPECT_EQ(env.status().code(), v1::STATUS_CODE_UNKNOWN_SERVICE);
  EXPECT_EQ(status_name(env.status().code()), "UNKNOWN_SERVICE");
  EXPECT_FALSE(env.has_payload());
}

TEST(Envelope, InternalHeadersRoundTripAndRejectShortFrames) {
  std::uint64_t seq = 0;
  std::string_view tail;
  auto header = encode_header(frame::kRequest, 0x0102030405060708ULL, "acme");
  EXPECT_EQ(header[0], frame::kRequest);
  ASSERT_TRUE(decode_header(header, seq, tail));
  EXPECT_EQ(seq, 0x0102030405060708ULL);
  EXPECT_EQ(tail, "acme");
  EXPECT_FALSE(decode_header("Rabc", seq, tail));
}

TEST(Envelope, GarbageDoesNotParseAsEnvelope) {
  v1::Envelope env;
  EXPECT_FALSE(env.ParseFromString(std::string("\xff\xff\xff\xff garbage", 12)));
  const std::string garbage("\xff\xff\xff\xff garbage", 12);
  EXPECT_FALSE(parse_reusing_buffers(env, garbage.data(), garbage.size()));
}

TEST(Envelope, AReusedEnvelopeKeepsItsBuffersButNothingOfTheLastMessage) {
  google::protobuf::StringValue text;
  text.set_value("a first payload, long enough to live on the heap");
  auto first = make_request("echo", "Echo", text);
  first.set_tenant("acme");
  first.mutable_status()->set_code(v1::STATUS_CODE_INTERNAL);
  first.mutable_status()->set_message("a status a request would not carry");
  const std::string first_bytes = first.SerializeAsString();
  v1::Envelope second;
  second.set_kind(v1::Envelope::KIND_REQUEST);
  second.set_message_id("m-2");
  second.set_service("other");
  const std::string second_bytes = second.SerializeAsString();

  v1::Envelope reused;
  ASSERT_TRUE(parse_reusing_buffers(reused, first_bytes.data(), first_bytes.size()));
  EXPECT_EQ(reused.SerializeAsString(), first_bytes);
  const auto* payload = &reused.payload();
  const auto* status = &reused.status();

  ASSERT_TRUE(parse_reusing_buffers(reused, second_bytes.data(), second_bytes.size()));
  EXPECT_EQ(&reused.payload(), payload);  // the point: kept, not freed and allocated again
  EXPECT_EQ(&reused.status(), status);
  EXPECT_EQ(reused.message_id(), "m-2");
  EXPECT_EQ(reused.service(), "other");
  EXPECT_EQ(reused.method(), "");
  EXPECT_EQ(reused.tenant(), "");
  EXPECT_EQ(reused.payload().type_url(), "");
  EXPECT_EQ(reused.payload().value(), "");
  EXPECT_EQ(reused.status().code(), v1::STATUS_CODE_OK);
  EXPECT_EQ(reused.status().message(), "");
  EXPECT_EQ(reused.sent_at().seconds(), 0);

  // Building on it: cleared the same way, then only what is set is sent (an error path clears
  // the kept payload, as the plugin runner does).
  clear_keeping_buffers(reused);
  reused.set_correlation_id("m-2");
  reused.clear_payload();
  reused.clear_status();
  reused.clear_sent_at();
  v1::Envelope expected;
  expected.set_correlation_id("m-2");
  EXPECT_EQ(reused.SerializeAsString(), expected.SerializeAsString());
}

}  // namespace coach::core
