// vm/jit/wasm_emit.h — a small WebAssembly binary writer (from scratch, for the JIT).
//
// Body builds one function's code: one method per opcode the compiler uses, LEB128
// immediates, and (when `listing` is on) one text line per instruction, indented by
// nesting, so every region can be shown as the wasm it became (vm/jit/compiler.h maps
// x86 instructions to byte ranges of the body). build_module() wraps one body into a
// module that imports the engine's memory (env.m) and the engine functions it calls
// (env."0", env."1"...: handlers and helpers, taken from the engine's table by index at
// instantiation) and exports the function as "f". Bodies may hint their `if`s
// (Body::if_hint, Body::br_if_hint): the module then carries a "metadata.code.branch_hint"
// section (the WebAssembly branch-hinting proposal: per function, each hinted `if`'s or
// `br_if`'s offset from the
// start of the function's locals declaration, 1 byte: 1 likely, 0 unlikely).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace gb::jit {

enum : uint8_t { T_I32 = 0x7f, T_I64 = 0x7e, T_VOID = 0x40 };

struct FuncType {
  std::vector<uint8_t> params, results;
};

void put_uleb(std::vector<uint8_t>& out, uint64_t v);
void put_sleb(std::vector<uint8_t>& out, int64_t v);

class Body {
 public:
  explicit Body(bool listing) : listing_(listing) {}
  std::vector<uint8_t> code;  // the instructions (the module adds locals and the final end)
  std::string text;           // the listing, one line per instruction (when enabled)
  size_t size() const { return code.size(); }

  // control
  void block(uint8_t t = T_VOID) { op(0x02, "block", t); }
  void loop(uint8_t t = T_VOID) { op(0x03, "loop", t); loops++; }
  void if_(uint8_t t = T_VOID) { op(0x04, "if", t); }
  // an `if` with a branch hint (the module's metadata.code.branch_hint section): likely
  // says its then-arm is the one taken; TurboFan lays the other arm out of line as a
  // deferred block and keeps its spills there
  void if_hint(bool likely, uint8_t t = T_VOID);
  struct Hint { uint32_t at; bool likely; };
  std::vector<Hint> hints;  // by offset in `code`, increasing
  void else_();
  void end();
  void br(uint32_t d) { opu(0x0c, "br", d); }
  void br_if(uint32_t d) { opu(0x0d, "br_if", d); }
  // a `br_if` with a branch hint: likely says the branch is taken
  void br_if_hint(uint32_t d, bool likely);
  void br_table(const std::vector<uint32_t>& ds, uint32_t dflt);
  void ret() { op0(0x0f, "return"); }
  void unreachable() { op0(0x00, "unreachable"); }
  void call_indirect(uint32_t type, const char* what);
  void call(uint32_t func, const char* what) { call_op(0x10, "call", func, what); }
  void return_call(uint32_t func, const char* what) { call_op(0x12, "return_call", func, what); }  // a tail call
  void drop() { op0(0x1a, "drop"); }
  void select() { op0(0x1b, "select"); }
  // locals and constants
  void local_get(uint32_t i) { opu(0x20, "local.get", i); }
  void local_set(uint32_t i) { opu(0x21, "local.set", i); }
  void local_tee(uint32_t i) { opu(0x22, "local.tee", i); }
  void i32_const(int32_t v);
  void i64_const(int64_t v);
  void f64_const(double v);
  void f32_const(float v);
  // memory: opcode, natural alignment log2 (a hint), offset
  void mem(uint8_t opc, uint32_t align, uint32_t offset);
  // any instruction without immediates (arithmetic, compare, convert)
  void op0(uint8_t opc, const char* name);

  int depth = 0;  // current nesting (for br depths the compiler computes)
  // else_() and end() so far: a control-flow join (the compiler's probe memo holds only
  // while none happened since it was made, besides the probes' own)
  uint32_t joins = 0;
  uint32_t loops = 0;  // loop() so far: a loop's head is a join for its back edges

 private:
  void op(uint8_t opc, const char* name, uint8_t blocktype, const char* note = nullptr);
  void opu(uint8_t opc, const char* name, uint32_t imm);
  void call_op(uint8_t opc, const char* name, uint32_t func, const char* what);
  void line(const std::string& s);
  bool listing_;
};

// Opcodes without immediates, by name (the subset the compiler uses).
enum : uint8_t {
  I32_EQZ = 0x45, I32_EQ = 0x46, I32_NE = 0x47, I32_LT_S = 0x48, I32_LT_U = 0x49, I32_GT_S = 0x4a,
  I32_GT_U = 0x4b, I32_LE_S = 0x4c, I32_LE_U = 0x4d, I32_GE_S = 0x4e, I32_GE_U = 0x4f,
  I64_EQZ = 0x50, I64_EQ = 0x51, I64_NE = 0x52, I64_LT_S = 0x53, I64_LT_U = 0x54, I64_GT_S = 0x55,
  I64_GT_U = 0x56, I64_LE_S = 0x57, I64_LE_U = 0x58, I64_GE_S = 0x59, I64_GE_U = 0x5a,
  I32_ADD = 0x6a, I32_SUB = 0x6b, I32_MUL = 0x6c, I32_AND = 0x71, I32_OR = 0x72, I32_XOR = 0x73,
  I32_SHL = 0x74, I32_SHR_S = 0x75, I32_SHR_U = 0x76, I32_ROTL = 0x77, I32_ROTR = 0x78,
  I64_POPCNT = 0x7b, I64_ADD = 0x7c, I64_SUB = 0x7d, I64_MUL = 0x7e, I64_DIV_S = 0x7f, I64_AND = 0x83,
  I64_OR = 0x84, I64_XOR = 0x85, I64_SHL = 0x86, I64_SHR_S = 0x87, I64_SHR_U = 0x88, I64_ROTL = 0x89,
  I64_ROTR = 0x8a,
  // floating point (vm/jit/compile_sse.cpp)
  F32_EQ = 0x5b, F32_LT = 0x5d, F32_GT = 0x5e, F32_GE = 0x60, F64_EQ = 0x61, F64_LT = 0x63, F64_GT = 0x64,
  F64_GE = 0x66, F32_TRUNC = 0x8f, F32_SQRT = 0x91, F32_ADD = 0x92, F32_SUB = 0x93, F32_MUL = 0x94,
  F32_DIV = 0x95, F64_TRUNC = 0x9d, F64_SQRT = 0x9f, F64_ADD = 0xa0, F64_SUB = 0xa1, F64_MUL = 0xa2,
  F64_DIV = 0xa3, I32_TRUNC_F32_S = 0xa8, I32_TRUNC_F64_S = 0xaa, I64_TRUNC_F32_S = 0xae,
  I64_TRUNC_F64_S = 0xb0, F32_CONVERT_I64_S = 0xb4, F64_CONVERT_I64_S = 0xb9, I32_REINTERPRET_F32 = 0xbc,
  I64_REINTERPRET_F64 = 0xbd, F32_REINTERPRET_I32 = 0xbe, F64_REINTERPRET_I64 = 0xbf,
  I32_WRAP_I64 = 0xa7, I64_EXTEND_I32_S = 0xac, I64_EXTEND_I32_U = 0xad,
  // loads and stores (Body::mem)
  I32_LOAD = 0x28, I64_LOAD = 0x29, I32_LOAD8_U = 0x2d, I32_LOAD16_U = 0x2f, I64_LOAD8_U = 0x31,
  I64_LOAD16_U = 0x33, I64_LOAD32_U = 0x35, I32_STORE = 0x36, I64_STORE = 0x37, I32_STORE8 = 0x3a,
  I32_STORE16 = 0x3b, I64_STORE8 = 0x3c, I64_STORE16 = 0x3d, I64_STORE32 = 0x3e,
};
const char* op_name(uint8_t opc);

// One module: the types, imports env.m (memory, min 0, no max) and the functions
// env."0", env."1", ... of types `func_imports` (function indices 0..k-1), one function
// (index k) of type `func_type` with `locals` (after its params) and `body`, exported as "f".
std::vector<uint8_t> build_module(const std::vector<FuncType>& types, const std::vector<uint32_t>& func_imports,
                                  uint32_t func_type, const std::vector<uint8_t>& locals, const Body& body);
// Several functions of the same type and locals in one module (a batch of regions; V8's
// fixed cost is per module): function i is exported as export_name(i): "f", "f1", "f2"...
std::vector<uint8_t> build_module(const std::vector<FuncType>& types, const std::vector<uint32_t>& func_imports,
                                  uint32_t func_type, const std::vector<uint8_t>& locals,
                                  const std::vector<const Body*>& bodies);
std::string export_name(uint32_t i);

}  // namespace gb::jit
