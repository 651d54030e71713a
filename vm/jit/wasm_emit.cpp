// vm/jit/wasm_emit.cpp — the WebAssembly binary writer (see wasm_emit.h). Encodings
// from the WebAssembly core specification (binary format, sections 5.1–5.5).
#include "vm/jit/wasm_emit.h"

#include <cstring>

#include <cinttypes>
#include <cstdio>

namespace gb::jit {

void put_uleb(std::vector<uint8_t>& out, uint64_t v) {
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    if (v) b |= 0x80;
    out.push_back(b);
  } while (v);
}

void put_sleb(std::vector<uint8_t>& out, int64_t v) {
  for (;;) {
    const uint8_t b = v & 0x7f;
    v >>= 7;  // arithmetic shift
    const bool done = (v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40));
    out.push_back(done ? b : (uint8_t)(b | 0x80));
    if (done) return;
  }
}

const char* op_name(uint8_t o) {
  switch (o) {
    case I32_EQZ: return "i32.eqz"; case I32_EQ: return "i32.eq"; case I32_NE: return "i32.ne";
    case I32_LT_S: return "i32.lt_s"; case I32_LT_U: return "i32.lt_u"; case I32_GT_S: return "i32.gt_s";
    case I32_GT_U: return "i32.gt_u"; case I32_LE_S: return "i32.le_s"; case I32_LE_U: return "i32.le_u";
    case I32_GE_S: return "i32.ge_s"; case I32_GE_U: return "i32.ge_u";
    case I64_EQZ: return "i64.eqz"; case I64_EQ: return "i64.eq"; case I64_NE: return "i64.ne";
    case I64_LT_S: return "i64.lt_s"; case I64_LT_U: return "i64.lt_u"; case I64_GT_S: return "i64.gt_s";
    case I64_GT_U: return "i64.gt_u"; case I64_LE_S: return "i64.le_s"; case I64_LE_U: return "i64.le_u";
    case I64_GE_S: return "i64.ge_s"; case I64_GE_U: return "i64.ge_u";
    case I32_ADD: return "i32.add"; case I32_SUB: return "i32.sub"; case I32_MUL: return "i32.mul";
    case I32_AND: return "i32.and"; case I32_OR: return "i32.or"; case I32_XOR: return "i32.xor";
    case I32_SHL: return "i32.shl"; case I32_SHR_U: return "i32.shr_u"; case I32_SHR_S: return "i32.shr_s";
    case I32_ROTL: return "i32.rotl"; case I32_ROTR: return "i32.rotr"; case I64_POPCNT: return "i64.popcnt";
    case I64_DIV_S: return "i64.div_s"; case I64_ROTL: return "i64.rotl"; case I64_ROTR: return "i64.rotr";
    case I64_ADD: return "i64.add"; case I64_SUB: return "i64.sub"; case I64_MUL: return "i64.mul";
    case I64_AND: return "i64.and"; case I64_OR: return "i64.or"; case I64_XOR: return "i64.xor";
    case I64_SHL: return "i64.shl"; case I64_SHR_S: return "i64.shr_s"; case I64_SHR_U: return "i64.shr_u";
    case I32_WRAP_I64: return "i32.wrap_i64"; case I64_EXTEND_I32_S: return "i64.extend_i32_s";
    case I64_EXTEND_I32_U: return "i64.extend_i32_u";
    case I32_LOAD: return "i32.load"; case I64_LOAD: return "i64.load"; case I32_LOAD8_U: return "i32.load8_u";
    case I32_LOAD16_U: return "i32.load16_u"; case I64_LOAD8_U: return "i64.load8_u";
    case I64_LOAD16_U: return "i64.load16_u"; case I64_LOAD32_U: return "i64.load32_u";
    case I32_STORE: return "i32.store"; case I64_STORE: return "i64.store"; case I32_STORE8: return "i32.store8";
    case I32_STORE16: return "i32.store16"; case I64_STORE8: return "i64.store8";
    case I64_STORE16: return "i64.store16"; case I64_STORE32: return "i64.store32";
    default: return "?";
  }
}

void Body::line(const std::string& s) {
  if (!listing_) return;
  text.append(2 * (size_t)(depth < 0 ? 0 : depth), ' ');
  text += s;
  text += '\n';
}

void Body::op(uint8_t opc, const char* name, uint8_t t, const char* note) {
  code.push_back(opc);
  code.push_back(t);
  if (listing_)
    line(std::string(name) + (t == T_I32 ? " (result i32)" : t == T_I64 ? " (result i64)" : "") + (note ? note : ""));
  depth++;
}

void Body::if_hint(bool likely, uint8_t t) {
  hints.push_back({(uint32_t)code.size(), likely});
  op(0x04, "if", t, likely ? "  ;; hint: likely" : "  ;; hint: unlikely");
}

void Body::br_if_hint(uint32_t d, bool likely) {
  hints.push_back({(uint32_t)code.size(), likely});
  code.push_back(0x0d);
  put_uleb(code, d);
  if (listing_) line("br_if " + std::to_string(d) + (likely ? "  ;; hint: likely" : "  ;; hint: unlikely"));
}

void Body::else_() {
  joins++;
  depth--;
  code.push_back(0x05);
  line("else");
  depth++;
}

void Body::end() {
  joins++;
  depth--;
  code.push_back(0x0b);
  line("end");
}

void Body::opu(uint8_t opc, const char* name, uint32_t imm) {
  code.push_back(opc);
  put_uleb(code, imm);
  if (listing_) line(std::string(name) + " " + std::to_string(imm));
}

void Body::op0(uint8_t opc, const char* name) {
  code.push_back(opc);
  line(name);
}

void Body::br_table(const std::vector<uint32_t>& ds, uint32_t dflt) {
  code.push_back(0x0e);
  put_uleb(code, ds.size());
  std::string s = "br_table";
  for (uint32_t d : ds) {
    put_uleb(code, d);
    if (listing_) s += " " + std::to_string(d);
  }
  put_uleb(code, dflt);
  if (listing_) s += " " + std::to_string(dflt);
  line(s);
}

void Body::call_indirect(uint32_t type, const char* what) {
  code.push_back(0x11);
  put_uleb(code, type);
  code.push_back(0x00);  // table 0
  if (listing_) line(std::string("call_indirect (type ") + std::to_string(type) + ")  ;; " + what);
}

void Body::call_op(uint8_t opc, const char* name, uint32_t func, const char* what) {
  code.push_back(opc);
  put_uleb(code, func);
  if (listing_) line(std::string(name) + " " + std::to_string(func) + "  ;; " + what);
}

void Body::i32_const(int32_t v) {
  code.push_back(0x41);
  put_sleb(code, v);
  if (listing_) line("i32.const " + std::to_string(v));
}

void Body::f64_const(double v) {
  code.push_back(0x44);
  uint64_t u;
  memcpy(&u, &v, 8);
  for (int i = 0; i < 8; i++) code.push_back((uint8_t)(u >> (8 * i)));
  if (listing_) { char b[48]; snprintf(b, sizeof b, "f64.const %.17g", v); line(b); }
}

void Body::f32_const(float v) {
  code.push_back(0x43);
  uint32_t u;
  memcpy(&u, &v, 4);
  for (int i = 0; i < 4; i++) code.push_back((uint8_t)(u >> (8 * i)));
  if (listing_) { char b[48]; snprintf(b, sizeof b, "f32.const %.9g", (double)v); line(b); }
}

void Body::i64_const(int64_t v) {
  code.push_back(0x42);
  put_sleb(code, v);
  if (listing_) {
    char b[48];
    if (v >= -4096 && v <= 4096) snprintf(b, sizeof b, "i64.const %" PRId64, v);
    else snprintf(b, sizeof b, "i64.const 0x%" PRIx64, (uint64_t)v);
    line(b);
  }
}

void Body::mem(uint8_t opc, uint32_t align, uint32_t offset) {
  code.push_back(opc);
  put_uleb(code, align);
  put_uleb(code, offset);
  if (listing_) {
    std::string s = op_name(opc);
    if (offset) s += " offset=" + std::to_string(offset);
    line(s);
  }
}

namespace {

void put_name(std::vector<uint8_t>& out, const char* s) {
  const std::string n(s);
  put_uleb(out, n.size());
  out.insert(out.end(), n.begin(), n.end());
}

void section(std::vector<uint8_t>& out, uint8_t id, const std::vector<uint8_t>& content) {
  out.push_back(id);
  put_uleb(out, content.size());
  out.insert(out.end(), content.begin(), content.end());
}

}  // namespace

std::vector<uint8_t> build_module(const std::vector<FuncType>& types, const std::vector<uint32_t>& func_imports,
                                  uint32_t func_type, const std::vector<uint8_t>& locals, const Body& body) {
  return build_module(types, func_imports, func_type, locals, std::vector<const Body*>{&body});
}

std::string export_name(uint32_t i) { return i ? "f" + std::to_string(i) : "f"; }

std::vector<uint8_t> build_module(const std::vector<FuncType>& types, const std::vector<uint32_t>& func_imports,
                                  uint32_t func_type, const std::vector<uint8_t>& locals,
                                  const std::vector<const Body*>& bodies) {
  std::vector<uint8_t> m = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  std::vector<uint8_t> s;
  // 1: types
  put_uleb(s, types.size());
  for (const FuncType& t : types) {
    s.push_back(0x60);
    put_uleb(s, t.params.size());
    s.insert(s.end(), t.params.begin(), t.params.end());
    put_uleb(s, t.results.size());
    s.insert(s.end(), t.results.begin(), t.results.end());
  }
  section(m, 1, s);
  // 2: imports: env.m memory {min 0}, then the functions env."0", env."1", ...
  s.clear();
  put_uleb(s, 1 + func_imports.size());
  put_name(s, "env"); put_name(s, "m"); s.push_back(0x02); s.push_back(0x00); put_uleb(s, 0);
  for (size_t i = 0; i < func_imports.size(); i++) {
    put_name(s, "env"); put_name(s, std::to_string(i).c_str()); s.push_back(0x00); put_uleb(s, func_imports[i]);
  }
  section(m, 2, s);
  // 3: the functions, all of func_type
  s.clear();
  put_uleb(s, bodies.size());
  for (size_t i = 0; i < bodies.size(); i++) put_uleb(s, func_type);
  section(m, 3, s);
  // 7: exports "f", "f1", "f2", ...
  s.clear();
  put_uleb(s, bodies.size());
  for (size_t i = 0; i < bodies.size(); i++) {
    put_name(s, export_name((uint32_t)i).c_str()); s.push_back(0x00); put_uleb(s, func_imports.size() + i);
  }
  section(m, 7, s);
  // the locals' declaration, run-length encoded (the same for every function)
  std::vector<std::pair<uint32_t, uint8_t>> runs;
  for (uint8_t t : locals) {
    if (!runs.empty() && runs.back().second == t) runs.back().first++;
    else runs.push_back({1, t});
  }
  std::vector<uint8_t> decl;
  put_uleb(decl, runs.size());
  for (auto& [n, t] : runs) { put_uleb(decl, n); decl.push_back(t); }
  // 0: "metadata.code.branch_hint" (after the functions, before the code): per function
  // with hints, its index and (offset from the start of its locals' declaration, 1, hint)
  size_t hinted = 0;
  for (const Body* body : bodies) hinted += !body->hints.empty();
  if (hinted) {
    s.clear();
    put_name(s, "metadata.code.branch_hint");
    put_uleb(s, hinted);
    for (size_t i = 0; i < bodies.size(); i++) {
      const Body* body = bodies[i];
      if (body->hints.empty()) continue;
      put_uleb(s, func_imports.size() + i);
      put_uleb(s, body->hints.size());
      for (const Body::Hint& h : body->hints) {
        put_uleb(s, decl.size() + h.at);
        put_uleb(s, 1);
        s.push_back(h.likely ? 1 : 0);
      }
    }
    section(m, 0, s);
  }
  // 10: code: per function, locals run-length encoded, the body, end
  s.clear();
  put_uleb(s, bodies.size());
  for (const Body* body : bodies) {
    std::vector<uint8_t> f = decl;
    f.insert(f.end(), body->code.begin(), body->code.end());
    f.push_back(0x0b);
    put_uleb(s, f.size());
    s.insert(s.end(), f.begin(), f.end());
  }
  section(m, 10, s);
  return m;
}

}  // namespace gb::jit
