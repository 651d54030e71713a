// vm/fs/json.h — a small JSON reader (for manifest.json), safe on hostile input.
//
// Parses RFC 8259 JSON into a tree of JsonValue. Limits: nesting depth (64), total
// input size is the caller's, numbers are kept as double plus an exact int64 when the
// text is an integer that fits. Malformed input gives false + a message with the
// byte offset; it never throws, recurses without bound or reads out of bounds.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gb::fs {

struct JsonValue {
  enum Kind : uint8_t { Null, Bool, Number, String, Array, Object };
  Kind kind = Null;
  bool b = false;
  double num = 0;
  bool is_int = false;  // the number was written as an integer that fits in int64
  int64_t i = 0;
  std::string str;
  std::vector<JsonValue> arr;
  std::vector<std::pair<std::string, JsonValue>> obj;  // in document order

  const JsonValue* get(std::string_view key) const;  // object member or nullptr
  bool is_null() const { return kind == Null; }
  bool is_string() const { return kind == String; }
  bool is_array() const { return kind == Array; }
  bool is_object() const { return kind == Object; }
  bool is_bool() const { return kind == Bool; }
  // integer in [lo, hi]; false if not an exact integer or out of range
  bool as_int(int64_t lo, int64_t hi, int64_t* out) const;
};

// Parses `text`; on error returns false and sets *err (if given).
bool json_parse(std::string_view text, JsonValue* out, std::string* err = nullptr);

}  // namespace gb::fs
