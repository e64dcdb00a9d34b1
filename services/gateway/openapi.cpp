// SPDX-License-Identifier: Apache-2.0
#include "openapi.hpp"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <set>

namespace coach::gateway {

namespace {

namespace pb = google::protobuf;

pb::Value text(const std::string& s) {
  pb::Value v;
  v.set_string_value(s);
  return v;
}
pb::Value object() {
  pb::Value v;
  v.mutable_struct_value();
  return v;
}
pb::Value& at(pb::Value& v, const std::string& key) {
  return (*v.mutable_struct_value()->mutable_fields())[key];
}
// {"application/json": {"schema": schema}}.
pb::Value json_content(pb::Value schema) {
  pb::Value media = object();
  at(media, "schema") = std::move(schema);
  pb::Value content = object();
  at(content, "application/json") = std::move(media);
  return content;
}
pb::Value ref(const std::string& full_name) {
  pb::Value v = object();
  at(v, "$ref") = text("#/components/schemas/" + full_name);
  return v;
}

template <typename Descriptor>
std::string comment_of(const Descriptor* d) {
  pb::SourceLocation loc;
  if (!d || !d->GetSourceLocation(&loc)) return {};
  std::string c = loc.leading_comments;
  while (!c.empty() && (c.back() == '\n' || c.back() == ' ')) c.pop_back();
  std::string out;
  for (std::size_t i = 0; i < c.size(); ++i) {  // comment lines start with a space
    if (c[i] == ' ' && (i == 0 || c[i - 1] == '\n')) continue;
    out += c[i];
  }
  return out;
}

class SchemaWriter {
 public:
  explicit SchemaWriter(pb::Value& schemas) : schemas_(schemas) {}

  // A schema for a message: a $ref, or inline for the well-known types.
  pb::Value message(const pb::Descriptor* d) {
    const std::string& name = d->full_name();
    pb::Value v = object();
    if (name == "google.protobuf.Timestamp") {
      at(v, "type") = text("string");
      at(v, "format") = text("date-time");
      return v;
    }
    if (name == "google.protobuf.Duration") {
      at(v, "type") = text("string");
      at(v, "example") = text("1.5s");
      return v;
    }
    if (name == "google.protobuf.Empty" || name == "google.protobuf.Struct" ||
        name == "google.protobuf.Any") {
      at(v, "type") = text("object");
      return v;
    }
    if (name == "google.protobuf.Value") return v;
    if (name.starts_with("google.protobuf.") && name.ends_with("Value") && d->field_count() == 1)
      return field(d->field(0), /*element=*/true);
    if (seen_.insert(name).second) {
      pb::Value schema = object();
      at(schema, "type") = text("object");
      if (auto c = comment_of(d); !c.empty()) at(schema, "description") = text(c);
      pb::Value properties = object();
      for (int i = 0; i < d->field_count(); ++i) {
        pb::Value f = field(d->field(i), false);
        if (auto c = comment_of(d->field(i)); !c.empty()) {
          // OpenAPI 3.0 ignores siblings of $ref: wrap it to keep the description.
          if (f.struct_value().fields().count("$ref")) {
            pb::Value wrapped = object();
            *at(wrapped, "allOf").mutable_list_value()->add_values() = f;
            f = wrapped;
          }
          at(f, "description") = text(c);
        }
        at(properties, d->field(i)->name()) = f;
      }
      at(schema, "properties") = properties;
      at(schemas_, name) = schema;
    }
    return ref(name);
  }

 private:
  pb::Value field(const pb::FieldDescriptor* f, bool element) {
    if (f->is_map()) {
      pb::Value v = object();
      at(v, "type") = text("object");
      at(v, "additionalProperties") = field(f->message_type()->field(1), true);
      return v;
    }
    if (f->is_repeated() && !element) {
      pb::Value v = object();
      at(v, "type") = text("array");
      at(v, "items") = field(f, true);
      return v;
    }
    pb::Value v = object();
    using T = pb::FieldDescriptor;
    switch (f->cpp_type()) {
      case T::CPPTYPE_INT32:
      case T::CPPTYPE_UINT32:
        at(v, "type") = text("integer");
        at(v, "format") = text("int32");
        break;
      case T::CPPTYPE_INT64:
      case T::CPPTYPE_UINT64:  // canonical JSON writes 64-bit integers as strings
        at(v, "type") = text("string");
        at(v, "format") = text("int64");
        break;
      case T::CPPTYPE_DOUBLE:
      case T::CPPTYPE_FLOAT:
        at(v, "type") = text("number");
        break;
      case T::CPPTYPE_BOOL:
        at(v, "type") = text("boolean");
        break;
      case T::CPPTYPE_STRING:
        at(v, "type") = text("string");
        if (f->type() == T::TYPE_BYTES) at(v, "format") = text("byte");
        break;
      case T::CPPTYPE_ENUM: {
        at(v, "type") = text("string");
        auto* values = at(v, "enum").mutable_list_value();
        for (int i = 0; i < f->enum_type()->value_count(); ++i)
          *values->add_values() = text(f->enum_type()->value(i)->name());
        break;
      }
      case T::CPPTYPE_MESSAGE:
        return message(f->message_type());
    }
    return v;
  }

  pb::Value& schemas_;
  std::set<std::string> seen_;
};

}  // namespace

std::string openapi_document(const core::RemoteTypes& types, const std::string& version) {
  pb::Value doc = object();
  at(doc, "openapi") = text("3.0.3");
  pb::Value info = object();
  at(info, "title") = text("coachd");
  at(info, "version") = text(version);
  at(info, "description") = text(
      "Every method coachd serves, as POST /v1/{service}/{method} with protobuf's JSON "
      "mapping. Authenticate with a bearer token from `coachctl token create`.");
  at(doc, "info") = info;
  pb::Value components = object();
  pb::Value schemes = object();
  pb::Value bearer = object();
  at(bearer, "type") = text("http");
  at(bearer, "scheme") = text("bearer");
  at(schemes, "bearer") = bearer;
  at(components, "securitySchemes") = schemes;
  pb::Value security;
  pb::Value requirement = object();
  at(requirement, "bearer").mutable_list_value();
  *security.mutable_list_value()->add_values() = requirement;
  at(doc, "security") = security;

  pb::Value schemas = object();
  pb::Value error = object();
  at(error, "type") = text("object");
  at(error, "description") = text("coachd's status: its name, its number and a sentence");
  pb::Value error_props = object();
  for (const char* key : {"code", "message"}) {
    pb::Value s = object();
    at(s, "type") = text("string");
    at(error_props, key) = s;
  }
  pb::Value status = object();
  at(status, "type") = text("integer");
  at(error_props, "status") = status;
  at(error, "properties") = error_props;
  at(schemas, "Error") = error;

  SchemaWriter writer(schemas);
  pb::Value paths = object();
  const auto* pool = types.pool();
  for (const auto& [key, m] : types.methods()) {
    const auto slash = key.find('/');
    const std::string service = key.substr(0, slash);
    const std::string method = key.substr(slash + 1);
    const auto* in = pool ? pool->FindMessageTypeByName(m.request_type()) : nullptr;
    const auto* out = pool ? pool->FindMessageTypeByName(m.response_type()) : nullptr;
    if (!in || !out) continue;
    const auto* rpc = pool->FindMethodByName(types.proto_service(service) + "." + method);
    pb::Value op = object();
    const std::string comment = comment_of(rpc);
    at(op, "summary") =
        text(comment.empty() ? service + " " + method : comment.substr(0, comment.find('\n')));
    if (!comment.empty()) at(op, "description") = text(comment);
    at(op, "operationId") = text(service + "_" + method);
    pb::Value tags;
    *tags.mutable_list_value()->add_values() = text(service);
    at(op, "tags") = tags;
    pb::Value body = object();
    at(body, "required") = pb::Value();
    at(body, "required").set_bool_value(true);
    at(body, "content") = json_content(writer.message(in));
    at(op, "requestBody") = body;
    pb::Value responses = object();
    pb::Value ok = object();
    at(ok, "description") = text("The reply");
    at(ok, "content") = json_content(writer.message(out));
    at(responses, "200") = ok;
    pb::Value failed = object();
    at(failed, "description") = text(
        "coachd's status as HTTP: 400 invalid, 401 no or bad token, 403 not allowed, 404 "
        "not found, 409 conflict, 413 too large, 429/503 retry later, 504 timeout");
    at(failed, "content") = json_content(ref("Error"));
    at(responses, "default") = failed;
    at(op, "responses") = responses;
    pb::Value path = object();
    at(path, "post") = op;
    at(paths, "/v1/" + service + "/" + method) = path;
  }
  at(doc, "paths") = paths;
  at(components, "schemas") = schemas;
  at(doc, "components") = components;
  std::string json;
  pb::util::JsonPrintOptions opts;
  (void)pb::util::MessageToJsonString(doc, &json, opts);
  return json;
}

}  // namespace coach::gateway
