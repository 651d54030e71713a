// vm/cpu/ops_x87_ctl.cpp — x87 control: fldcw/fnstcw, fnstsw (m16 and ax), fnclex,
// fninit, fldenv/fnstenv, frstor/fnsave, fnop, fwait, and fxsave/fxrstor; plus the
// state API of f80.h (status/tag words and FXSAVE images, also for signal frames).
//
// Layouts (SDM vol. 1 8.1.10 and vol. 2 FXSAVE; reserved fields as measured on an Intel
// Xeon: 0xFFFF in the upper halves of the 32-bit environment words):
//   environment, 32-bit (28 bytes; in 64-bit mode without 66):
//     0 FCW | 4 FSW | 8 FTW (each with 0xFFFF above) | 12 FIP[31:0] | 16 FCS, FOP<<16
//     | 20 FDP[31:0] | 24 FDS, 0xFFFF above
//   environment, 16-bit (14 bytes; with 66): FCW FSW FTW FIP FCS FDP FDS, one word each
//   fnsave / frstor: the environment, then ST(0)..ST(7) as 10-byte values (108 / 94 bytes)
//   FXSAVE (512 bytes, 16-byte aligned):
//     0 FCW | 2 FSW | 4 abridged FTW (1 byte) | 5 0 | 6 FOP | 8 FIP | 16 FDP (REX.W: 64-bit
//     each; default: FIP[31:0], FCS, 0, FDP[31:0], FDS, 0) | 24 MXCSR | 28 MXCSR_MASK
//     | 32 ST(i)/MM(i): 16 bytes each (10 used, 6 zero) | 160 XMM0-15 | 416-511 untouched
#include <cstring>

#include "vm/cpu/exec.h"
#include "vm/cpu/f80.h"

namespace gb {

using namespace x87;

namespace {

constexpr uint32_t kMxcsrMask = 0xffff;

inline void put16(uint8_t* p, uint16_t v) { memcpy(p, &v, 2); }
inline void put32(uint8_t* p, uint32_t v) { memcpy(p, &v, 4); }
inline void put64(uint8_t* p, uint64_t v) { memcpy(p, &v, 8); }
inline uint16_t get16(const uint8_t* p) { uint16_t v; memcpy(&v, p, 2); return v; }
inline uint32_t get32(const uint8_t* p) { uint32_t v; memcpy(&v, p, 4); return v; }
inline uint64_t get64(const uint8_t* p) { uint64_t v; memcpy(&v, p, 8); return v; }

// FCW: bit 6 reads as 1, bits 7 and 13-15 as 0 (measured).
inline uint16_t clean_fcw(uint16_t v) { return (uint16_t)((v & 0x1f3f) | 0x40); }

// Tags from a stored tag word: anything but 11 is "in use" (the class is recomputed
// from the value whenever a tag word is stored, as hardware does).
inline uint16_t tags_from_word(uint16_t tw) {
  uint16_t t = 0;
  for (int p = 0; p < 8; p++)
    if (((tw >> (2 * p)) & 3) == 3) t |= (uint16_t)(3u << (2 * p));
  return t;
}

// Environment image: 28 bytes (big) or 14 bytes (16-bit operand size).
int env_store(const Cpu& c, uint8_t* out, bool big) {
  const uint16_t sw = status_word(c), tw = full_tag_word(c);
  if (big) {
    put32(out + 0, 0xffff0000u | c.fpu.fcw);
    put32(out + 4, 0xffff0000u | sw);
    put32(out + 8, 0xffff0000u | tw);
    put32(out + 12, (uint32_t)c.fpu.fip);
    put32(out + 16, (uint32_t)(c.fpu.fop & 0x7ff) << 16);
    put32(out + 20, (uint32_t)c.fpu.fdp);
    put32(out + 24, 0xffff0000u);
    return 28;
  }
  put16(out + 0, c.fpu.fcw);
  put16(out + 2, sw);
  put16(out + 4, tw);
  put16(out + 6, (uint16_t)c.fpu.fip);
  put16(out + 8, 0);
  put16(out + 10, (uint16_t)c.fpu.fdp);
  put16(out + 12, 0);
  return 14;
}

void env_load(Cpu& c, const uint8_t* in, bool big) {
  if (big) {
    c.fpu.fcw = clean_fcw(get16(in + 0));
    c.fpu.fsw = get16(in + 4);
    c.fpu.ftw = tags_from_word(get16(in + 8));
    c.fpu.fip = get32(in + 12);
    c.fpu.fop = (uint16_t)((get32(in + 16) >> 16) & 0x7ff);
    c.fpu.fdp = get32(in + 20);
  } else {
    c.fpu.fcw = clean_fcw(get16(in + 0));
    c.fpu.fsw = get16(in + 2);
    c.fpu.ftw = tags_from_word(get16(in + 4));
    c.fpu.fip = get16(in + 6);
    c.fpu.fop = 0;
    c.fpu.fdp = get16(in + 10);
  }
  set_top(c, (c.fpu.fsw >> 11) & 7);
  update_es(c);
}

inline bool big_env(const Insn& i) { return i.osz != 2; }

}  // namespace

// ---- state API ----
namespace x87 {

uint16_t full_tag_word(const Cpu& c) {
  uint16_t tw = 0;
  for (int p = 0; p < 8; p++) {
    unsigned t;
    if (is_empty_phys(c, p)) t = 3;
    else {
      const sf::Class k = sf::classify(c.fpu.st[p]);
      t = k == sf::C_ZERO ? 1 : k == sf::C_NORMAL ? 0 : 2;
    }
    tw |= (uint16_t)(t << (2 * p));
  }
  return tw;
}

uint8_t abridged_tag(const Cpu& c) {
  uint8_t t = 0;
  for (int p = 0; p < 8; p++)
    if (!is_empty_phys(c, p)) t |= (uint8_t)(1u << p);
  return t;
}

void fxsave_image(const Cpu& c, uint8_t* out, bool fmt64) {
  memset(out, 0, 416);
  put16(out + 0, c.fpu.fcw);
  put16(out + 2, status_word(c));
  out[4] = abridged_tag(c);
  put16(out + 6, c.fpu.fop);
  if (fmt64) {
    put64(out + 8, c.fpu.fip);
    put64(out + 16, c.fpu.fdp);
  } else {
    put32(out + 8, (uint32_t)c.fpu.fip);
    put32(out + 16, (uint32_t)c.fpu.fdp);
  }
  put32(out + 24, c.mxcsr);
  put32(out + 28, kMxcsrMask);
  for (int k = 0; k < 8; k++) f80_to_bytes(c.fpu.st[(c.fpu.top + k) & 7], out + 32 + 16 * k);
  memcpy(out + 160, c.xmm, 256);
}

bool fxrstor_image(Cpu& c, const uint8_t* in, bool fmt64) {
  const uint32_t mx = get32(in + 24);
  if (mx & ~kMxcsrMask) return false;
  c.fpu.fcw = clean_fcw(get16(in + 0));
  c.fpu.fsw = get16(in + 2);
  set_top(c, (c.fpu.fsw >> 11) & 7);
  uint16_t t = 0;
  for (int p = 0; p < 8; p++)
    if (!(in[4] & (1u << p))) t |= (uint16_t)(3u << (2 * p));
  c.fpu.ftw = t;
  c.fpu.fop = get16(in + 6) & 0x7ff;
  if (fmt64) {
    c.fpu.fip = get64(in + 8);
    c.fpu.fdp = get64(in + 16);
  } else {
    c.fpu.fip = get32(in + 8);
    c.fpu.fdp = get32(in + 16);
  }
  c.mxcsr = mx;
  for (int k = 0; k < 8; k++) c.fpu.st[(c.fpu.top + k) & 7] = f80_from_bytes(in + 32 + 16 * k);
  memcpy(c.xmm, in + 160, 256);
  update_es(c);
  return true;
}

void reset(Cpu& c) {
  c.fpu.fcw = 0x037f;
  c.fpu.fsw = 0;
  c.fpu.top = 0;
  c.fpu.ftw = 0xffff;
  c.fpu.fop = 0;
  c.fpu.fip = c.fpu.fdp = 0;
}

}  // namespace x87

// ---- control word, status word ----
void fldcw_m16(Cpu& c, const Insn& i) {
  wait(c);
  const uint16_t v = c.mem->read<uint16_t>(ea(c, i));
  c.fpu.fcw = clean_fcw(v);
  update_es(c);  // unmasking a raised exception makes it pending (next waiting instruction)
}

void fnstcw_m16(Cpu& c, const Insn& i) { c.mem->write<uint16_t>(ea(c, i), c.fpu.fcw); }
void fnstsw_m16(Cpu& c, const Insn& i) { c.mem->write<uint16_t>(ea(c, i), status_word(c)); }

void fnstsw_AX(Cpu& c, const Insn& i) {
  if ((i.rm & 7) != 0) { op_ud(c, i); return; }  // only DF E0
  c.r[RAX] = (c.r[RAX] & ~0xffffull) | status_word(c);
}

// DB E0 feni, E1 fdisi, E4 fsetpm (no-ops since the 387), E2 fnclex, E3 fninit.
void x87_DB_E0(Cpu& c, const Insn& i) {
  switch (i.rm & 7) {
    case 0: case 1: case 4: break;
    case 2: c.fpu.fsw &= (uint16_t)~(FSW_EXC | FSW_SF | FSW_ES | FSW_B); break;
    case 3: reset(c); break;
    default: op_ud(c, i); break;
  }
}

void fnop(Cpu& c, const Insn& i) {
  if ((i.rm & 7) != 0) { op_ud(c, i); return; }  // only D9 D0
  enter(c, i);
}

void fwait(Cpu& c, const Insn& i) { wait(c); }

// ---- environment and full state ----
void fnstenv_m(Cpu& c, const Insn& i) {
  uint8_t b[28];
  const uint64_t a = ea(c, i);
  const int n = env_store(c, b, big_env(i));
  c.mem->write_bytes(a, b, n);
  c.fpu.fcw |= FSW_EXC;  // masks every exception (bits 0-5 of FCW)
  update_es(c);
}

void fldenv_m(Cpu& c, const Insn& i) {
  wait(c);
  uint8_t b[28];
  const bool big = big_env(i);
  c.mem->read_bytes(ea(c, i), b, big ? 28 : 14);
  env_load(c, b, big);
}

void fnsave_m(Cpu& c, const Insn& i) {
  uint8_t b[108];
  const uint64_t a = ea(c, i);
  const int n = env_store(c, b, big_env(i));
  for (int k = 0; k < 8; k++) f80_to_bytes(c.fpu.st[(c.fpu.top + k) & 7], b + n + 10 * k);
  c.mem->write_bytes(a, b, n + 80);
  reset(c);
}

void frstor_m(Cpu& c, const Insn& i) {
  wait(c);
  uint8_t b[108];
  const bool big = big_env(i);
  const int n = big ? 28 : 14;
  c.mem->read_bytes(ea(c, i), b, n + 80);
  env_load(c, b, big);
  for (int k = 0; k < 8; k++) c.fpu.st[(c.fpu.top + k) & 7] = f80_from_bytes(b + n + 10 * k);
}

void fxsave_m512(Cpu& c, const Insn& i) {
  const uint64_t a = ea(c, i);
  if (a & 15) throw GpFault{};
  uint8_t b[416];
  fxsave_image(c, b, i.rex & 8);
  c.mem->write_bytes(a, b, sizeof b);
}

void fxrstor_m512(Cpu& c, const Insn& i) {
  const uint64_t a = ea(c, i);
  if (a & 15) throw GpFault{};
  uint8_t b[512];  // hardware reads (and may fault on) the whole area
  c.mem->read_bytes(a, b, sizeof b);
  if (!fxrstor_image(c, b, i.rex & 8)) throw GpFault{};
}

}  // namespace gb
