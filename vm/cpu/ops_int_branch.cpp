// vm/cpu/ops_int_branch.cpp — control flow: jcc, jmp, call, ret, loop, jrcxz, and the
// instructions that trap (int3, int n, hlt, ud2, unknown encodings).
#include "vm/cpu/decode.h"
#include "vm/cpu/exec.h"
#include "vm/cpu/ops_fast.h"

namespace gb {

void jcc_Jb(Cpu& c, const Insn& i) { if (c.cond(i.opc & 15)) c.rip = rel_target(c, i); }
void jcc_Jz(Cpu& c, const Insn& i) { if (c.cond(i.opc & 15)) c.rip = rel_target(c, i); }
// (jmp, call and ret as ops_fast.h has them: the run loop runs those inline)
void jmp_Jb(Cpu& c, const Insn& i) { fast::jmp_rel(c, i); }
void jmp_Jz(Cpu& c, const Insn& i) { fast::jmp_rel(c, i); }
void jmp_Ev(Cpu& c, const Insn& i) { fast::jmp_ind(c, i); }

void call_Jz(Cpu& c, const Insn& i) { fast::call_rel(c, i); }
void call_Ev(Cpu& c, const Insn& i) {
  const uint64_t t = rd_E(c, i, 8);  // read the target before rsp changes
  push(c, c.rip);
  c.rip = t;
}
void ret(Cpu& c, const Insn& i) { fast::ret_near(c, i); }
void ret_Iw(Cpu& c, const Insn& i) {
  c.rip = pop(c);
  c.r[RSP] += i.imm & 0xffff;
}

static uint64_t count_reg(const Cpu& c, const Insn& i) { return i.asz == 4 ? (uint32_t)c.r[RCX] : c.r[RCX]; }
static void dec_count(Cpu& c, const Insn& i) {
  if (i.asz == 4) c.r[RCX] = (uint32_t)(c.r[RCX] - 1);
  else c.r[RCX]--;
}
void loop_Jb(Cpu& c, const Insn& i) {
  dec_count(c, i);
  if (count_reg(c, i)) c.rip = rel_target(c, i);
}
void loope_Jb(Cpu& c, const Insn& i) {
  dec_count(c, i);
  if (count_reg(c, i) && c.zf()) c.rip = rel_target(c, i);
}
void loopne_Jb(Cpu& c, const Insn& i) {
  dec_count(c, i);
  if (count_reg(c, i) && !c.zf()) c.rip = rel_target(c, i);
}
void jrcxz_Jb(Cpu& c, const Insn& i) { if (!count_reg(c, i)) c.rip = rel_target(c, i); }

void int3(Cpu& c, const Insn& i) { throw TrapFault{}; }
void int_Ib(Cpu& c, const Insn& i) { throw GpFault{}; }
void hlt(Cpu& c, const Insn& i) { throw GpFault{}; }

static void illegal(Cpu& c, const Insn& i) {
  const uint64_t at = c.rip - i.len;
  uint8_t bytes[15];
  int n = 0;
  for (; n < 15; n++) {
    const uint8_t* p = c.mem->host_read_ptr(at + n);
    if (!p) break;
    bytes[n] = *p;
  }
  c.rip = at;
  c.stop = true;
  c.host->illegal_instruction(c, at, bytes, n);
}
void ud2(Cpu& c, const Insn& i) { illegal(c, i); }
void op_ud(Cpu& c, const Insn& i) { illegal(c, i); }

const char* insn_text(const Insn& in) { return in.row == 0xffff ? "(bad)" : op_table()[in.row].text; }

}  // namespace gb
