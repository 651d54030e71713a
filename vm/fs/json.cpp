// vm/fs/json.cpp — see json.h.
#include "vm/fs/json.h"

#include <cmath>
#include <cstdlib>

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

constexpr int kMaxDepth = 64;

struct Parser {
  std::string_view s;
  size_t p = 0;
  std::string err;

  bool fail(const char* what) {
    if (err.empty()) err = std::string(what) + " at byte " + std::to_string(p);
    return false;
  }
  void ws() {
    while (p < s.size() && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r')) p++;
  }
  bool lit(const char* w) {
    size_t n = std::char_traits<char>::length(w);
    if (s.substr(p, n) != w) return fail("bad literal");
    p += n;
    return true;
  }
  static void put_utf8(std::string& o, uint32_t c) {
    if (c < 0x80) {
      o += char(c);
    } else if (c < 0x800) {
      o += char(0xC0 | (c >> 6));
      o += char(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      o += char(0xE0 | (c >> 12));
      o += char(0x80 | ((c >> 6) & 0x3F));
      o += char(0x80 | (c & 0x3F));
    } else {
      o += char(0xF0 | (c >> 18));
      o += char(0x80 | ((c >> 12) & 0x3F));
      o += char(0x80 | ((c >> 6) & 0x3F));
      o += char(0x80 | (c & 0x3F));
    }
  }
  bool hex4(uint32_t* v) {
    if (s.size() - p < 4) return fail("short \\u escape");
    uint32_t r = 0;
    for (int k = 0; k < 4; k++) {
      char c = s[p++];
      r <<= 4;
      if (c >= '0' && c <= '9') r |= c - '0';
      else if (c >= 'a' && c <= 'f') r |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') r |= c - 'A' + 10;
      else return fail("bad \\u escape");
    }
    *v = r;
    return true;
  }
  bool string(std::string* o) {
    if (p >= s.size() || s[p] != '"') return fail("expected string");
    p++;
    while (true) {
      if (p >= s.size()) return fail("unterminated string");
      unsigned char c = s[p++];
      if (c == '"') return true;
      if (c < 0x20) return fail("control character in string");
      if (c != '\\') {
        *o += char(c);
        continue;
      }
      if (p >= s.size()) return fail("unterminated escape");
      char e = s[p++];
      switch (e) {
        case '"': *o += '"'; break;
        case '\\': *o += '\\'; break;
        case '/': *o += '/'; break;
        case 'b': *o += '\b'; break;
        case 'f': *o += '\f'; break;
        case 'n': *o += '\n'; break;
        case 'r': *o += '\r'; break;
        case 't': *o += '\t'; break;
        case 'u': {
          uint32_t c1 = 0;
          if (!hex4(&c1)) return false;
          if (c1 >= 0xD800 && c1 < 0xDC00) {
            uint32_t c2 = 0;
            if (s.size() - p < 2 || s[p] != '\\' || s[p + 1] != 'u') return fail("lone surrogate");
            p += 2;
            if (!hex4(&c2)) return false;
            if (c2 < 0xDC00 || c2 >= 0xE000) return fail("bad surrogate pair");
            c1 = 0x10000 + ((c1 - 0xD800) << 10) + (c2 - 0xDC00);
          } else if (c1 >= 0xDC00 && c1 < 0xE000) {
            return fail("lone surrogate");
          }
          put_utf8(*o, c1);
          break;
        }
        default: return fail("bad escape");
      }
    }
  }
  bool number(JsonValue* v) {
    size_t st = p;
    bool neg = false, integral = true;
    if (p < s.size() && s[p] == '-') { neg = true; p++; }
    if (p >= s.size() || !(s[p] >= '0' && s[p] <= '9')) return fail("bad number");
    if (s[p] == '0') p++;
    else while (p < s.size() && s[p] >= '0' && s[p] <= '9') p++;
    if (p < s.size() && s[p] == '.') {
      integral = false;
      p++;
      if (p >= s.size() || !(s[p] >= '0' && s[p] <= '9')) return fail("bad fraction");
      while (p < s.size() && s[p] >= '0' && s[p] <= '9') p++;
    }
    if (p < s.size() && (s[p] == 'e' || s[p] == 'E')) {
      integral = false;
      p++;
      if (p < s.size() && (s[p] == '+' || s[p] == '-')) p++;
      if (p >= s.size() || !(s[p] >= '0' && s[p] <= '9')) return fail("bad exponent");
      while (p < s.size() && s[p] >= '0' && s[p] <= '9') p++;
    }
    std::string t(s.substr(st, p - st));
    v->kind = JsonValue::Number;
    v->num = std::strtod(t.c_str(), nullptr);
    if (integral) {
      // exact int64 if it fits (accumulate with overflow check)
      uint64_t acc = 0;
      bool ok = true;
      for (size_t k = neg ? 1 : 0; k < t.size(); k++) {
        uint64_t d = uint64_t(t[k] - '0');
        if (acc > (UINT64_MAX - d) / 10) { ok = false; break; }
        acc = acc * 10 + d;
      }
      if (ok && (neg ? acc <= uint64_t(INT64_MAX) + 1 : acc <= uint64_t(INT64_MAX))) {
        v->is_int = true;
        v->i = neg ? int64_t(0 - acc) : int64_t(acc);
      }
    }
    return true;
  }
  bool value(JsonValue* v, int depth) {
    if (depth > kMaxDepth) return fail("nesting too deep");
    ws();
    if (p >= s.size()) return fail("unexpected end");
    char c = s[p];
    if (c == '{') {
      p++;
      v->kind = JsonValue::Object;
      ws();
      if (p < s.size() && s[p] == '}') { p++; return true; }
      while (true) {
        ws();
        std::string k;
        if (!string(&k)) return false;
        ws();
        if (p >= s.size() || s[p] != ':') return fail("expected ':'");
        p++;
        v->obj.emplace_back(std::move(k), JsonValue());
        if (!value(&v->obj.back().second, depth + 1)) return false;
        ws();
        if (p < s.size() && s[p] == ',') { p++; continue; }
        if (p < s.size() && s[p] == '}') { p++; return true; }
        return fail("expected ',' or '}'");
      }
    }
    if (c == '[') {
      p++;
      v->kind = JsonValue::Array;
      ws();
      if (p < s.size() && s[p] == ']') { p++; return true; }
      while (true) {
        v->arr.emplace_back();
        if (!value(&v->arr.back(), depth + 1)) return false;
        ws();
        if (p < s.size() && s[p] == ',') { p++; continue; }
        if (p < s.size() && s[p] == ']') { p++; return true; }
        return fail("expected ',' or ']'");
      }
    }
    if (c == '"') {
      v->kind = JsonValue::String;
      return string(&v->str);
    }
    if (c == 't') { v->kind = JsonValue::Bool; v->b = true; return lit("true"); }
    if (c == 'f') { v->kind = JsonValue::Bool; v->b = false; return lit("false"); }
    if (c == 'n') { v->kind = JsonValue::Null; return lit("null"); }
    return number(v);
  }
};

}  // namespace

bool json_parse(std::string_view text, JsonValue* out, std::string* err) {
  Parser ps{text};
  *out = JsonValue();
  bool ok = ps.value(out, 0);
  if (ok) {
    ps.ws();
    if (ps.p != text.size()) ok = ps.fail("trailing characters");
  }
  if (!ok) {
    *out = JsonValue();
    if (err) *err = ps.err;
  }
  return ok;
}

}  // namespace gb::fs
