// vm/cpu/decode.cpp — turns guest bytes into an Insn using the opcode table.
//
// Index
//   1. The table (rows from table/*.inc) and the per-opcode candidate lists
//   2. decode(): prefixes, REX, opcode maps, row selection, ModRM/SIB, immediates
//
// Notes
//   * Legacy prefixes may repeat and come in any order; REX counts only when it is the
//     byte right before the opcode. 66 is operand size unless a row consumes it as a
//     mandatory prefix (SSE); F2/F3 likewise are rep unless consumed.
//   * Instructions longer than 15 bytes, unknown encodings and encodings whose row
//     restrictions fail decode to op_ud (SIGILL when executed), never to an error here.
//   * Bytes are fetched through a small buffer; the fetch of a second page happens only
//     when an instruction really crosses into it, so a block ending at the last byte of
//     the last mapped page does not fault.
#include "vm/cpu/decode.h"

#include <vector>

#include "vm/cpu/cpu.h"
#include "vm/cpu/special.h"
#include "vm/mem/address_space.h"

namespace gb {

static const OpRow kTable[] = {
#define OP(map, opc, pfx, ext, form, fn, undef, text) {map, opc, pfx, ext, form, &fn, undef, text, Special<&fn>::pick},
#include "vm/cpu/table/int.inc"
#include "vm/cpu/table/sse.inc"
#include "vm/cpu/table/x87.inc"
#undef OP
};

const OpRow* op_table() { return kTable; }
int op_table_size() { return (int)(sizeof(kTable) / sizeof(kTable[0])); }

namespace {

struct Candidates {
  std::vector<uint16_t> rows[4][256];
  Candidates() {
    for (int k = 0; k < op_table_size(); k++) {
      const OpRow& r = kTable[k];
      const int span = (r.form & F_CC) ? 16 : (r.form & F_REGOP) ? 8 : 1;
      for (int j = 0; j < span; j++) rows[r.map][(r.opc + j) & 0xff].push_back((uint16_t)k);
    }
  }
};

const Candidates& cands() {
  static Candidates c;
  return c;
}

// Reads instruction bytes lazily, page by page.
struct Fetcher {
  AddressSpace& mem;
  uint64_t rip;
  uint8_t buf[16];
  int have = 0;
  int pos = 0;
  bool bad = false;  // ran past 15 bytes or into a page that faulted after the first
  GuestFault fault{};
  bool faulted = false;

  uint8_t next() {
    if (pos >= 15) { bad = true; return 0; }
    if (pos >= have) fill();
    if (pos >= have) { bad = true; return 0; }
    return buf[pos++];
  }
  void fill() {
    const uint64_t a = rip + have;
    uint64_t n = PAGE - (a & (PAGE - 1));
    if (n > (uint64_t)(15 - have)) n = 15 - have;
    try {
      mem.fetch_bytes(a, buf + have, n);
      have += (int)n;
    } catch (const GuestFault& f) {
      if (have == 0) throw;  // the instruction's first byte itself is not executable
      faulted = true;
      fault = f;
    }
  }
  uint64_t imm(int bytes) {
    uint64_t v = 0;
    for (int k = 0; k < bytes; k++) v |= (uint64_t)next() << (8 * k);
    return v;
  }
};

}  // namespace

void decode(AddressSpace& mem, uint64_t rip, Insn& in, DecodeError* err) {
  Fetcher f{mem, rip};
  memset(&in, 0, sizeof in);
  in.row = 0xffff;
  in.base = in.index = NOREG;
  in.mod = 3;

  bool p66 = false, p67 = false;
  uint8_t rep = 0, seg = 0, lock = 0, rex = 0;
  uint8_t b;
  for (;;) {
    b = f.next();
    if (f.bad) break;
    if (b == 0x66) p66 = true;
    else if (b == 0x67) p67 = true;
    else if (b == 0xf2 || b == 0xf3) rep = b;
    else if (b == 0xf0) lock = 1;
    else if (b == 0x64) seg = SEG_FS;
    else if (b == 0x65) seg = SEG_GS;
    else if (b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e) {}  // ignored in 64-bit mode
    else if ((b & 0xf0) == 0x40) {
      rex = b;
      b = f.next();
      if (f.bad) break;
      if ((b & 0xf0) == 0x40) { continue_rex: rex = b; b = f.next(); if (f.bad) break; if ((b & 0xf0) == 0x40) goto continue_rex; }
      // A legacy prefix after REX cancels the REX.
      if (b == 0x66 || b == 0x67 || b == 0xf2 || b == 0xf3 || b == 0xf0 || b == 0x64 || b == 0x65 ||
          b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e) {
        rex = 0;
        f.pos--;
        continue;
      }
      break;
    } else break;
  }

  uint8_t map = M1;
  if (!f.bad && b == 0x0f) {
    map = M0F;
    b = f.next();
    if (!f.bad && b == 0x38) { map = M38; b = f.next(); }
    else if (!f.bad && b == 0x3a) { map = M3A; b = f.next(); }
  }
  in.map = map;
  in.opc = b;
  in.rex = rex;
  in.seg = seg;
  in.lock = lock;
  in.asz = p67 ? 4 : 8;

  const std::vector<uint16_t>& list = cands().rows[map][b];
  const OpRow* row = nullptr;
  uint8_t modrm = 0;
  bool have_modrm = false;
  if (!f.bad && !list.empty()) {
    const uint8_t mp = rep == 0xf2 ? P_F2 : rep == 0xf3 ? P_F3 : p66 ? P_66 : P_NP;
    for (uint16_t k : list) {
      const OpRow& r = kTable[k];
      if ((r.form & F_MODRM) && !have_modrm) {
        modrm = f.next();
        if (f.bad) break;
        have_modrm = true;
      }
      if (r.pfx != P_ANY && r.pfx != mp) continue;
      if (r.form & F_MODRM) {
        if (r.ext != XA && ((modrm >> 3) & 7) != r.ext) continue;
        if ((r.form & F_MEM) && (modrm >> 6) == 3) continue;
        if ((r.form & F_REG) && (modrm >> 6) != 3) continue;
      }
      row = &r;
      in.row = k;
      break;
    }
  }

  if (row) {
    // Mandatory prefixes are consumed.
    if (row->pfx == P_66) p66 = false;
    if (row->pfx == P_F2 || row->pfx == P_F3) rep = 0;
    in.rep = rep;
    in.pfx66 = p66;
    const uint32_t form = row->form;
    if (form & F_B) in.osz = 1;
    else if (form & F_W) in.osz = 2;
    else if (form & F_F64) in.osz = 8;
    else if (rex & 8) in.osz = 8;
    else if (p66) in.osz = 2;
    else in.osz = (form & F_D64) ? 8 : 4;

    if (form & F_REGOP) in.reg = (b & 7) | ((rex & 1) << 3);
    if (form & F_MODRM) {
      const uint8_t mod = modrm >> 6, rm = modrm & 7;
      in.mod = mod;
      in.reg = ((modrm >> 3) & 7) | ((rex & 4) << 1);
      in.rm = rm | ((rex & 1) << 3);
      if (mod != 3) {
        if (rm == 4) {
          const uint8_t sib = f.next();
          const uint8_t base = sib & 7, idx = ((sib >> 3) & 7) | ((rex & 2) << 2);
          in.scale = sib >> 6;
          in.index = idx == 4 ? NOREG : idx;
          if (base == 5 && mod == 0) {
            in.base = NOREG;
            in.disp = (int32_t)f.imm(4);
          } else {
            in.base = base | ((rex & 1) << 3);
          }
        } else if (rm == 5 && mod == 0) {
          in.base = RIPREL;
          in.disp = (int32_t)f.imm(4);
        } else {
          in.base = in.rm;
        }
        if (mod == 1) in.disp = (int8_t)f.next();
        else if (mod == 2) in.disp = (int32_t)f.imm(4);
      }
    }
    if (form & (F_I8 | F_REL8)) in.imm = (uint64_t)(int64_t)(int8_t)f.next();
    else if (form & F_I16) in.imm = f.imm(2);
    else if (form & F_IZ) in.imm = in.osz == 2 ? (uint64_t)(int64_t)(int16_t)f.imm(2) : (uint64_t)(int64_t)(int32_t)f.imm(4);
    else if (form & F_REL32) in.imm = (uint64_t)(int64_t)(int32_t)f.imm(4);
    else if (form & F_IV) in.imm = in.osz == 8 ? f.imm(8) : in.osz == 2 ? f.imm(2) : f.imm(4);
    else if (form & F_MOFFS) in.imm = in.asz == 8 ? f.imm(8) : f.imm(4);
    else if (form & F_I16_I8) { in.imm = f.imm(2); in.imm2 = f.next(); }
    if (lock && (!(form & F_LOCKOK) || in.mod == 3)) row = nullptr;  // #UD
  }

  in.len = (uint8_t)f.pos;
  if (f.bad || !row) {
    in.fn = &op_ud;
    in.row = 0xffff;
    if (f.bad && f.faulted) {
      // The instruction runs into a page we cannot fetch: report that fault when it executes.
      in.len = 0;
      if (err) { err->fault = true; err->fault_addr = f.fault.addr; err->oom = f.fault.oom; }
    }
    if (err) { err->n = f.have < 15 ? f.have : 15; memcpy(err->bytes, f.buf, err->n); }
    return;
  }
  in.fn = row->special ? row->special(in) : row->fn;
  in.fast = fast::kind_of(in.fn);
}

}  // namespace gb
