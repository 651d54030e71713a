// vm/cpu/optable.h — the x86-64 opcode table: the single truth for the instruction set.
//
// Index
//   1. Row fields: map, opcode, mandatory prefix, ModRM.reg extension, form flags,
//      handler, undefined-flags mask, and the mnemonic text
//   2. Insn: the decoded form of one instruction (what a handler receives)
//   3. The table itself: rows live in vm/cpu/table/*.inc, one file per family
//      (int.inc: integer and system; sse.inc: SSE/SSE2; x87.inc: x87), all read through
//      the OP() X-macro by the decoder (decode.cpp), the handler declarations below,
//      the disassembly hints (Insn::row -> text) and the single-step comparator (undef).
//
// Adding an instruction: write one OP() row with a comment, and its handler in the
// family's ops_*.cpp file. Handler names say opcode, operand size and form, in the
// SDM's operand notation: add_Ev_Gv, mov_Gb_Eb, movaps_Vps_Wps, fld_m80.
//   E = ModRM r/m (register or memory), G = ModRM reg, I = immediate,
//   b = byte, w = word, d = dword, q = qword, v = 16/32/64 by operand size, z = 16/32,
//   V = xmm in ModRM.reg, W = xmm or memory in ModRM r/m, U = xmm in r/m (register form).
//
// Row matching: the decoder collects the rows of (map, opcode) in table order and takes
// the first whose prefix, extension and mod restriction match, so specific rows go first.
#pragma once
#include <cstdint>

namespace gb {

class Cpu;
struct Insn;
using Handler = void (*)(Cpu&, const Insn&);

enum OpMap : uint8_t { M1 = 0, M0F = 1, M38 = 2, M3A = 3 };

// Mandatory prefix. P_ANY rows treat 66 as operand size and F2/F3 as rep.
enum OpPfx : uint8_t { P_ANY, P_NP, P_66, P_F3, P_F2 };

// ModRM.reg extension: 0..7, or XA for "any".
constexpr uint8_t XA = 8;

// Form flags (F_*; the rflags bits are cpu.h's FL_*).
enum : uint32_t {
  F_MODRM = 1u << 0,   // has a ModRM byte
  F_B = 1u << 1,       // byte operand size
  F_D64 = 1u << 2,     // default operand size 64 (push, pop, near branches); 66 gives 16
  F_F64 = 1u << 3,     // operand size forced to 64
  F_I8 = 1u << 4,      // imm8 (sign-extended into Insn::imm)
  F_I16 = 1u << 5,     // imm16 (zero-extended)
  F_IZ = 1u << 6,      // imm16 or imm32 by operand size, sign-extended to 64
  F_IV = 1u << 7,      // imm16/32/64 by operand size (mov r, imm)
  F_MOFFS = 1u << 8,   // address-size absolute offset (mov al, [moffs])
  F_I16_I8 = 1u << 9,  // enter: imm16 in imm, imm8 in imm2
  F_REGOP = 1u << 10,  // register number in the low 3 bits of the opcode (+ REX.B), in Insn::reg
  F_MEM = 1u << 11,    // only the memory form (mod != 3)
  F_REG = 1u << 12,    // only the register form (mod == 3)
  F_BRANCH = 1u << 13, // may change rip: ends a decoded block
  F_LOCKOK = 1u << 14,   // lock prefix allowed (with a memory destination)
  F_REL8 = 1u << 15,   // rel8 (sign-extended into imm)
  F_REL32 = 1u << 16,  // rel32 (sign-extended into imm)
  F_W = 1u << 17,      // word operand size regardless of prefixes (e.g. ret imm16 uses I16)
  F_STOP = 1u << 18,   // ends a block without being a branch (syscall, cpuid, ...)
  F_CC = 1u << 19,     // 16 opcodes, condition code in the low nibble (jcc, setcc, cmovcc)
  F_IND = 1u << 20,    // indirect branch (ret, jmp/call through a register or memory): the
                       // block it leads to is recorded as an indirect entry (interp.h, profile)
};

struct OpRow {
  uint8_t map;
  uint8_t opc;
  uint8_t pfx;
  uint8_t ext;
  uint32_t form;
  Handler fn;
  uint16_t undef;  // arithmetic flags left undefined (masked by the comparator)
  const char* text;
  // Derived column (special.h, filled by decode.cpp from Special<fn>): picks a handler
  // specialised for the decoded form, or null when the row has none (fn is used).
  Handler (*special)(const Insn&);
};

// The decoded form of one instruction. Every decoded block holds an array of them
// (interp.h, Block::make), so their size is what cold code costs in memory: python's
// start-up decodes 36,000 blocks, gcc's 104,000, and on the VMs these engines run on
// each fresh 4 KiB page of wasm memory costs a host page fault of ~12 us. 32 bytes in
// wasm (40 natively): the fields that take a few values are bit-fields, packed into
// two bytes, and disp fills the gap before imm (docs/jit.md, "Cold code's memory").
struct Insn {
  Handler fn;
  int32_t disp;    // memory displacement
  uint64_t imm;    // immediate, relative displacement or moffs (sign-extended per form)
  uint16_t row;    // index into op_table() (0xffff: not in the table)
  uint8_t len;     // bytes
  uint8_t osz;     // operand size in bytes: 1, 2, 4 or 8
  uint8_t opc;
  uint8_t reg;     // ModRM.reg + REX.R, or the opcode register + REX.B (F_REGOP)
  uint8_t rm;      // ModRM.rm + REX.B (meaningful when mod == 3)
  uint8_t base;    // base register, NOREG, or RIPREL
  uint8_t index;   // index register or NOREG
  uint8_t rex;     // the REX byte, 0 if none
  uint8_t rep;     // 0, 0xF2 or 0xF3 (when not consumed as a mandatory prefix)
  uint8_t fast;    // the run loop's inline form of fn (vm/cpu/ops_fast.h), 0 = call fn
  uint8_t imm2;    // enter's nesting level
  uint8_t mod : 2;    // ModRM.mod; 3 = register operand
  uint8_t scale : 2;  // shift count 0..3
  uint8_t seg : 2;    // 0, SEG_FS or SEG_GS
  uint8_t lock : 1;   // lock prefix present
  uint8_t pfx66 : 1;  // 66 present (and not consumed as a mandatory prefix)
  uint8_t asz : 4;    // address size: 4 or 8
  uint8_t map : 2;    // OpMap
  bool has_mem() const { return mod != 3; }
};
constexpr uint8_t NOREG = 0xff;
constexpr uint8_t RIPREL = 0x10;
constexpr uint8_t SEG_FS = 1, SEG_GS = 2;
static_assert(sizeof(Insn) == (sizeof(void*) == 4 ? 32 : 40), "Insn grew: every decoded block pays for it");

// The whole table, in row order, and its size.
const OpRow* op_table();
int op_table_size();

// Declarations of every handler named in the table.
#define OP(map, opc, pfx, ext, form, fn, undef, text) void fn(Cpu&, const Insn&);
#include "vm/cpu/table/int.inc"
#include "vm/cpu/table/sse.inc"
#include "vm/cpu/table/x87.inc"
#undef OP

// Used for unknown encodings: delivers SIGILL through CpuHost.
void op_ud(Cpu&, const Insn&);

}  // namespace gb
