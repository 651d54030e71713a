// vm/fs/json.cpp — see json.h. The parsing is nlohmann-json's (Debian nlohmann-json3-dev,
// header-only), driven through its SAX interface: the events build JsonValue directly (no
// second tree), the depth limit is checked on every value before it is stored, object
// members stay in document order (duplicates kept, get() returns the first), and errors
// come back as values — nlohmann's SAX parser reports them through parse_error() and
// never throws when the handler returns false.
#include "vm/fs/json.h"

#include <nlohmann/json.hpp>

namespace gb::fs {

const JsonValue* JsonValue::get(std::string_view key) const {
  if (kind != Object) return nullptr;
  for (auto& kv : obj)
    if (kv.first == key) return &kv.second;
  return nullptr;
}

bool JsonValue::as_int(int64_t lo, int64_t hi, int64_t* out) const {
  if (kind != Number || !is_int || i < lo || i > hi) return false;
  *out = i;
  return true;
}

namespace {

constexpr size_t kMaxDepth = 64;  // a value inside more than 64 open containers is refused

using Json = nlohmann::json;

// nlohmann's SAX events -> a JsonValue tree.
struct Builder {
  JsonValue* root;
  std::vector<JsonValue*> open;  // the containers being filled, innermost last
  std::string name;              // the member name read last (objects)
  std::string err;

  // a new value in the current container (or the root); nullptr when nested too deep
  JsonValue* place() {
    if (open.size() > kMaxDepth) {
      err = "nesting too deep (more than " + std::to_string(kMaxDepth) + " levels)";
      return nullptr;
    }
    if (open.empty()) return root;
    JsonValue* c = open.back();
    if (c->kind == JsonValue::Array) return &c->arr.emplace_back();
    return &c->obj.emplace_back(std::move(name), JsonValue()).second;
  }
  bool scalar(JsonValue::Kind k, JsonValue** v) {
    *v = place();
    if (*v) (*v)->kind = k;
    return *v != nullptr;
  }
  bool number(double num, bool is_int, int64_t i) {
    JsonValue* v;
    if (!scalar(JsonValue::Number, &v)) return false;
    v->num = num;
    v->is_int = is_int;
    v->i = is_int ? i : 0;
    return true;
  }
  bool container(JsonValue::Kind k) {
    JsonValue* v;
    if (!scalar(k, &v)) return false;
    open.push_back(v);
    return true;
  }

  // the event interface nlohmann::json::sax_parse calls
  bool null() {
    JsonValue* v;
    return scalar(JsonValue::Null, &v);
  }
  bool boolean(bool b) {
    JsonValue* v;
    if (!scalar(JsonValue::Bool, &v)) return false;
    v->b = b;
    return true;
  }
  bool number_integer(Json::number_integer_t n) { return number(double(n), true, n); }
  bool number_unsigned(Json::number_unsigned_t n) {
    return number(double(n), n <= uint64_t(INT64_MAX), int64_t(n));
  }
  bool number_float(Json::number_float_t n, const Json::string_t&) { return number(n, false, 0); }
  bool string(Json::string_t& s) {
    JsonValue* v;
    if (!scalar(JsonValue::String, &v)) return false;
    v->str = std::move(s);
    return true;
  }
  bool binary(Json::binary_t&) { return false; }  // only the binary formats produce these
  bool start_object(size_t) { return container(JsonValue::Object); }
  bool key(Json::string_t& k) {
    name = std::move(k);
    return true;
  }
  bool end_object() {
    open.pop_back();
    return true;
  }
  bool start_array(size_t) { return container(JsonValue::Array); }
  bool end_array() {
    open.pop_back();
    return true;
  }
  bool parse_error(size_t pos, const std::string&, const nlohmann::detail::exception& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line 1, column 5: ..."
    std::string w = e.what();
    size_t b = w.find("] ");
    err = (b == std::string::npos ? w : w.substr(b + 2)) + " (byte " + std::to_string(pos) + ")";
    return false;
  }
};

}  // namespace

bool json_parse(std::string_view text, JsonValue* out, std::string* err) {
  *out = JsonValue();
  Builder b{out};
  bool ok;
  if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) {  // nlohmann skips one; RFC 8259 JSON has none
    b.err = "byte order mark at byte 0";
    ok = false;
  } else {
    ok = Json::sax_parse(text.data(), text.data() + text.size(), &b, nlohmann::detail::input_format_t::json,
                         /*strict: nothing may follow the value*/ true);
  }
  if (!ok) {
    *out = JsonValue();
    if (err) *err = b.err.empty() ? "malformed JSON" : b.err;
  }
  return ok;
}

}  // namespace gb::fs
