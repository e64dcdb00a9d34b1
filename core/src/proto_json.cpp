// SPDX-License-Identifier: Apache-2.0
#include "proto_json.hpp"

#include <google/protobuf/reflection.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace coach::core {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// A field of a shape this mapping handles itself (its message type aside, checked by covers).
bool plain(const FieldDescriptor& field) {
  if (field.is_map() || field.containing_oneof() ||
      field.cpp_type() == FieldDescriptor::CPPTYPE_FLOAT)
    return false;
  return field.cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
         (field.type() == FieldDescriptor::TYPE_MESSAGE &&
          field.message_type()->file()->package() != "google.protobuf");
}

// ---- printing -------------------------------------------------------------------------------

// The code point of the UTF-8 sequence at text[k] into cp, k past it; false when the bytes are
// not UTF-8 (overlong, a surrogate, beyond U+10FFFF, cut short).
bool next_code_point(std::string_view text, std::size_t& k, unsigned& cp) {
  const auto b = static_cast<unsigned char>(text[k]);
  int extra;
  if (b < 0x80) {
    cp = b;
    ++k;
    return true;
  } else if (b >= 0xc2 && b < 0xe0) {
    extra = 1;
    cp = b & 0x1f;
  } else if (b >= 0xe0 && b < 0xf0) {
    extra = 2;
    cp = b & 0x0f;
  } else if (b >= 0xf0 && b < 0xf5) {
    extra = 3;
    cp = b & 0x07;
  } else {
    return false;
  }
  if (k + static_cast<std::size_t>(extra) >= text.size()) return false;
  for (int j = 1; j <= extra; ++j) {
    const auto c = static_cast<unsigned char>(text[k + static_cast<std::size_t>(j)]);
    if ((c & 0xc0) != 0x80) return false;
    cp = cp << 6 | (c & 0x3f);
  }
  if ((extra == 2 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) ||
      (extra == 3 && (cp < 0x10000 || cp > 0x10ffff)))
    return false;
  k += static_cast<std::size_t>(extra) + 1;
  return true;
}

// Code points beyond ASCII that protobuf writes as \u escapes: C1 controls, and invisible or
// format characters that have confused JavaScript parsers.
bool escaped(unsigned cp) {
  return (cp >= 0x80 && cp <= 0x9f) || cp == 0xad || (cp >= 0x600 && cp <= 0x603) || cp == 0x6dd ||
         cp == 0x70f || cp == 0x17b4 || cp == 0x17b5 || (cp >= 0x200b && cp <= 0x200f) ||
         (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2064) ||
         (cp >= 0x206a && cp <= 0x206f) || cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb) ||
         cp == 0xe0001 || (cp >= 0x1d173 && cp <= 0x1d17a) || (cp >= 0xe0020 && cp <= 0xe007f);
}

void append_u_escape(unsigned unit, std::string& out) {
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(unit >> shift) & 0xf];
}

// As protobuf escapes: what JSON requires, < and > for HTML, and the code points above. False
// for bytes that are not UTF-8, which protobuf's printer handles its own way.
bool append_string(std::string_view text, std::string& out) {
  out += '"';
  for (std::size_t k = 0; k < text.size();) {
    const char c = text[k];
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      const std::size_t from = k;
      unsigned cp;
      if (!next_code_point(text, k, cp)) return false;
      if (!escaped(cp)) {
        out.append(text.substr(from, k - from));
      } else if (cp < 0x10000) {
        append_u_escape(cp, out);
      } else {
        append_u_escape(0xd800 + ((cp - 0x10000) >> 10), out);
        append_u_escape(0xdc00 + ((cp - 0x10000) & 0x3ff), out);
      }
      continue;
    }
    ++k;
    switch (c) {
      case '\b':
        out += "\\b";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\r':
        out += "\\r";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '<':
      case '>':
      case 0x7f:
        append_u_escape(u, out);
        break;
      default:
        if (u < 0x20) {
          append_u_escape(u, out);
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return true;
}

void append_base64(std::string_view bytes, std::string& out) {
  out += '"';
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16 |
                       static_cast<unsigned char>(bytes[i + 1]) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kBase64[v >> 18];
    out += kBase64[(v >> 12) & 63];
    out += kBase64[(v >> 6) & 63];
    out += kBase64[v & 63];
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kBase64[v >> 18];
    out += kBase64[(v >> 12) & 63];
    out += rest == 2 ? kBase64[(v >> 6) & 63] : '=';
    out += '=';
  }
  out += '"';
}

// As protobuf's SimpleDtoa: 15 significant digits when they read back the same, else 17.
bool append_double(double value, std::string& out) {
  if (!std::isfinite(value)) return false;
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.15g", value);
  if (std::strtod(buffer, nullptr) != value) std::snprintf(buffer, sizeof buffer, "%.17g", value);
  out += buffer;
  return true;
}

template <typename Int>
void append_int(Int value, std::string& out, bool quoted) {
  char buffer[24];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  if (quoted) out += '"';
  out.append(buffer, end);
  if (quoted) out += '"';
}

void append_enum(const FieldDescriptor& field, int number, std::string& out) {
  if (const auto* value = field.enum_type()->FindValueByNumber(number)) {
    out += '"';
    out += value->name();
    out += '"';
  } else {
    append_int(number, out, false);
  }
}

bool print_message(const Message& message, std::string& out);

// One value of field: element index of a repeated field, or the singular value when index < 0.
bool print_value(const Message& message, const FieldDescriptor& field, int index,
                 std::string& out) {
  const Reflection& r = *message.GetReflection();
  const bool repeated = index >= 0;
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      append_int(
          repeated ? r.GetRepeatedInt32(message, &field, index) : r.GetInt32(message, &field), out,
          false);
      return true;
    case FieldDescriptor::CPPTYPE_UINT32:
      append_int(
          repeated ? r.GetRepeatedUInt32(message, &field, index) : r.GetUInt32(message, &field),
          out, false);
      return true;
    case FieldDescriptor::CPPTYPE_INT64:
      append_int(
          repeated ? r.GetRepeatedInt64(message, &field, index) : r.GetInt64(message, &field), out,
          true);
      return true;
    case FieldDescriptor::CPPTYPE_UINT64:
      append_int(
          repeated ? r.GetRepeatedUInt64(message, &field, index) : r.GetUInt64(message, &field),
          out, true);
      return true;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return append_double(
          repeated ? r.GetRepeatedDouble(message, &field, index) : r.GetDouble(message, &field),
          out);
    case FieldDescriptor::CPPTYPE_BOOL:
      out += (repeated ? r.GetRepeatedBool(message, &field, index) : r.GetBool(message, &field))
                 ? "true"
                 : "false";
      return true;
    case FieldDescriptor::CPPTYPE_ENUM:
      append_enum(field,
                  repeated ? r.GetRepeatedEnumValue(message, &field, index)
                           : r.GetEnumValue(message, &field),
                  out);
      return true;
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& text = repeated
                                    ? r.GetRepeatedStringReference(message, &field, index, &scratch)
                                    : r.GetStringReference(message, &field, &scratch);
      if (field.type() == FieldDescriptor::TYPE_BYTES) {
        append_base64(text, out);
        return true;
      }
      return append_string(text, out);
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return print_message(
          repeated ? r.GetRepeatedMessage(message, &field, index) : r.GetMessage(message, &field),
          out);
    case FieldDescriptor::CPPTYPE_FLOAT:
      return false;  // not covered
  }
  return false;
}

bool print_message(const Message& message, std::string& out) {
  const Descriptor& type = *message.GetDescriptor();
  const Reflection& r = *message.GetReflection();
  out += '{';
  bool first = true;
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    if (!plain(field)) return false;  // a type covers() answered for while deciding another
    // A message field has presence: printed only when set; every other field always.
    if (!field.is_repeated() && field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
        !r.HasField(message, &field))
      continue;
    if (!first) out += ',';
    first = false;
    out += '"';
    out += field.name();
    out += "\":";
    if (field.is_repeated()) {
      out += '[';
      const int n = r.FieldSize(message, &field);
      for (int k = 0; k < n; ++k) {
        if (k > 0) out += ',';
        if (!print_value(message, field, k, out)) return false;
      }
      out += ']';
    } else if (!print_value(message, field, -1, out)) {
      return false;
    }
  }
  out += '}';
  return true;
}

// ---- parsing --------------------------------------------------------------------------------

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  bool document(Message& message) {
    if (!object(message, 0)) return false;
    space();
    return i_ == s_.size();
  }

 private:
  static constexpr int kMaxDepth = 64;  // deeper: protobuf's parser decides (and limits)

  void space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }
  bool take(char c) {
    space();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }

  bool object(Message& message, int depth) {
    if (depth > kMaxDepth || !take('{')) return false;
    const Descriptor& type = *message.GetDescriptor();
    if (take('}')) return true;
    std::string name;
    do {
      space();
      if (!string(name)) return false;
      if (!take(':')) return false;
      const FieldDescriptor* field = type.FindFieldByName(name);
      for (int k = 0; !field && k < type.field_count(); ++k)
        if (type.field(k)->json_name() == name) field = type.field(k);
      if (!field || !plain(*field)) return false;  // protobuf names the unknown field
      const Reflection& r = *message.GetReflection();
      // Twice the same field (by either name) is protobuf's to judge.
      if (field->is_repeated() ? r.FieldSize(message, field) > 0 : r.HasField(message, field))
        return false;
      if (!value(message, *field, depth)) return false;
    } while (take(','));
    return take('}');
  }

  bool value(Message& message, const FieldDescriptor& field, int depth) {
    space();
    if (literal("null")) return true;  // the field keeps its default
    if (!field.is_repeated()) return single(message, field, false, depth);
    if (!take('[')) return false;
    if (take(']')) return true;
    do {
      space();
      if (!single(message, field, true, depth)) return false;
    } while (take(','));
    return take(']');
  }

  bool single(Message& message, const FieldDescriptor& field, bool add, int depth) {
    const Reflection& r = *message.GetReflection();
    switch (field.cpp_type()) {
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return object(add ? *r.AddMessage(&message, &field) : *r.MutableMessage(&message, &field),
                      depth + 1);
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string text;
        if (!string(text)) return false;
        if (field.type() == FieldDescriptor::TYPE_BYTES && !from_base64(text)) return false;
        if (field.type() == FieldDescriptor::TYPE_STRING && !valid_utf8(text)) return false;
        add ? r.AddString(&message, &field, std::move(text))
            : r.SetString(&message, &field, std::move(text));
        return true;
      }
      case FieldDescriptor::CPPTYPE_BOOL: {
        bool v;
        if (literal("true")) {
          v = true;
        } else if (literal("false")) {
          v = false;
        } else {
          return false;
        }
        add ? r.AddBool(&message, &field, v) : r.SetBool(&message, &field, v);
        return true;
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        int number;
        if (i_ < s_.size() && s_[i_] == '"') {
          std::string name;
          if (!string(name)) return false;
          const auto* v = field.enum_type()->FindValueByName(name);
          if (!v) return false;
          number = v->number();
        } else if (!integer(number)) {  // a number names any value of an open enum
          return false;
        }
        add ? r.AddEnumValue(&message, &field, number) : r.SetEnumValue(&message, &field, number);
        return true;
      }
      case FieldDescriptor::CPPTYPE_INT32:
        return put<std::int32_t>(message, field, add, &Reflection::SetInt32, &Reflection::AddInt32);
      case FieldDescriptor::CPPTYPE_UINT32:
        return put<std::uint32_t>(message, field, add, &Reflection::SetUInt32,
                                  &Reflection::AddUInt32);
      case FieldDescriptor::CPPTYPE_INT64:
        return put<std::int64_t>(message, field, add, &Reflection::SetInt64, &Reflection::AddInt64);
      case FieldDescriptor::CPPTYPE_UINT64:
        return put<std::uint64_t>(message, field, add, &Reflection::SetUInt64,
                                  &Reflection::AddUInt64);
      case FieldDescriptor::CPPTYPE_DOUBLE: {
        double v;
        if (!number(v)) return false;
        add ? r.AddDouble(&message, &field, v) : r.SetDouble(&message, &field, v);
        return true;
      }
      case FieldDescriptor::CPPTYPE_FLOAT:
        return false;  // not covered
    }
    return false;
  }

  template <typename Int>
  using Setter = void (Reflection::*)(Message*, const FieldDescriptor*, Int) const;
  // An integer into field, set or (add) appended.
  template <typename Int>
  bool put(Message& message, const FieldDescriptor& field, bool add, Setter<Int> set,
           Setter<Int> append) {
    Int v;
    if (!quoted_or_bare(v)) return false;
    (message.GetReflection()->*(add ? append : set))(&message, &field, v);
    return true;
  }

  // A JSON integer, bare or in quotes (protobuf takes both for every integer type). Fractions,
  // exponents and values out of range are protobuf's to accept or refuse.
  template <typename Int>
  bool quoted_or_bare(Int& v) {
    const bool quoted = i_ < s_.size() && s_[i_] == '"';
    if (quoted) ++i_;
    if (!integer(v)) return false;
    return !quoted || (i_ < s_.size() && s_[i_++] == '"');
  }
  template <typename Int>
  bool integer(Int& v) {
    const std::size_t start = i_;
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    if (i_ >= s_.size() || s_[i_] < '0' || s_[i_] > '9') return false;
    if (s_[i_] == '0' && i_ + 1 < s_.size() && s_[i_ + 1] >= '0' && s_[i_ + 1] <= '9')
      return false;  // leading zeros
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    if (i_ < s_.size() && (s_[i_] == '.' || s_[i_] == 'e' || s_[i_] == 'E')) return false;
    if (s_[start] == '-' && std::is_unsigned_v<Int>) return false;
    const auto [end, ec] = std::from_chars(s_.data() + start, s_.data() + i_, v);
    return ec == std::errc() && end == s_.data() + i_;
  }
  // A bare JSON number for a double (quoted ones, "NaN" and "Infinity" are protobuf's).
  bool number(double& v) {
    const std::size_t start = i_;
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    if (i_ >= s_.size() || s_[i_] < '0' || s_[i_] > '9') return false;
    if (s_[i_] == '0' && i_ + 1 < s_.size() && s_[i_ + 1] >= '0' && s_[i_ + 1] <= '9') return false;
    auto digits = [this] {
      const std::size_t from = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      return i_ > from;
    };
    digits();
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (!digits()) return false;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (!digits()) return false;
    }
    const std::string token(s_.substr(start, i_ - start));
    char* end = nullptr;
    v = std::strtod(token.c_str(), &end);
    return end == token.c_str() + token.size() && std::isfinite(v);
  }

  // A JSON string at i_ into out (escapes decoded to UTF-8).
  bool string(std::string& out) {
    out.clear();
    if (i_ >= s_.size() || s_[i_] != '"') return false;
    ++i_;
    while (i_ < s_.size()) {
      const char c = s_[i_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) return false;
      switch (const char e = s_[i_++]; e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          unsigned cp;
          if (!hex4(cp)) return false;
          if (cp >= 0xd800 && cp < 0xdc00) {  // a surrogate pair's first half
            unsigned low;
            if (!literal("\\u") || !hex4(low) || low < 0xdc00 || low >= 0xe000) return false;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          } else if (cp >= 0xdc00 && cp < 0xe000) {
            return false;
          }
          append_utf8(cp, out);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }
  bool hex4(unsigned& cp) {
    if (i_ + 4 > s_.size()) return false;
    cp = 0;
    for (int k = 0; k < 4; ++k) {
      const char h = s_[i_++];
      cp <<= 4;
      if (h >= '0' && h <= '9') {
        cp |= static_cast<unsigned>(h - '0');
      } else if (h >= 'a' && h <= 'f') {
        cp |= static_cast<unsigned>(h - 'a' + 10);
      } else if (h >= 'A' && h <= 'F') {
        cp |= static_cast<unsigned>(h - 'A' + 10);
      } else {
        return false;
      }
    }
    return true;
  }
  static bool valid_utf8(std::string_view text) {
    unsigned cp;
    for (std::size_t k = 0; k < text.size();)
      if (!next_code_point(text, k, cp)) return false;
    return true;
  }
  // Standard base64 with padding, in place; anything else (URL-safe, unpadded) is protobuf's.
  static bool from_base64(std::string& text) {
    if (text.size() % 4 != 0) return false;
    std::string out;
    out.reserve(text.size() / 4 * 3);
    auto digit = [](char c) -> int {
      if (c >= 'A' && c <= 'Z') return c - 'A';
      if (c >= 'a' && c <= 'z') return c - 'a' + 26;
      if (c >= '0' && c <= '9') return c - '0' + 52;
      if (c == '+') return 62;
      if (c == '/') return 63;
      return -1;
    };
    for (std::size_t k = 0; k < text.size(); k += 4) {
      const bool last = k + 4 == text.size();
      const int pad = last ? (text[k + 3] == '=') + (text[k + 2] == '=') : 0;
      if (pad == 1 && text[k + 2] == '=') return false;
      unsigned v = 0;
      for (int j = 0; j < 4 - pad; ++j) {
        const int d = digit(text[k + static_cast<std::size_t>(j)]);
        if (d < 0) return false;
        v |= static_cast<unsigned>(d) << (18 - 6 * j);
      }
      out += static_cast<char>(v >> 16);
      if (pad < 2) out += static_cast<char>((v >> 8) & 0xff);
      if (pad < 1) out += static_cast<char>(v & 0xff);
    }
    text = std::move(out);
    return true;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

void append_utf8(unsigned cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

bool ProtoJson::covers(const Descriptor* type) {
  if (auto it = covered_.find(type); it != covered_.end()) return it->second;
  covered_[type] = true;  // a type that contains itself is covered if the rest is
  bool ok = type->file()->syntax() == google::protobuf::FileDescriptor::SYNTAX_PROTO3 &&
            type->file()->package() != "google.protobuf";
  for (int i = 0; ok && i < type->field_count(); ++i) {
    const FieldDescriptor& field = *type->field(i);
    ok = plain(field) &&
         (field.cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || covers(field.message_type()));
  }
  covered_[type] = ok;
  return ok;
}

bool ProtoJson::print(const Message& message, std::string& out) const {
  const std::size_t size = out.size();
  if (print_message(message, out)) return true;
  out.resize(size);
  return false;
}

bool ProtoJson::parse(std::string_view json, Message& message) const {
  return Parser(json).document(message);
}

}  // namespace coach::core
