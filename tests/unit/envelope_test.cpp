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
}

}  // namespace coach::core
