// SPDX-License-Identifier: Apache-2.0
// ProtoJson against protobuf's own converter on every message of the project's .proto files:
// random messages print to the same text, and what protobuf prints (either field naming) parses
// back to the same message.
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <google/protobuf/util/type_resolver_util.h>
#include <gtest/gtest.h>

#include <cfloat>
#include <fstream>
#include <limits>
#include <memory>
#include <random>

#include "proto_json.hpp"

namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

class ProtoJsonTest : public ::testing::Test {
 protected:
  ProtoJsonTest() {
    // protoc --include_imports lists every file after the files it imports.
    std::ifstream in(COACH_PROJECT_PROTOS, std::ios::binary);
    google::protobuf::FileDescriptorSet set;
    EXPECT_TRUE(set.ParseFromIstream(&in)) << COACH_PROJECT_PROTOS;
    for (const auto& file : set.file()) {
      const auto* f = pool_.BuildFile(file);
      EXPECT_NE(f, nullptr) << file.name();
      if (f && f->package() != "google.protobuf") collect(f);
    }
    resolver_.reset(
        google::protobuf::util::NewTypeResolverForDescriptorPool("type.googleapis.com", &pool_));
  }

  void collect(const google::protobuf::FileDescriptor* file) {
    for (int i = 0; i < file->message_type_count(); ++i) collect(file->message_type(i));
  }
  void collect(const Descriptor* type) {
    types_.push_back(type);
    for (int i = 0; i < type->nested_type_count(); ++i) collect(type->nested_type(i));
  }

  std::unique_ptr<Message> make(const Descriptor* type) {
    return std::unique_ptr<Message>(factory_.GetPrototype(type)->New());
  }
  static std::string url(const Descriptor* type) {
    return "type.googleapis.com/" + type->full_name();
  }
  std::string protobuf_json(const Message& m, bool original_names = true) {
    google::protobuf::util::JsonPrintOptions opts;
    opts.preserve_proto_field_names = original_names;
    opts.always_print_primitive_fields = true;
    std::string out;
    auto st = google::protobuf::util::BinaryToJsonString(resolver_.get(), url(m.GetDescriptor()),
                                                         m.SerializeAsString(), &out, opts);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return out;
  }

  // Text of ASCII and code points from every plane, among them the ones protobuf escapes and
  // their neighbours.
  std::string text() {
    static const unsigned special[] = {
        0x80,    0x9f,    0xa0,    0xac,    0xad,    0xae,    0x5ff,   0x600,   0x603,   0x604,
        0x6dd,   0x70f,   0x17b4,  0x17b5,  0x200a,  0x200b,  0x200f,  0x2010,  0x2027,  0x2028,
        0x202e,  0x202f,  0x205f,  0x2060,  0x2064,  0x2065,  0x2069,  0x206a,  0x206f,  0x2070,
        0xfeff,  0xfff8,  0xfff9,  0xfffb,  0xfffc,  0xffff,  0x10000, 0x1d172, 0x1d173, 0x1d17a,
        0x1d17b, 0xe0000, 0xe0001, 0xe0002, 0xe001f, 0xe0020, 0xe007f, 0xe0080, 0x10ffff};
    std::string s;
    for (std::size_t n = pick(0, 12); n > 0; --n) {
      unsigned cp;
      switch (pick(0, 5)) {
        case 0:
          cp = static_cast<unsigned>(pick(0x80, 0xd7ff));
          break;
        case 1:
          cp = static_cast<unsigned>(pick(0x10000, 0x10ffff));
          break;
        case 2:
          cp = special[pick(0, std::size(special) - 1)];
          break;
        default:
          cp = static_cast<unsigned>(pick(0, 127));
      }
      coach::core::append_utf8(cp, s);
    }
    return s;
  }
  double number() {
    static const double some[] = {0.0,  -0.0,    0.1,     1.0 / 3,  1e21,   1e-7, 123.456,
                                  2.0,  -2.5e10, DBL_MAX, -DBL_MIN, 5e-324, 0.3,  1e15,
                                  1e16, 1e17,    0.5,     100.0,    1e-300, 7e22, 8.25e-3};
    return pick(0, 3) == 0 ? std::uniform_real_distribution<double>(-1e6, 1e6)(rng_)
                           : some[pick(0, std::size(some) - 1)];
  }
  template <typename Int>
  Int integer() {
    switch (pick(0, 4)) {
      case 0:
        return 0;
      case 1:
        return std::numeric_limits<Int>::min();
      case 2:
        return std::numeric_limits<Int>::max();
      default:
        return std::uniform_int_distribution<Int>()(rng_);
    }
  }
  std::size_t pick(std::size_t lo, std::size_t hi) {
    return std::uniform_int_distribution<std::size_t>(lo, hi)(rng_);
  }

  using R = google::protobuf::Reflection;
  template <typename Int>
  static void put(Message& m, const FieldDescriptor* f, bool add, Int v,
                  void (R::*set)(Message*, const FieldDescriptor*, Int) const,
                  void (R::*append)(Message*, const FieldDescriptor*, Int) const) {
    (m.GetReflection()->*(add ? append : set))(&m, f, v);
  }

  // Random values in every field of m, nested messages to depth 3.
  void fill(Message& m, int depth) {
    const auto* r = m.GetReflection();
    const auto* type = m.GetDescriptor();
    for (int i = 0; i < type->field_count(); ++i) {
      const FieldDescriptor* f = type->field(i);
      const std::size_t n = f->is_repeated() ? pick(0, 3) : 1;
      for (std::size_t k = 0; k < n; ++k) {
        const bool add = f->is_repeated();
        switch (f->cpp_type()) {
          case FieldDescriptor::CPPTYPE_INT32:
            put(m, f, add, integer<std::int32_t>(), &R::SetInt32, &R::AddInt32);
            break;
          case FieldDescriptor::CPPTYPE_INT64:
            put(m, f, add, integer<std::int64_t>(), &R::SetInt64, &R::AddInt64);
            break;
          case FieldDescriptor::CPPTYPE_UINT32:
            put(m, f, add, integer<std::uint32_t>(), &R::SetUInt32, &R::AddUInt32);
            break;
          case FieldDescriptor::CPPTYPE_UINT64:
            put(m, f, add, integer<std::uint64_t>(), &R::SetUInt64, &R::AddUInt64);
            break;
          case FieldDescriptor::CPPTYPE_DOUBLE: {
            double v = number();
            add ? r->AddDouble(&m, f, v) : r->SetDouble(&m, f, v);
            break;
          }
          case FieldDescriptor::CPPTYPE_BOOL: {
            bool v = pick(0, 1) == 1;
            add ? r->AddBool(&m, f, v) : r->SetBool(&m, f, v);
            break;
          }
          case FieldDescriptor::CPPTYPE_ENUM: {
            const auto* e = f->enum_type();
            int v = pick(0, 9) == 0
                        ? 99
                        : e->value(static_cast<int>(pick(0, e->value_count() - 1)))->number();
            add ? r->AddEnumValue(&m, f, v) : r->SetEnumValue(&m, f, v);
            break;
          }
          case FieldDescriptor::CPPTYPE_STRING: {
            std::string v = text();
            if (f->type() == FieldDescriptor::TYPE_BYTES)
              for (auto& c : v) c = static_cast<char>(pick(0, 255));
            add ? r->AddString(&m, f, v) : r->SetString(&m, f, v);
            break;
          }
          case FieldDescriptor::CPPTYPE_MESSAGE:
            if (depth < 3 && pick(0, 1) == 1)
              fill(add ? *r->AddMessage(&m, f) : *r->MutableMessage(&m, f), depth + 1);
            break;
          case FieldDescriptor::CPPTYPE_FLOAT:
            break;
        }
      }
    }
  }

  google::protobuf::DescriptorPool pool_;
  google::protobuf::DynamicMessageFactory factory_{&pool_};
  std::unique_ptr<google::protobuf::util::TypeResolver> resolver_;
  std::vector<const Descriptor*> types_;
  std::mt19937_64 rng_{20261201};
  coach::core::ProtoJson json_;
};

TEST_F(ProtoJsonTest, CoversPlainMessagesAndDeclinesTheRest) {
  const auto* pool = &pool_;
  EXPECT_TRUE(json_.covers(pool->FindMessageTypeByName("coach.v1.echo.EchoRequest")));
  EXPECT_TRUE(json_.covers(pool->FindMessageTypeByName("coach.v1.echo.EchoReply")));
  EXPECT_FALSE(json_.covers(pool->FindMessageTypeByName("coach.v1.Envelope")));  // Any, Timestamp
  EXPECT_FALSE(json_.covers(pool->FindMessageTypeByName("google.protobuf.StringValue")));
  int covered = 0;
  for (const auto* type : types_) {
    bool plain = true;
    for (int i = 0; i < type->field_count(); ++i) plain = plain && !type->field(i)->is_map();
    if (!plain) {
      EXPECT_FALSE(json_.covers(type)) << type->full_name() << " has a map";
    }
    covered += json_.covers(type);
  }
  // Most of the project's messages take the direct path.
  EXPECT_GT(covered, static_cast<int>(types_.size()) / 2) << covered << " of " << types_.size();
}

TEST_F(ProtoJsonTest, PrintsWhatProtobufPrints) {
  int printed = 0;
  for (const auto* type : types_) {
    if (!json_.covers(type)) continue;
    for (int round = 0; round < 40; ++round) {
      auto m = make(type);
      if (round > 0) fill(*m, 0);  // the first: every field at its default
      std::string ours = "prefix";
      ASSERT_TRUE(json_.print(*m, ours)) << type->full_name();
      ASSERT_EQ(ours, "prefix" + protobuf_json(*m)) << type->full_name();
      ++printed;
    }
  }
  EXPECT_GT(printed, 1000);
}

TEST_F(ProtoJsonTest, ParsesWhatProtobufPrintsUnderEitherName) {
  for (const auto* type : types_) {
    if (!json_.covers(type)) continue;
    for (int round = 0; round < 40; ++round) {
      auto m = make(type);
      fill(*m, 0);
      for (const bool original : {true, false}) {
        const std::string text = protobuf_json(*m, original);
        auto back = make(type);
        ASSERT_TRUE(json_.parse(text, *back)) << text;
        EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*m, *back))
            << text << "\nread back as\n"
            << back->DebugString();
      }
    }
  }
}

TEST_F(ProtoJsonTest, ReadsEveryFormOfAValueProtobufReadsTheSame) {
  const auto* type = pool_.FindMessageTypeByName("coach.v1.echo.EchoRequest");
  const std::string text = "{ \"text\" : \"a\\u00e9\\ud83d\\ude00\\n\\/\\\"\" }\n";
  auto ours = make(type);
  ASSERT_TRUE(json_.parse(text, *ours));
  auto theirs = make(type);
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(text, theirs.get()).ok());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*ours, *theirs));
  EXPECT_EQ(ours->GetReflection()->GetString(*ours, type->FindFieldByName("text")),
            "a\xc3\xa9\xf0\x9f\x98\x80\n/\"");
}

TEST_F(ProtoJsonTest, DeclinesWhatItLeavesToProtobuf) {
  const auto* type = pool_.FindMessageTypeByName("coach.v1.echo.EchoRequest");
  for (const char* text :
       {"", "{", "{\"text\":", "{\"text\":\"a\"} x", "{\"nope\":1}", "{\"text\":1}",
        "{\"text\":\"a\",\"text\":\"b\"}", "{\"text\":\"\x01\"}", "{\"text\":\"\\x\"}",
        "{\"text\":\"\\ud800\"}", "{\"text\":\"\xff\"}", "[]", "{\"text\":\"a\",}"}) {
    auto m = make(type);
    EXPECT_FALSE(json_.parse(text, *m)) << text;
  }
  // Bytes that are not UTF-8 print through protobuf's printer; out is left as it was.
  auto m = make(type);
  m->GetReflection()->SetString(m.get(), type->FindFieldByName("text"), "caf\xe9");
  std::string out = "kept";
  EXPECT_FALSE(json_.print(*m, out));
  EXPECT_EQ(out, "kept");
}

}  // namespace
