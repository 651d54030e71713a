// vm/jit/compile_sse.cpp — SSE2 instructions as inline wasm (see compile_sse.h).
//
// The guest's xmm registers live in the region's locals, two i64 halves each (slots of
// the compiler's register allocation, as the general registers: loaded at the region's
// entry, written back before calls and at exits, dirty sets solved across blocks); every
// form reads its halves, computes (wasm f64/f32 arithmetic through reinterpret) and sets
// them. Before a form with a slow path, the halves it touches are made resident (so no
// branch loads them), and after the handler ran, the destination's halves are read back
// from the Cpu (the handler wrote its result there). Memory operands of 4 and 8 bytes
// use the compiler's inline TLB path
// (Gen::load/store with their slow-path helpers); 16-byte operands are inline only when
// the TLB maps all 16 bytes in one page (and, for the aligned forms, the address is a
// multiple of 16), else the instruction's handler runs (faults, code pages, page
// crossings are the interpreter's).
//
// Bit-exactness with x86 and its MXCSR (vm/cpu/ops_sse_arith.cpp's rules): wasm's f64/
// f32 add sub mul div sqrt and the integer conversions round to nearest like x86 under
// MXCSR's default control, but set no exception flag and give other NaN bits. So an
// arithmetic form computes in wasm, then keeps the result only on a guard; otherwise it
// calls the handler, which recomputes from the same state (nothing is stored before the
// guard). The guard of a rounded operation:
//   mx_ok:   (mxcsr & 0xffe0) == 0x1fa0 — RC nearest, FTZ 0, DAZ 0, every exception
//            masked, and PE already set (PE is sticky: an inexact result changes nothing;
//            the region keeps the test in a local, L_MXOK, recomputed after its calls);
//   ops_ok:  no operand is a denormal (x86 sets DE even when the result is normal;
//            a double operand the block knows is none is not tested: SseHost::sse_nd);
//   res_ok:  the result is finite and |r| > DBL_MIN (FLT_MIN): no overflow (OE), no
//            tiny result (UE, FTZ), no NaN (IE: invalid operations and NaN operands all
//            give NaN results in wasm too), no infinity (ZE: x/0; or an inf operand);
//            or the result is an exact zero where one cannot be inexact: add/sub of
//            zero-or-normal operands (a sum below DBL_MIN is a multiple of the smallest
//            denormal: exact) and sqrt(±0) = ±0.
// Infinite operands give infinite or NaN results in add/sub/mul/sqrt (refused by res_ok);
// x/inf gives a zero, refused too (zeros are accepted only from add/sub/sqrt).
#include "vm/jit/compile_sse.h"

#include <cstddef>

#include "vm/cpu/cpu.h"

namespace gb::jit {

namespace {

bool is(const Insn& in, Handler h) { return in.fn == h; }

bool store_form(const Insn& in) {
  return is(in, &movaps_Wps_Vps) || is(in, &movapd_Wpd_Vpd) || is(in, &movups_Wps_Vps) || is(in, &movupd_Wpd_Vpd) ||
         is(in, &movdqa_Wdq_Vdq) || is(in, &movdqu_Wdq_Vdq);
}
bool aligned_form(const Insn& in) {  // #GP on a misaligned memory operand
  return !(is(in, &movups_Vps_Wps) || is(in, &movupd_Vpd_Wpd) || is(in, &movdqu_Vdq_Wdq) || is(in, &movups_Wps_Vps) ||
           is(in, &movupd_Wpd_Vpd) || is(in, &movdqu_Wdq_Vdq));
}

// Constants of the two formats (as i64: a float's bits zero-extended).
struct Fmt {
  bool dbl;
  int64_t abs, den, min, inf;  // |x| mask, largest denormal, smallest normal, +inf
};
const Fmt kD = {true, 0x7fffffffffffffffll, 0x000fffffffffffffll, 0x0010000000000000ll, 0x7ff0000000000000ll};
const Fmt kF = {false, 0x7fffffff, 0x007fffff, 0x00800000, 0x7f800000};

// Pushes whether the bits in `l` are a denormal of format f: (|x| - 1) <u DENORMAL_MAX
// (zero wraps to the top, so only 0 < |x| <= largest denormal passes), or with
// `denormal` false its negation (a zero, a normal, an infinity or a NaN). The one place
// this test is written: the guards, nd_or_leave and the loop-entry guard all use it.
void push_denormal_test(Body& b, uint32_t l, const Fmt& f, bool denormal) {
  b.local_get(l);
  b.i64_const(f.abs); b.op0(I64_AND, "i64.and");
  b.i64_const(1); b.op0(I64_SUB, "i64.sub");
  b.i64_const(f.den);
  if (denormal) b.op0(I64_LT_U, "i64.lt_u");
  else b.op0(I64_GE_U, "i64.ge_u");
}

class Emit {
 public:
  Emit(SseHost& h, const Insn& in, uint64_t next, int k)
      : h_(h), b_(h.sse_body()), abi_(h.sse_abi()), l_(h.sse_locals()), in_(in), next_(next), k_(k) {}
  void run(int op);

 private:
  void cpu() { b_.local_get(l_.cpu); }
  void ldq(int r, int half) { h_.sse_xget(r, half); }  // pushes xmm[r].q[half]
  void ldd(int r) {                                     // pushes xmm[r].d[0] (zero-extended)
    h_.sse_xget(r, 0);
    b_.i64_const(0xffffffffll); op(I64_AND, "i64.and");
  }
  // xmm[r].q[half] = the value `push` pushes
  template <class F> void stq(int r, int half, F push) { push(); h_.sse_xset(r, half); }
  // xmm[r].d[0] = the low 32 bits of what `push` pushes (d[1] kept)
  template <class F> void std32(int r, F push) {
    h_.sse_xget(r, 0); b_.i64_const((int64_t)0xffffffff00000000ull); op(I64_AND, "i64.and");
    push(); b_.i64_const(0xffffffffll); op(I64_AND, "i64.and");
    op(I64_OR, "i64.or");
    h_.sse_xset(r, 0);
  }
  void zero_hi(int r) { stq(r, 1, [&] { b_.i64_const(0); }); }
  // The xmm halves the instruction uses, resident before any branch.
  void resident() {
    for (int h = 0; h < 2; h++) {
      if (reg_halves_ >> h & 1) h_.sse_xload(in_.reg, h);
      if (in_.mod == 3 && (rm_halves_ >> h & 1)) h_.sse_xload(in_.rm, h);
    }
  }
  void get(uint32_t l) { b_.local_get(l); }
  void set(uint32_t l) { b_.local_set(l); }
  void op(uint8_t o, const char* n) { b_.op0(o, n); }
  // the W operand's low lane (reg: xmm[rm]; mem: through the TLB) as i64 bits
  void w_low(int size) {
    if (in_.mod == 3) { if (size == 8) ldq(in_.rm, 0); else ldd(in_.rm); }
    else { h_.sse_ea(in_, next_); h_.sse_load(size, next_, k_); }
  }
  void to_f(const Fmt& f) {  // i64 bits -> f64 / f32
    if (f.dbl) op(F64_REINTERPRET_I64, "f64.reinterpret_i64");
    else { op(I32_WRAP_I64, "i32.wrap_i64"); op(F32_REINTERPRET_I32, "f32.reinterpret_i32"); }
  }
  void from_f(const Fmt& f) {  // f64 / f32 -> i64 bits
    if (f.dbl) op(I64_REINTERPRET_F64, "i64.reinterpret_f64");
    else { op(I32_REINTERPRET_F32, "i32.reinterpret_f32"); op(I64_EXTEND_I32_U, "i64.extend_i32_u"); }
  }
  void mx_ok() { h_.sse_mx_ok(); }  // (mxcsr & 0xffe0) == 0x1fa0, from the region's local
  void not_denormal(uint32_t l, const Fmt& f) { push_denormal_test(b_, l, f, false); }
  void and_() { op(I32_AND, "i32.and"); }
  // A guard as branches (scalar, packed, comi): each condition that refuses the fast path
  // leaves for the handler by a br_if of its own, which TurboFan fuses with its compare
  // (a chain of i32.and would make each condition a 0/1 value first):
  //   block                       ;; the instruction done
  //     block                     ;; the handler
  //       <refusal> br_if 0       ;; hint: unlikely (one per condition)
  //       the fast path; br 1
  //     end
  //     the handler
  //   end
  void guard() { b_.block(); b_.block(); }
  void refuse() { b_.br_if_hint(0, false); }
  void guard_slow() { b_.br(1); b_.end(); }
  void guard_end() { b_.end(); }
  void refuse_mx() { mx_ok(); op(I32_EQZ, "i32.eqz"); refuse(); }
  void refuse_denormal(uint32_t l, const Fmt& f) { push_denormal_test(b_, l, f, true); refuse(); }
  void refuse_nan(uint32_t l, const Fmt& f) {  // |x| >u inf
    get(l); b_.i64_const(f.abs); op(I64_AND, "i64.and");
    b_.i64_const(f.inf); op(I64_GT_U, "i64.gt_u");
    refuse();
  }
  // refuses unless |r| in (MIN, inf), or r is a zero and zero_ok
  void refuse_res(uint32_t l, const Fmt& f, bool zero_ok) {
    get(l); b_.i64_const(f.abs); op(I64_AND, "i64.and");
    if (!zero_ok) {  // (|r| - (MIN + 1)) >=u inf - MIN - 1
      b_.i64_const(f.min + 1); op(I64_SUB, "i64.sub");
      b_.i64_const(f.inf - f.min - 1); op(I64_GE_U, "i64.ge_u");
      refuse();
      return;
    }
    // 0 < |r| <= MIN: (|r| - 1) <u MIN; inf or NaN: |r| >=u inf (xb, tested by now,
    // holds |r|)
    b_.local_tee(l_.xb); b_.i64_const(1); op(I64_SUB, "i64.sub");
    b_.i64_const(f.min); op(I64_LT_U, "i64.lt_u");
    refuse();
    get(l_.xb); b_.i64_const(f.inf); op(I64_GE_U, "i64.ge_u");
    refuse();
  }
  // After a double form's handler (the else of its guard): if the result it left in xmm
  // reg's low lane is a denormal, leave the region (the instruction retired), so that
  // after the guard the lane is known not denormal on every path that goes on.
  void nd_or_leave() {
    h_.sse_xget(in_.reg, 0); set(l_.xr);
    not_denormal(l_.xr, kD); op(I32_EQZ, "i32.eqz");
    b_.if_hint(false); h_.sse_exit_retired(k_); b_.end();
  }
  // the handler (inside the else of a guard); then its result, in the Cpu, back into the
  // destination's locals (an xmm reg operand: re-reading one it did not write is harmless,
  // the slow path wrote every dirty half back first)
  void slow() {
    h_.sse_slow(in_, next_, k_);
    for (int h = 0; h < 2; h++)
      if (reg_halves_ >> h & 1) h_.sse_xreload(in_.reg, h);
  }

  void mov128();
  void logic(int op);
  void scalar(int op);
  void packed(int op);
  void cvtsi2(bool dbl);
  void cvtt2si(bool dbl);
  void comi(bool dbl);
  // 16-byte memory operand: a = its address; pushes "inline" (one page, aligned if asked)
  void probe16(bool write, bool aligned) {
    h_.sse_ea(in_, next_);
    h_.sse_probe(16, write);
    if (aligned) {
      get(l_.a); op(I32_WRAP_I64, "i32.wrap_i64"); b_.i32_const(15); op(I32_AND, "i32.and"); op(I32_EQZ, "i32.eqz");
      and_();
    }
  }

  SseHost& h_;
  Body& b_;
  const Abi& abi_;
  const SseHost::Locals l_;
  const Insn& in_;
  const uint64_t next_;
  const int k_;
  // The halves (bit 0: low, bit 1: high) of xmm reg and of a register rm the form reads
  // or writes; 0 where the operand is a general register (or memory).
  int reg_halves_ = 3, rm_halves_ = 3;
  void halves(int o);
};

void Emit::halves(int o) {
  const bool mem = in_.mod != 3;
  switch (o) {
    case SSE_MOV128: case SSE_AND: case SSE_ANDN: case SSE_OR: case SSE_XOR:
    case SSE_ADDPD: case SSE_SUBPD: case SSE_MULPD:
      reg_halves_ = rm_halves_ = 3; return;
    case SSE_MOVSD: case SSE_MOVSS:  // a load zeroes the high half
      reg_halves_ = mem ? 3 : 1; rm_halves_ = 1; return;
    case SSE_MOVSD_ST: case SSE_MOVSS_ST: reg_halves_ = rm_halves_ = 1; return;
    case SSE_MOVQ_LD: reg_halves_ = 3; rm_halves_ = 1; return;
    case SSE_MOVQ_ST: reg_halves_ = 1; rm_halves_ = 3; return;
    case SSE_MOVD_LD: reg_halves_ = 3; rm_halves_ = 0; return;
    case SSE_MOVD_ST: reg_halves_ = 1; rm_halves_ = 0; return;
    case SSE_CVTSI2SD: case SSE_CVTSI2SS: reg_halves_ = 1; rm_halves_ = 0; return;
    case SSE_CVTTSD2SI: case SSE_CVTTSS2SI: reg_halves_ = 0; rm_halves_ = 1; return;
    default: reg_halves_ = rm_halves_ = 1; return;  // scalar arithmetic, comis
  }
}

// Full 128-bit moves. Register: two i64 copies. Load/store: when the TLB maps the 16
// bytes in one page (and the address is aligned for movaps/movapd/movdqa), two i64
// accesses on the host address; else the handler (faults, code pages, crossings).
void Emit::mov128() {
  const bool st = store_form(in_);
  const int d = st ? in_.rm : in_.reg, s = st ? in_.reg : in_.rm;
  if (in_.mod == 3) {
    if (d == s) return;
    stq(d, 0, [&] { ldq(s, 0); });
    stq(d, 1, [&] { ldq(s, 1); });
    h_.sse_copy_nd(d, s);
    return;
  }
  probe16(st, aligned_form(in_));
  b_.if_hint(true);
  if (st) {
    h_.sse_host_addr(); ldq(in_.reg, 0); b_.mem(I64_STORE, 3, 0);
    h_.sse_host_addr(); ldq(in_.reg, 1); b_.mem(I64_STORE, 3, 8);
  } else {
    h_.sse_host_addr(); b_.mem(I64_LOAD, 3, 0); set(l_.xa);
    h_.sse_host_addr(); b_.mem(I64_LOAD, 3, 8); set(l_.xb);
    stq(in_.reg, 0, [&] { get(l_.xa); });
    stq(in_.reg, 1, [&] { get(l_.xb); });
  }
  b_.else_();
  slow();
  b_.end();
}

// and/andn/or/xor (ps, pd, and the integer p- forms): each half. xor/andn of a register
// with itself is the zeroing idiom (a constant 0). Memory: a 16-byte aligned operand as
// mov128 reads it, else the handler.
void Emit::logic(int o) {
  const int d = in_.reg;
  static const uint8_t ops[4] = {I64_AND, I64_AND, I64_OR, I64_XOR};
  static const char* names[4] = {"i64.and", "i64.and", "i64.or", "i64.xor"};
  const int li = o - SSE_AND;
  auto half = [&](int hf, auto push_src) {
    stq(d, hf, [&] {
      ldq(d, hf);
      if (o == SSE_ANDN) { b_.i64_const(-1); op(I64_XOR, "i64.xor"); }
      push_src();
      op(ops[li], names[li]);
    });
  };
  if (in_.mod == 3) {
    const int s = in_.rm;
    if (s == d && (o == SSE_XOR || o == SSE_ANDN)) {  // zeroing
      stq(d, 0, [&] { b_.i64_const(0); });
      zero_hi(d);
      h_.sse_set_nd(d, true);
      return;
    }
    if (s == d) return;  // and/or with itself: unchanged
    half(0, [&] { ldq(s, 0); });
    half(1, [&] { ldq(s, 1); });
    return;
  }
  probe16(false, true);
  b_.if_hint(true);
  h_.sse_host_addr(); b_.mem(I64_LOAD, 3, 0); set(l_.xa);
  h_.sse_host_addr(); b_.mem(I64_LOAD, 3, 8); set(l_.xb);
  half(0, [&] { get(l_.xa); });
  half(1, [&] { get(l_.xb); });
  b_.else_();
  slow();
  b_.end();
}

// addsd subsd mulsd divsd sqrtsd (and ss). Pseudocode (sd; ss the same on f32 bits):
//   xa = xmm[d].q0; xb = W (xmm[s].q0 or m64 through the TLB)
//   xr = bits(f64(xa) OP f64(xb))                    (sqrt: of xb)
//   if mx_ok && !denormal(xa) && !denormal(xb) && res_ok(xr)   (see the file's header)
//     xmm[d].q0 = xr                                 (the other lanes kept)
//   else handler (recomputes from the same registers; sets the MXCSR flags, may fault)
// Why each op is exact under the guard: with RC nearest, FTZ/DAZ 0 and no denormal
// operand, wasm and x86 compute the same correctly rounded IEEE result; the only flags
// x86 could set are PE (already set), or IE/ZE/OE/UE/DE, each of which implies a
// NaN, infinite, tiny or zero result or a denormal operand, all refused:
//   add/sub: IE (inf-inf) -> NaN; OE -> inf; UE impossible (tiny sums are exact) but
//            refused anyway except exact zeros; NaN operands -> NaN.
//   mul:     IE (0*inf) -> NaN; OE -> inf; UE -> |r| <= MIN (or 0, refused).
//   div:     ZE (x/0) -> inf; IE (0/0, inf/inf) -> NaN; OE -> inf; UE -> tiny or 0.
//   sqrt:    IE (negative, -inf) -> NaN; sqrt(inf) -> inf; sqrt(±0) = ±0 exact.
void Emit::scalar(int o) {
  const bool dbl = o <= SSE_SQRTSD;
  const Fmt& f = dbl ? kD : kF;
  const int base = dbl ? SSE_ADDSD : SSE_ADDSS, which = o - base;  // 0 add 1 sub 2 mul 3 div 4 sqrt
  const bool sqrt = which == 4;
  w_low(dbl ? 8 : 4);
  set(l_.xb);
  if (!sqrt) { if (dbl) ldq(in_.reg, 0); else ldd(in_.reg); set(l_.xa); get(l_.xa); to_f(f); }
  get(l_.xb); to_f(f);
  static const uint8_t d_ops[5] = {F64_ADD, F64_SUB, F64_MUL, F64_DIV, F64_SQRT};
  static const uint8_t f_ops[5] = {F32_ADD, F32_SUB, F32_MUL, F32_DIV, F32_SQRT};
  static const char* d_names[5] = {"f64.add", "f64.sub", "f64.mul", "f64.div", "f64.sqrt"};
  static const char* f_names[5] = {"f32.add", "f32.sub", "f32.mul", "f32.div", "f32.sqrt"};
  op(dbl ? d_ops[which] : f_ops[which], dbl ? d_names[which] : f_names[which]);
  from_f(f);
  set(l_.xr);
  guard();
  refuse_mx();
  // (doubles: an operand known not denormal needs no test)
  if (!sqrt && !(dbl && h_.sse_nd(in_.reg))) refuse_denormal(l_.xa, f);
  if (!(dbl && in_.mod == 3 && h_.sse_nd(in_.rm))) refuse_denormal(l_.xb, f);
  refuse_res(l_.xr, f, which == 0 || which == 1 || sqrt);
  if (dbl) stq(in_.reg, 0, [&] { get(l_.xr); });
  else std32(in_.reg, [&] { get(l_.xr); });
  guard_slow();
  slow();
  if (dbl) nd_or_leave();
  guard_end();
  if (dbl) h_.sse_set_nd(in_.reg, true);
}

// addpd subpd mulpd: each lane as scalar() computes one; the register is written only
// when both lanes' guards hold, else the handler runs:
//   lane 1: xa = d.q1, xb = W.q1, v = bits(xa OP xb), ok1 = !den(xa) && !den(xb) && res_ok(v)
//   lane 0: xa = d.q0, xb = W.q0, xr = bits(xa OP xb), ok0 likewise
//   if ok1 && ok0 && mx_ok: d.q0 = xr, d.q1 = v   else handler
// (a 16-byte memory W: one page in the TLB and aligned, else the handler)
void Emit::packed(int o) {
  const int which = o - SSE_ADDPD;
  static const uint8_t ops[3] = {F64_ADD, F64_SUB, F64_MUL};
  static const char* names[3] = {"f64.add", "f64.sub", "f64.mul"};
  const Fmt& f = kD;
  auto lanes = [&](bool mem) {
    // lane 1: xa = d.q1, xb = W.q1 -> v; lane 0: xa, xb -> xr; each lane's refusals
    guard();
    refuse_mx();
    for (int lane = 1; lane >= 0; lane--) {
      ldq(in_.reg, lane); set(l_.xa);
      if (mem) { h_.sse_host_addr(); b_.mem(I64_LOAD, 3, 8 * lane); } else ldq(in_.rm, lane);
      set(l_.xb);
      get(l_.xa); to_f(f); get(l_.xb); to_f(f); op(ops[which], names[which]); from_f(f);
      set(lane ? l_.v : l_.xr);
      // (lane 0 of an operand known not denormal needs no test)
      if (!(lane == 0 && h_.sse_nd(in_.reg))) refuse_denormal(l_.xa, f);
      if (!(lane == 0 && !mem && h_.sse_nd(in_.rm))) refuse_denormal(l_.xb, f);
      refuse_res(lane ? l_.v : l_.xr, f, which < 2);
    }
    stq(in_.reg, 0, [&] { get(l_.xr); });
    stq(in_.reg, 1, [&] { get(l_.v); });
    guard_slow();
    slow();
    nd_or_leave();
    guard_end();
  };
  if (in_.mod == 3) { lanes(false); h_.sse_set_nd(in_.reg, true); return; }
  probe16(false, true);
  b_.if_hint(true);
  lanes(true);
  b_.else_();
  slow();
  nd_or_leave();
  b_.end();
  h_.sse_set_nd(in_.reg, true);
}

// cvtsi2sd / cvtsi2ss xmm, r/m32 or r/m64:
//   xa = the integer, sign-extended to 64 bits; xr = bits(f64/f32.convert_i64_s(xa))
//   exact when |xa| <= 2^53 (2^24 for float): no flag, no rounding; every int32 is exact
//   as a double (no guard at all). Otherwise the rounding is nearest and PE must already
//   be set: mx_ok. Else the handler.
void Emit::cvtsi2(bool dbl) {
  const int size = in_.osz == 8 ? 8 : 4;
  if (in_.mod == 3) h_.sse_get(in_.rm);
  else { h_.sse_ea(in_, next_); h_.sse_load(size, next_, k_); }
  if (size == 4) { op(I32_WRAP_I64, "i32.wrap_i64"); op(I64_EXTEND_I32_S, "i64.extend_i32_s"); }
  set(l_.xa);
  get(l_.xa);
  if (dbl) op(F64_CONVERT_I64_S, "f64.convert_i64_s"); else op(F32_CONVERT_I64_S, "f32.convert_i64_s");
  from_f(dbl ? kD : kF);
  set(l_.xr);
  auto store = [&] {
    if (dbl) stq(in_.reg, 0, [&] { get(l_.xr); });
    else std32(in_.reg, [&] { get(l_.xr); });
  };
  // (a double made from an integer is an integer: never a denormal, on either path)
  if (dbl && size == 4) { store(); h_.sse_set_nd(in_.reg, true); return; }
  const int64_t lim = dbl ? (1ll << 53) : (1ll << 24);
  get(l_.xa); b_.i64_const(lim); op(I64_ADD, "i64.add");
  b_.i64_const(2 * lim); op(I64_LE_U, "i64.le_u");
  mx_ok(); op(I32_OR, "i32.or");
  b_.if_hint(true);
  store();
  b_.else_();
  slow();
  b_.end();
  if (dbl) h_.sse_set_nd(in_.reg, true);
}

// cvttsd2si / cvttss2si r32/r64, xmm/m: truncation (MXCSR's RC, FTZ do not apply).
//   x = f64/f32 of W's low lane
//   in range: x > -2^31-1 && x < 2^31 (32-bit; -2^63 <= x < 2^63 for 64): no IE (NaN fails)
//   exact: trunc(x) == x: no PE; else PE must already be set and PM masked
//     ((mxcsr & 0x1020) == 0x1020; a denormal under DAZ is 0, exact on x86, but PE is set)
//   then r = trunc(x) (wasm's trunc cannot trap in range); else the handler, and r is
//   re-read from the Cpu after it.
void Emit::cvtt2si(bool dbl) {
  const int size = in_.osz == 8 ? 8 : 4;
  const Fmt& f = dbl ? kD : kF;
  w_low(dbl ? 8 : 4);
  set(l_.xa);
  auto x = [&] { get(l_.xa); to_f(f); };
  if (dbl) {
    x(); b_.f64_const(size == 4 ? -2147483649.0 : -9223372036854775808.0); op(size == 4 ? F64_GT : F64_GE, size == 4 ? "f64.gt" : "f64.ge");
    x(); b_.f64_const(size == 4 ? 2147483648.0 : 9223372036854775808.0); op(F64_LT, "f64.lt"); and_();
    x(); op(F64_TRUNC, "f64.trunc"); x(); op(F64_EQ, "f64.eq");
  } else {
    x(); b_.f32_const(size == 4 ? -2147483648.0f : -9223372036854775808.0f); op(F32_GE, "f32.ge");
    x(); b_.f32_const(size == 4 ? 2147483648.0f : 9223372036854775808.0f); op(F32_LT, "f32.lt"); and_();
    x(); op(F32_TRUNC, "f32.trunc"); x(); op(F32_EQ, "f32.eq");
  }
  cpu(); b_.mem(I32_LOAD, 2, abi_.off_mxcsr); b_.i32_const(0x1020); op(I32_AND, "i32.and");
  b_.i32_const(0x1020); op(I32_EQ, "i32.eq");
  op(I32_OR, "i32.or");
  and_();
  b_.if_hint(true, T_I64);
  x();
  if (size == 4) {
    op(dbl ? I32_TRUNC_F64_S : I32_TRUNC_F32_S, dbl ? "i32.trunc_f64_s" : "i32.trunc_f32_s");
    op(I64_EXTEND_I32_U, "i64.extend_i32_u");
  } else {
    op(dbl ? I64_TRUNC_F64_S : I64_TRUNC_F32_S, dbl ? "i64.trunc_f64_s" : "i64.trunc_f32_s");
  }
  b_.else_();
  slow();
  cpu(); b_.mem(I64_LOAD, 3, abi_.off_r + 8 * in_.reg);
  b_.end();
  h_.sse_set(in_.reg, 8);
}

// ucomisd/comisd (ss): ZF PF CF from the comparison, OF SF AF cleared (the rflags bits
// the interpreter's set_flags(FL_ARITH, f) leaves: the compiler's kEager state, so a jcc
// right after is fused). Exceptions: IE on NaN operands (comis: any, ucomis: SNaN), DE
// on denormals; ordered, non-denormal operands raise nothing and depend on no MXCSR bit:
//   if !nan(a) && !nan(b) && !denormal(a) && !denormal(b)   (no test of one known not denormal)
//     ffl = (a < b ? CF : 0) | (a == b ? ZF : 0)      (PF = 0: ordered)
//   else handler; ffl = rflags & (CF PF AF ZF SF OF)
void Emit::comi(bool dbl) {
  const Fmt& f = dbl ? kD : kF;
  w_low(dbl ? 8 : 4);
  set(l_.xb);
  if (dbl) ldq(in_.reg, 0); else ldd(in_.reg);
  set(l_.xa);
  guard();
  refuse_nan(l_.xa, f);
  refuse_nan(l_.xb, f);
  // (doubles: an operand known not denormal needs no test)
  if (!(dbl && h_.sse_nd(in_.reg))) refuse_denormal(l_.xa, f);
  if (!(dbl && in_.mod == 3 && h_.sse_nd(in_.rm))) refuse_denormal(l_.xb, f);
  get(l_.xa); to_f(f); get(l_.xb); to_f(f); op(dbl ? F64_LT : F32_LT, dbl ? "f64.lt" : "f32.lt");
  op(I64_EXTEND_I32_U, "i64.extend_i32_u");  // CF: bit 0
  get(l_.xa); to_f(f); get(l_.xb); to_f(f); op(dbl ? F64_EQ : F32_EQ, dbl ? "f64.eq" : "f32.eq");
  op(I64_EXTEND_I32_U, "i64.extend_i32_u");
  b_.i64_const(6); op(I64_SHL, "i64.shl");  // ZF
  op(I64_OR, "i64.or");
  set(l_.ffl);
  guard_slow();
  slow();
  cpu(); b_.mem(I64_LOAD, 3, abi_.off_rflags);
  b_.i64_const((int64_t)FL_ARITH); op(I64_AND, "i64.and");
  set(l_.ffl);
  guard_end();
  h_.sse_flags_eager();
}

void Emit::run(int o) {
  halves(o);
  resident();
  switch (o) {
    case SSE_MOV128: mov128(); return;
    case SSE_MOVSD: case SSE_MOVSS: {
      const bool q = o == SSE_MOVSD;
      if (in_.mod == 3) {
        if (in_.rm == in_.reg) return;
        if (q) stq(in_.reg, 0, [&] { ldq(in_.rm, 0); }); else std32(in_.reg, [&] { ldd(in_.rm); });
        if (q) h_.sse_copy_nd(in_.reg, in_.rm);
        return;
      }
      w_low(q ? 8 : 4);
      set(l_.xa);
      stq(in_.reg, 0, [&] { get(l_.xa); });
      zero_hi(in_.reg);
      return;
    }
    case SSE_MOVSD_ST: case SSE_MOVSS_ST: {
      const bool q = o == SSE_MOVSD_ST;
      if (in_.mod == 3) {
        if (in_.rm == in_.reg) return;
        if (q) stq(in_.rm, 0, [&] { ldq(in_.reg, 0); }); else std32(in_.rm, [&] { ldd(in_.reg); });
        return;
      }
      h_.sse_ea(in_, next_);
      if (q) ldq(in_.reg, 0); else ldd(in_.reg);
      set(l_.v);
      h_.sse_store(q ? 8 : 4, next_, k_);
      return;
    }
    case SSE_MOVQ_LD:
      w_low(8);
      set(l_.xa);
      stq(in_.reg, 0, [&] { get(l_.xa); });
      zero_hi(in_.reg);
      return;
    case SSE_MOVQ_ST:
      if (in_.mod == 3) {
        ldq(in_.reg, 0); set(l_.xa);
        stq(in_.rm, 0, [&] { get(l_.xa); });
        zero_hi(in_.rm);
        return;
      }
      h_.sse_ea(in_, next_);
      ldq(in_.reg, 0); set(l_.v);
      h_.sse_store(8, next_, k_);
      return;
    case SSE_MOVD_LD: {
      const int size = in_.osz == 8 ? 8 : 4;
      if (in_.mod == 3) {
        h_.sse_get(in_.rm);
        if (size == 4) { op(I32_WRAP_I64, "i32.wrap_i64"); op(I64_EXTEND_I32_U, "i64.extend_i32_u"); }
      } else {
        h_.sse_ea(in_, next_); h_.sse_load(size, next_, k_);
      }
      set(l_.xa);
      stq(in_.reg, 0, [&] { get(l_.xa); });
      zero_hi(in_.reg);
      return;
    }
    case SSE_MOVD_ST: {
      const int size = in_.osz == 8 ? 8 : 4;
      if (in_.mod == 3) {
        ldq(in_.reg, 0);
        h_.sse_set(in_.rm, size);
        return;
      }
      h_.sse_ea(in_, next_);
      ldq(in_.reg, 0); set(l_.v);
      h_.sse_store(size, next_, k_);
      return;
    }
    case SSE_AND: case SSE_ANDN: case SSE_OR: case SSE_XOR: logic(o); return;
    case SSE_ADDPD: case SSE_SUBPD: case SSE_MULPD: packed(o); return;
    case SSE_CVTSI2SD: cvtsi2(true); return;
    case SSE_CVTSI2SS: cvtsi2(false); return;
    case SSE_CVTTSD2SI: cvtt2si(true); return;
    case SSE_CVTTSS2SI: cvtt2si(false); return;
    case SSE_UCOMISD: case SSE_COMISD: comi(true); return;
    case SSE_UCOMISS: case SSE_COMISS: comi(false); return;
    default: scalar(o); return;
  }
}

}  // namespace

int sse_classify(const Insn& in) {
  const Handler f = in.fn;
  struct Row { Handler h; int op; };
  static const Row rows[] = {
      {&movaps_Vps_Wps, SSE_MOV128}, {&movaps_Wps_Vps, SSE_MOV128}, {&movapd_Vpd_Wpd, SSE_MOV128},
      {&movapd_Wpd_Vpd, SSE_MOV128}, {&movups_Vps_Wps, SSE_MOV128}, {&movups_Wps_Vps, SSE_MOV128},
      {&movupd_Vpd_Wpd, SSE_MOV128}, {&movupd_Wpd_Vpd, SSE_MOV128}, {&movdqa_Vdq_Wdq, SSE_MOV128},
      {&movdqa_Wdq_Vdq, SSE_MOV128}, {&movdqu_Vdq_Wdq, SSE_MOV128}, {&movdqu_Wdq_Vdq, SSE_MOV128},
      {&movsd_Vsd_Wsd, SSE_MOVSD}, {&movss_Vss_Wss, SSE_MOVSS}, {&movsd_Wsd_Vsd, SSE_MOVSD_ST},
      {&movss_Wss_Vss, SSE_MOVSS_ST}, {&movq_Vq_Wq, SSE_MOVQ_LD}, {&movq_Wq_Vq, SSE_MOVQ_ST},
      {&movd_Vy_Ey, SSE_MOVD_LD}, {&movd_Ey_Vy, SSE_MOVD_ST},
      {&andps_Vps_Wps, SSE_AND}, {&andpd_Vpd_Wpd, SSE_AND}, {&pand_Vdq_Wdq, SSE_AND},
      {&andnps_Vps_Wps, SSE_ANDN}, {&andnpd_Vpd_Wpd, SSE_ANDN}, {&pandn_Vdq_Wdq, SSE_ANDN},
      {&orps_Vps_Wps, SSE_OR}, {&orpd_Vpd_Wpd, SSE_OR}, {&por_Vdq_Wdq, SSE_OR},
      {&xorps_Vps_Wps, SSE_XOR}, {&xorpd_Vpd_Wpd, SSE_XOR}, {&pxor_Vdq_Wdq, SSE_XOR},
      {&addsd_Vsd_Wsd, SSE_ADDSD}, {&subsd_Vsd_Wsd, SSE_SUBSD}, {&mulsd_Vsd_Wsd, SSE_MULSD},
      {&divsd_Vsd_Wsd, SSE_DIVSD}, {&sqrtsd_Vsd_Wsd, SSE_SQRTSD},
      {&addss_Vss_Wss, SSE_ADDSS}, {&subss_Vss_Wss, SSE_SUBSS}, {&mulss_Vss_Wss, SSE_MULSS},
      {&divss_Vss_Wss, SSE_DIVSS}, {&sqrtss_Vss_Wss, SSE_SQRTSS},
      {&addpd_Vpd_Wpd, SSE_ADDPD}, {&subpd_Vpd_Wpd, SSE_SUBPD}, {&mulpd_Vpd_Wpd, SSE_MULPD},
      {&cvtsi2sd_Vsd_Ey, SSE_CVTSI2SD}, {&cvtsi2ss_Vss_Ey, SSE_CVTSI2SS},
      {&cvttsd2si_Gy_Wsd, SSE_CVTTSD2SI}, {&cvttss2si_Gy_Wss, SSE_CVTTSS2SI},
      {&ucomisd_Vsd_Wsd, SSE_UCOMISD}, {&comisd_Vsd_Wsd, SSE_COMISD},
      {&ucomiss_Vss_Wss, SSE_UCOMISS}, {&comiss_Vss_Wss, SSE_COMISS},
  };
  for (const Row& r : rows)
    if (f == r.h) return r.op;
  return SSE_NONE;
}

bool sse_pure(int op, const Insn& in) {
  if (in.mod != 3) return false;
  switch (op) {
    case SSE_MOV128: case SSE_MOVSD: case SSE_MOVSS: case SSE_MOVSD_ST: case SSE_MOVSS_ST: case SSE_MOVQ_LD:
    case SSE_MOVQ_ST: case SSE_MOVD_LD: case SSE_MOVD_ST: case SSE_AND: case SSE_ANDN: case SSE_OR: case SSE_XOR:
      return true;
    case SSE_CVTSI2SD: return in.osz != 8;  // (int32 -> double: exact, no guard)
    default: return false;
  }
}

void sse_emit(SseHost& h, int op, const Insn& in, uint64_t next, int k) { Emit(h, in, next, k).run(op); }

void sse_push_denormal(Body& b, uint32_t local) { push_denormal_test(b, local, kD, true); }

}  // namespace gb::jit
