// tests/tools/ss_gen.h — the random instruction generator of the single-step comparator
// (mode B). Seeded and reproducible: the same seed and table give the same bytes.
//
// How it works
//   * Every row of op_table() is a candidate. For a row it synthesises one encoding:
//     prefixes (66, 67, REX with W/R/X/B, lock, ignored segment prefixes, rep on string
//     ops, the row's mandatory prefix), ModRM register or memory forms, SIB, disp8/32,
//     RIP-relative and absolute addressing, and random immediates. The engine's decoder
//     must decode it back to the same row and length (checked; disagreements counted).
//   * Memory operands point into a scratch data buffer. Two GPRs per batch are reserved as
//     base and index (chosen among rbx rbp r8-r15, which no instruction writes implicitly);
//     generated instructions never name them, or rsp, in a ModRM/opcode register field,
//     so their values stay known and addresses can be computed at generation time.
//   * Some instructions get a short prologue of other instructions so that they do
//     something meaningful instead of faulting (e.g. string ops get rsi/rdi/rcx, div gets
//     a zero or sign-extended high half, ret gets its return address pushed). Branches
//     jump over the following item, so taken/not-taken both continue in the sequence.
//   * Blocklisted rows are never generated; each entry says why (kBlock below).
#pragma once
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "vm/cpu/cpu.h"
#include "vm/cpu/decode.h"
#include "vm/cpu/optable.h"
#include "vm/mem/address_space.h"

namespace ss {

// Fixed layout shared by the native stub and the engine.
struct Layout {
  static constexpr uint64_t CODE = 0x10000000, CODE_SIZE = 1 << 20;
  static constexpr uint64_t DATA = 0x20000000, DATA_SIZE = 1 << 16;
  static constexpr uint64_t MEM_LO = DATA + 1024, MEM_HI = DATA + 30 * 1024;  // memory operand targets
  static constexpr uint64_t STACK_LO = DATA + 36 * 1024, STACK_HI = DATA + 60 * 1024;  // rsp window
  static constexpr uint64_t STACK_MID = DATA + 48 * 1024;
};

// Mnemonics never generated, with the reason.
struct BlockEntry { const char* mnemonic; const char* why; };
inline const BlockEntry kBlock[] = {
    {"syscall", "enters the kernel: the native side would run a real syscall"},
    {"rcpps", "approximate reciprocal: the precision is model-specific (Intel and AMD differ); the engine returns the exact value"},
    {"rcpss", "approximate reciprocal: model-specific precision"},
    {"rsqrtps", "approximate reciprocal square root: model-specific precision"},
    {"rsqrtss", "approximate reciprocal square root: model-specific precision"},
    {"cpuid", "describes different CPUs by design (engine: baseline + SSE2)"},
    {"rdtsc", "time stamp counter differs by nature"},
    {"rdtscp", "time stamp counter differs by nature"},
    {"int3", "SIGTRAP under ptrace is indistinguishable from the step trap"},
    {"int", "int n: SIGSEGV, kills the sequence for no coverage"},
    {"hlt", "privileged: SIGSEGV, no coverage"},
    {"ud2", "SIGILL by definition"},
    {"xgetbv", "not advertised (AVX/XSAVE never reported)"},
    {"xsave", "XSAVE is not advertised"},
    {"xrstor", "XSAVE is not advertised"},
    {"fldenv", "loads a random x87 environment (may unmask exceptions)"},
    {"frstor", "loads a random x87 state"},
    {"fnstenv", "stores fip/fdp, which differ between a real FPU and the engine"},
    {"fnsave", "stores fip/fdp, which differ between a real FPU and the engine"},
    {"fsave", "stores fip/fdp"},
    {"fstenv", "stores fip/fdp"},
    {"fxsave", "stores fip/fdp and reserved fields: compared through fxrstor's prologue instead"},
    {"fxsave64", "as fxsave"},
};

class Gen {
 public:
  uint8_t res_base = 0, res_index = 0;  // reserved registers this batch
  uint64_t base_val = 0, index_val = 0; // and their values
  bool x87 = false;                     // include x87 rows (D8-DF)
  uint64_t rejects = 0;                 // candidates the decoder read differently (skipped)
  std::vector<std::string> reject_samples;
  std::vector<uint64_t> item_starts;    // addresses where items begin (filled by item())
  std::vector<int> row_hits;            // how often each row was emitted

  explicit Gen(uint64_t seed, bool with_x87 = false) : x87(with_x87), rng_(seed) {
    const gb::OpRow* t = gb::op_table();
    row_hits.assign(gb::op_table_size(), 0);
    for (int k = 0; k < gb::op_table_size(); k++) {
      if (blocked(t[k])) continue;
      rows_.push_back(k);
    }
    scratch_.map(Layout::CODE, Layout::CODE_SIZE, gb::PROT_R | gb::PROT_W | gb::PROT_X, true, false, false, nullptr, 0, "code");
  }

  uint64_t rnd() { return rng_(); }
  uint64_t below(uint64_t n) { return n ? rng_() % n : 0; }
  bool chance(int pct) { return (int)(rng_() % 100) < pct; }

  // Interesting 64-bit values for registers and memory.
  uint64_t value() {
    switch (below(12)) {
      case 0: return 0;
      case 1: return ~0ull;
      case 2: return 1;
      case 3: return 0x8000000000000000ull;
      case 4: return 0x7fffffffffffffffull;
      case 5: return 0x80000000ull;
      case 6: return 0x7fffffffull;
      case 7: return below(256);
      case 8: return (uint64_t)(int64_t)(int8_t)below(256);
      case 9: return rnd() >> below(64);
      default: return rnd();
    }
  }

  // A random 80-bit value: normal (mostly near 1, also anywhere), denormal,
  // pseudo-denormal, zero, infinity, NaN, unnormal; short significands make exact
  // results and rounding ties common.
  gb::F80 f80() {
    const uint64_t J = 1ull << 63;
    const uint16_t s = (uint16_t)((rnd() & 1) << 15);
    uint64_t m = rnd() | J;
    if (chance(30)) m &= ~0ull << below(64);
    const unsigned r = (unsigned)below(100);
    if (r < 50) return gb::F80{m, (uint16_t)(s | (16383 - 70 + below(140)))};
    if (r < 60) return gb::F80{m, (uint16_t)(s | (1 + below(0x7ffe)))};
    if (r < 65) return gb::F80{m, (uint16_t)(s | (1 + below(70)))};
    if (r < 70) return gb::F80{m, (uint16_t)(s | (0x7ffe - below(70)))};
    if (r < 76) return gb::F80{m >> below(64), s};                        // denormal / pseudo-denormal
    if (r < 82) return gb::F80{0, s};
    if (r < 86) return gb::F80{J, (uint16_t)(s | 0x7fff)};               // infinity
    if (r < 92) return gb::F80{J | (rnd() >> 1) | (chance(50) ? 1ull << 62 : 1), (uint16_t)(s | 0x7fff)};  // NaN
    if (r < 94) return gb::F80{rnd() >> 1, (uint16_t)(s | below(0x8000))};  // unnormal and friends
    return gb::F80{(uint64_t)(int64_t)(int32_t)rnd() << below(32) | J, (uint16_t)(s | (16383 + below(64)))};
  }

  // Start of a batch: pick the reserved registers and their values.
  void new_batch() {
    static const uint8_t cand[] = {gb::RBX, gb::RBP, gb::R8, gb::R9, gb::R10, gb::R11, gb::R12, gb::R13, gb::R14, gb::R15};
    res_base = cand[below(sizeof cand)];
    do res_index = cand[below(sizeof cand)]; while (res_index == res_base);
    base_val = Layout::MEM_LO + below(16 * 1024);
    if (chance(50)) base_val &= ~15ull;
    index_val = below(256);
  }

  bool eligible(int row) const {
    for (int r : rows_) if (r == row) return true;
    return false;
  }
  const std::vector<int>& rows() const { return rows_; }

  // Appends one item (prologue + instruction, or a branch over a following item) at `at`.
  void item(std::vector<uint8_t>& out, uint64_t at, int depth = 0) {
    for (int tries = 0; tries < 200; tries++) {
      const int row = rows_[below(rows_.size())];
      if (try_row(row, out, at, depth)) return;
    }
    // Fall back to a plain nop so the sequence always advances.
    item_starts.push_back(at);
    out.push_back(0x90);
  }

 private:
  std::mt19937_64 rng_;
  std::vector<int> rows_;
  gb::AddressSpace scratch_;  // for decoding candidates back

  static std::string mnemonic(const gb::OpRow& r) {
    std::string t = r.text;
    const size_t sp = t.find(' ');
    return sp == std::string::npos ? t : t.substr(0, sp);
  }
  // Operand tokens: "add Ev,Gv" -> {"Ev","Gv"}.
  static std::vector<std::string> operands(const gb::OpRow& r) {
    std::vector<std::string> v;
    std::string t = r.text;
    const size_t sp = t.find(' ');
    if (sp == std::string::npos) return v;
    t = t.substr(sp + 1);
    const size_t slash = t.find(" /");
    if (slash != std::string::npos) t = t.substr(0, slash);
    size_t p = 0;
    while (p <= t.size()) {
      size_t c = t.find(',', p);
      if (c == std::string::npos) c = t.size();
      if (c > p) v.push_back(t.substr(p, c - p));
      p = c + 1;
    }
    return v;
  }
  static bool has_vz(const std::vector<std::string>& ops) {
    for (const std::string& o : ops)
      if (o.size() == 2 && (o[1] == 'v' || o[1] == 'z')) return true;
    return false;
  }
  bool is_x87(const gb::OpRow& r) const { return r.map == gb::M1 && r.opc >= 0xd8 && r.opc <= 0xdf; }
  bool blocked(const gb::OpRow& r) const {
    const std::string m = mnemonic(r);
    for (const BlockEntry& b : kBlock) if (m == b.mnemonic) return true;
    if (is_x87(r) && !x87) return true;
    return false;
  }

  struct MemOp {
    enum Kind { BASE, BASE_INDEX, INDEX_ONLY, ABS, RIPREL } kind = BASE;
    uint8_t base = 0, index = 0, scale = 0;
    int32_t disp = 0;
    bool force_disp32 = false;
    uint64_t target = 0;
  };

  struct Enc {
    std::vector<uint8_t> legacy;  // prefixes before REX
    bool rex_w = false, rex_force = false, rex_r_noise = false, rex_x_noise = false, rex_b_noise = false;
    std::vector<uint8_t> opcode;  // incl. 0F / 0F 38 / 0F 3A escapes
    int regop = -1;               // register in the opcode's low bits (F_REGOP / bswap)
    bool has_modrm = false;
    uint8_t mod = 3, reg = 0, rm = 0;  // reg/rm 0..15 (REX.R/B derived)
    MemOp mem;
    int imm_size = 0;
    uint64_t imm = 0;
    int imm2_size = 0;
    uint64_t imm2 = 0;
    bool a32 = false;
  };

  // Lays out an encoding at address `at`.
  static std::vector<uint8_t> encode(const Enc& e, uint64_t at) {
    std::vector<uint8_t> b = e.legacy;
    uint8_t rex = 0x40 | (e.rex_w ? 8 : 0);
    bool sib = false;
    uint8_t modrm = 0, sibb = 0;
    int disp_size = 0;
    int32_t disp = 0;
    if (e.has_modrm) {
      if (e.reg >= 8) rex |= 4;
      if (e.mod == 3) {
        if (e.rm >= 8) rex |= 1;
        modrm = (uint8_t)(0xc0 | ((e.reg & 7) << 3) | (e.rm & 7));
      } else {
        const MemOp& m = e.mem;
        uint8_t mod = 0, rm = 0;
        switch (m.kind) {
          case MemOp::RIPREL: mod = 0; rm = 5; disp_size = 4; break;
          case MemOp::ABS: mod = 0; rm = 4; sib = true; sibb = (4 << 3) | 5; disp_size = 4; disp = m.disp; break;
          case MemOp::INDEX_ONLY:
            mod = 0; rm = 4; sib = true; sibb = (uint8_t)((m.scale << 6) | ((m.index & 7) << 3) | 5);
            if (m.index >= 8) rex |= 2;
            disp_size = 4; disp = m.disp;
            break;
          case MemOp::BASE: case MemOp::BASE_INDEX: {
            if (m.base >= 8) rex |= 1;
            disp = m.disp;
            if (m.force_disp32 || disp < -128 || disp > 127) { mod = 2; disp_size = 4; }
            else if (disp != 0 || (m.base & 7) == 5) { mod = 1; disp_size = 1; }
            else mod = 0;
            if (m.kind == MemOp::BASE_INDEX) {
              rm = 4; sib = true;
              sibb = (uint8_t)((m.scale << 6) | ((m.index & 7) << 3) | (m.base & 7));
              if (m.index >= 8) rex |= 2;
            } else if ((m.base & 7) == 4) {
              rm = 4; sib = true;
              sibb = (uint8_t)((m.scale << 6) | (4 << 3) | 4);  // no index (REX.X must stay 0)
            } else {
              rm = m.base & 7;
            }
            break;
          }
        }
        modrm = (uint8_t)((mod << 6) | ((e.reg & 7) << 3) | rm);
      }
    }
    if (e.regop >= 8) rex |= 1;
    // Noise bits where the field is unused.
    if (e.rex_r_noise && !e.has_modrm) rex |= 4;
    if (e.rex_x_noise && !sib) rex |= 2;
    if (e.rex_b_noise && !e.has_modrm && e.regop < 0) rex |= 1;
    if (rex != 0x40 || e.rex_force) b.push_back(rex);
    std::vector<uint8_t> op = e.opcode;
    if (e.regop >= 0) op.back() = (uint8_t)((op.back() & ~7) | (e.regop & 7));
    b.insert(b.end(), op.begin(), op.end());
    if (e.has_modrm) {
      b.push_back(modrm);
      if (sib) b.push_back(sibb);
    }
    const size_t disp_at = b.size();
    for (int k = 0; k < disp_size; k++) b.push_back((uint8_t)((uint32_t)disp >> (8 * k)));
    for (int k = 0; k < e.imm_size; k++) b.push_back((uint8_t)(e.imm >> (8 * k)));
    for (int k = 0; k < e.imm2_size; k++) b.push_back((uint8_t)(e.imm2 >> (8 * k)));
    if (e.has_modrm && e.mod != 3 && e.mem.kind == MemOp::RIPREL) {
      const int64_t d = (int64_t)e.mem.target - (int64_t)(at + b.size());
      for (int k = 0; k < 4; k++) b[disp_at + k] = (uint8_t)((uint64_t)d >> (8 * k));
    }
    return b;
  }

  // A memory operand at a random target in the data area (aligned to `align` mostly).
  MemOp pick_mem(bool a32, int span) {
    MemOp m;
    const uint64_t lo = Layout::MEM_LO, hi = Layout::MEM_HI - (uint64_t)span;
    auto target_ok = [&](uint64_t t) { return t >= lo && t <= hi; };
    for (int tries = 0; tries < 20; tries++) {
      const int kind = (int)below(10);
      m = MemOp();
      m.scale = (uint8_t)below(4);
      const uint64_t iv = index_val << m.scale;
      if (kind < 4) {  // base (+ disp8 or disp32 or none)
        m.kind = MemOp::BASE;
        m.base = res_base;
        if (chance(30)) m.disp = 0;
        else if (chance(50)) m.disp = (int32_t)(int8_t)below(256);
        else m.disp = (int32_t)((int64_t)(lo + below(hi - lo)) - (int64_t)base_val);
        m.force_disp32 = chance(10);
        m.target = base_val + (int64_t)m.disp;
      } else if (kind < 7) {
        m.kind = MemOp::BASE_INDEX;
        m.base = res_base;
        m.index = res_index;
        if (chance(30)) m.disp = 0;
        else if (chance(50)) m.disp = (int32_t)(int8_t)below(256);
        else m.disp = (int32_t)((int64_t)(lo + below(hi - lo)) - (int64_t)(base_val + iv));
        m.target = base_val + iv + (int64_t)m.disp;
      } else if (kind == 7) {
        m.kind = MemOp::INDEX_ONLY;
        m.index = res_index;
        const uint64_t t = lo + below(hi - lo);
        m.disp = (int32_t)(t - iv);
        m.target = t;
      } else if (kind == 8) {
        m.kind = MemOp::ABS;
        m.target = lo + below(hi - lo);
        m.disp = (int32_t)m.target;
      } else {
        m.kind = MemOp::RIPREL;
        m.target = lo + below(hi - lo);
      }
      if (a32) m.target = (uint32_t)m.target;
      if (target_ok(m.target)) return m;
    }
    m = MemOp();
    m.kind = MemOp::BASE;
    m.base = res_base;
    m.disp = 0;
    m.target = base_val;
    return m;
  }

  bool gpr_ok(int num, bool byte, bool rex) const {
    const int phys = (byte && !rex && num >= 4 && num < 8) ? num - 4 : num;
    return phys != gb::RSP && phys != res_base && phys != res_index;
  }

  // Prologue helpers (fixed encodings).
  static void mov_r32_imm(std::vector<uint8_t>& p, int reg, uint32_t v) {  // mov $v, %r32
    if (reg >= 8) p.push_back(0x41);
    p.push_back((uint8_t)(0xb8 | (reg & 7)));
    for (int k = 0; k < 4; k++) p.push_back((uint8_t)(v >> (8 * k)));
  }
  static void mov_r64_simm(std::vector<uint8_t>& p, int reg, int32_t v) {  // mov $v, %r64 (c7 /0)
    p.push_back(reg >= 8 ? 0x49 : 0x48);
    p.push_back(0xc7);
    p.push_back((uint8_t)(0xc0 | (reg & 7)));
    for (int k = 0; k < 4; k++) p.push_back((uint8_t)((uint32_t)v >> (8 * k)));
  }
  static void push_imm32(std::vector<uint8_t>& p, uint32_t v) {
    p.push_back(0x68);
    for (int k = 0; k < 4; k++) p.push_back((uint8_t)(v >> (8 * k)));
  }

  // Decodes `bytes` at `at` with the engine and checks it is `row` with that length.
  bool decodes_as(const std::vector<uint8_t>& bytes, uint64_t at, int row) {
    const uint64_t a = Layout::CODE + (at & 0xfff);  // same alignment, in the scratch space
    std::vector<uint8_t> pad = bytes;
    pad.resize(bytes.size() + 16, 0x90);
    scratch_.write_bytes(a, pad.data(), pad.size());
    gb::Insn in;
    try {
      gb::decode(scratch_, a, in);
    } catch (...) {
      return false;
    }
    // The same row, or a more specific row with the same handler (e.g. "cmp Eb,Ib" is
    // group 1 /7 split out of "grp1 Eb,Ib").
    if (in.len == bytes.size() && in.row != 0xffff &&
        (in.row == row || gb::op_table()[in.row].fn == gb::op_table()[row].fn))
      return true;
    rejects++;
    if (reject_samples.size() < 20) {
      std::string s = std::string(gb::op_table()[row].text) + ":";
      char h[4];
      for (uint8_t c : bytes) { snprintf(h, sizeof h, " %02x", c); s += h; }
      s += " -> " + std::string(gb::insn_text(in)) + " len " + std::to_string(in.len);
      reject_samples.push_back(s);
    }
    return false;
  }

  bool try_row(int row, std::vector<uint8_t>& out, uint64_t at, int depth) {
    const gb::OpRow& r = gb::op_table()[row];
    const std::string m = mnemonic(r);
    const std::vector<std::string> ops = operands(r);
    const uint32_t form = r.form;
    const bool is_string = r.map == gb::M1 && ((r.opc >= 0xa4 && r.opc <= 0xa7) || (r.opc >= 0xaa && r.opc <= 0xaf));
    const bool rel_branch = (form & (gb::F_REL8 | gb::F_REL32)) != 0;
    const bool ind_branch = m == "call" || m == "jmp" ? !rel_branch : false;
    const bool is_ret = m == "ret";
    const bool is_frame = m == "enter" || m == "leave";
    if (rel_branch && depth > 1) return false;
    if (is_frame && (res_base == gb::RBP || res_index == gb::RBP)) return false;

    Enc e;
    std::vector<uint8_t> pro;  // prologue

    // ---- prefixes ----
    bool p66 = false, a32 = false, lock = false;
    uint8_t rep = 0;
    switch (r.pfx) {
      case gb::P_66: p66 = true; break;
      case gb::P_F3: rep = 0xf3; break;
      case gb::P_F2: rep = 0xf2; break;
      case gb::P_NP: break;
      default:
        // 66 is operand size here. Not on branches (Intel and AMD differ), bswap
        // (undefined result), segment moves.
        // In the 0F maps only where the row has a v/z-sized operand (elsewhere 66 selects
        // another instruction or #UD on real CPUs, e.g. 66 0F AE /1).
        if (!(form & gb::F_BRANCH) && !is_ret && m != "bswap" && m != "call" && m != "jmp" &&
            (r.map == gb::M1 || has_vz(ops)) && chance(20))
          p66 = true;
        if (is_string && chance(50)) rep = chance(50) ? 0xf3 : 0xf2;
        break;
    }
    const bool modrm = (form & gb::F_MODRM) != 0;
    bool mem_form = false;
    if (modrm) {
      if (form & gb::F_MEM) mem_form = true;
      else if (form & gb::F_REG) mem_form = false;
      else mem_form = chance(45);
    }
    if ((mem_form || is_string || (form & gb::F_MOFFS)) && !ind_branch && chance(8)) a32 = true;
    if ((form & gb::F_LOCKOK) && mem_form && chance(50)) lock = true;
    if (chance(4)) e.legacy.push_back("\x2e\x3e\x26\x36"[below(4)]);
    if (a32) e.legacy.push_back(0x67);
    if (lock) e.legacy.push_back(0xf0);
    // Mandatory prefix: 66 then F2/F3 closest to the opcode (as compilers emit them).
    if (p66) e.legacy.push_back(0x66);
    if (rep) e.legacy.push_back(rep);
    e.a32 = a32;
    e.rex_w = !(form & gb::F_B) && chance(50);
    if (m == "bswap" || is_frame || ind_branch || is_ret) e.rex_w = e.rex_w && !p66;
    e.rex_force = chance(15);
    e.rex_r_noise = chance(10);
    e.rex_x_noise = chance(10);
    e.rex_b_noise = chance(10);

    // Operand size as the decoder computes it.
    int osz;
    if (form & gb::F_B) osz = 1;
    else if (form & gb::F_W) osz = 2;
    else if (form & gb::F_F64) osz = 8;
    else if (e.rex_w) osz = 8;
    else if (p66 && r.pfx != gb::P_66) osz = 2;
    else osz = (form & gb::F_D64) ? 8 : 4;

    // ---- opcode ----
    if (r.map == gb::M0F) e.opcode = {0x0f};
    else if (r.map == gb::M38) e.opcode = {0x0f, 0x38};
    else if (r.map == gb::M3A) e.opcode = {0x0f, 0x3a};
    uint8_t opc = r.opc;
    if (form & gb::F_CC) opc = (uint8_t)(opc + below(16));
    e.opcode.push_back(opc);

    // Operand kinds from the row text.
    char reg_kind = 0, rm_kind = 0;  // 'G' gpr, 'V' xmm, 'S' sreg, 'P' mmx ...
    bool reg_byte = false, rm_byte = false;
    for (const std::string& o : ops) {
      if (o.empty()) continue;
      const char k = o[0];
      const bool byte = o.size() > 1 && o[1] == 'b';
      if (k == 'G' || k == 'V' || k == 'S' || k == 'P' || k == 'C' || k == 'D') { reg_kind = k; reg_byte = byte; }
      if (k == 'E' || k == 'W' || k == 'U' || k == 'M' || k == 'R' || k == 'Q' || k == 'N') { rm_kind = k; rm_byte = byte; }
    }

    // ---- register fields ----
    if (form & gb::F_REGOP) {
      e.regop = (int)below(16);
    }
    if (modrm) {
      e.has_modrm = true;
      if (r.ext != gb::XA) e.reg = (uint8_t)(r.ext | (chance(10) ? 8 : 0));
      else if (reg_kind == 'S') e.reg = (uint8_t)below(6);
      else e.reg = (uint8_t)below(16);
      if (mem_form) {
        int span = 64;
        if (m == "fxrstor" || m == "fxsave") span = 512;
        e.mem = pick_mem(a32, span);
        // Alignment: most SSE/cmpxchg16b accesses want 16-byte alignment.
        if (chance(75)) {
          const uint64_t t = e.mem.target & ~15ull;
          const int64_t d = (int64_t)t - (int64_t)e.mem.target;
          if (t >= Layout::MEM_LO) { e.mem.target = t; e.mem.disp += (int32_t)d; }
        }
        if (m == "fxrstor") {
          const uint64_t t = e.mem.target & ~15ull;
          e.mem.disp += (int32_t)((int64_t)t - (int64_t)e.mem.target);
          e.mem.target = t;
        }
        e.mod = 0;  // "memory" (the real mod is chosen by encode())
      } else {
        e.mod = 3;
        e.rm = (uint8_t)below(16);
      }
    }

    // ---- immediates ----
    auto imm_val = [&](int bytes) -> uint64_t {
      uint64_t v = chance(30) ? value() : rnd();
      if (bytes == 1 && chance(40)) v = "\x00\x01\x07\x08\x0f\x10\x1f\x20\x3f\x40\x7f\x80\xff"[below(13)];
      return bytes == 8 ? v : v & ((1ull << (8 * bytes)) - 1);
    };
    if (form & (gb::F_I8)) { e.imm_size = 1; e.imm = imm_val(1); }
    else if (form & gb::F_I16) { e.imm_size = 2; e.imm = imm_val(2); }
    else if (form & gb::F_IZ) { e.imm_size = osz == 2 ? 2 : 4; e.imm = imm_val(e.imm_size); }
    else if (form & gb::F_IV) { e.imm_size = osz == 8 ? 8 : osz == 2 ? 2 : 4; e.imm = imm_val(e.imm_size); }
    else if (form & gb::F_MOFFS) {
      e.imm_size = a32 ? 4 : 8;
      e.imm = Layout::MEM_LO + below(Layout::MEM_HI - Layout::MEM_LO - 64);
    } else if (form & gb::F_I16_I8) { e.imm_size = 2; e.imm = below(512); e.imm2_size = 1; e.imm2 = below(4); }
    else if (form & gb::F_REL8) { e.imm_size = 1; }
    else if (form & gb::F_REL32) { e.imm_size = 4; }

    // ---- register constraints ----
    // Byte registers depend on whether a REX byte is present; compute it as encode() will.
    const std::vector<uint8_t> trial = encode(e, at);
    bool rex_present = false;
    {
      size_t p = e.legacy.size();
      rex_present = p < trial.size() && (trial[p] & 0xf0) == 0x40;
    }
    if (e.regop >= 0) {
      const bool byte = (form & gb::F_B) != 0;
      if (!gpr_ok(e.regop, byte, rex_present)) return false;
    }
    if (modrm) {
      if (reg_kind == 'G' && !gpr_ok(e.reg, reg_byte, rex_present)) return false;
      if (reg_kind == 0 && r.ext == gb::XA && !gpr_ok(e.reg, false, rex_present)) return false;
      // rm names a GPR for E/R operands (and, conservatively, for rows without operand
      // text), but st(i) for x87 register forms.
      if (e.mod == 3 && (rm_kind == 'E' || rm_kind == 'R' || (rm_kind == 0 && !is_x87(r))) &&
          !gpr_ok(e.rm, rm_byte, rex_present))
        return false;
      if (reg_kind == 'S' && (e.reg >= 8)) return false;
    }

    // ---- per-instruction policies (prologues) ----
    const uint64_t item_at = at;
    if (is_string) {
      // rsi/rdi into the data area, a small count for rep.
      mov_r32_imm(pro, gb::RSI, (uint32_t)(Layout::MEM_LO + 512 + below(20 * 1024)));
      mov_r32_imm(pro, gb::RDI, (uint32_t)(Layout::MEM_LO + 512 + below(20 * 1024)));
      if (rep) mov_r32_imm(pro, gb::RCX, (uint32_t)below(33));
    }
    if (m == "div" || m == "idiv") {
      if (m == "div") {
        if (osz == 1) { pro.push_back(0xb4); pro.push_back(0x00); }            // mov $0,%ah
        else { pro.push_back(0x31); pro.push_back(0xd2); }                     // xor %edx,%edx
      } else {
        if (osz == 1) { pro.push_back(0x66); pro.push_back(0x98); }            // cbw
        else if (osz == 2) { pro.push_back(0x66); pro.push_back(0x99); }      // cwd
        else if (osz == 4) pro.push_back(0x99);                                // cdq
        else { pro.push_back(0x48); pro.push_back(0x99); }                     // cqo
      }
    }
    if ((m == "bt" || m == "bts" || m == "btr" || m == "btc") && mem_form && reg_kind == 'G') {
      // bit offset -256..511 (sign-extended to 64 bits for REX.W forms)
      const int32_t off = (int32_t)below(768) - 256;
      if (osz == 8) mov_r64_simm(pro, e.reg, off);
      else mov_r32_imm(pro, e.reg, (uint32_t)off);
    }
    if ((m == "shld" || m == "shrd") && osz == 2) {
      if (form & gb::F_I8) e.imm = below(17);
      else { pro.push_back(0xb1); pro.push_back((uint8_t)(below(17) + (chance(20) ? 32 : 0))); }  // mov $k,%cl
    }
    if (m == "maskmovdqu" || m == "maskmovq") {  // stores through [rdi]
      mov_r32_imm(pro, gb::RDI, (uint32_t)(Layout::MEM_LO + 512 + below(20 * 1024)));
    }
    if (m == "popf") {
      push_imm32(pro, (uint32_t)((rnd() & (gb::FL_ARITH | gb::FL_DF)) | 2));
    }
    if (is_frame) {
      pro.insert(pro.end(), {0x48, 0x89, 0xe5});  // mov %rsp,%rbp
    }
    if (m == "ldmxcsr" && mem_form) {
      // movl $safe,mem: masked exceptions, random rounding/FTZ/DAZ.
      Enc s;
      s.has_modrm = true; s.mod = 0; s.reg = 0; s.mem = e.mem; s.opcode = {0xc7}; s.imm_size = 4;
      s.imm = 0x1f80 | (below(4) << 13) | (chance(20) ? 0x8040 : 0);
      s.legacy.clear();
      const std::vector<uint8_t> b = encode(s, item_at + pro.size());
      pro.insert(pro.end(), b.begin(), b.end());
    }
    if (m == "fldcw" && mem_form) {
      // movw $cw,mem: exceptions masked, random rounding and precision control.
      Enc s;
      s.has_modrm = true; s.mod = 0; s.reg = 0; s.mem = e.mem; s.opcode = {0xc7}; s.imm_size = 2;
      s.legacy = {0x66};
      s.imm = 0x7f | (below(4) << 8) | (below(4) << 10);
      const std::vector<uint8_t> b = encode(s, item_at + pro.size());
      pro.insert(pro.end(), b.begin(), b.end());
    }
    if (m == "fxrstor" && mem_form) {
      Enc s = e;  // fxsave to the same place first (0f ae /0)
      s.legacy.clear();
      s.opcode = {0x0f, 0xae};
      s.reg = 0;
      const std::vector<uint8_t> b = encode(s, item_at + pro.size());
      pro.insert(pro.end(), b.begin(), b.end());
    }

    if (is_ret && (form & gb::F_I16)) e.imm = below(9) * 8 + (chance(10) ? below(8) : 0);

    // Lay out: prologue, then the main instruction, then (branches) the item jumped over.
    const size_t starts_mark = item_starts.size();
    auto fail = [&]() {
      item_starts.resize(starts_mark);
      return false;
    };
    std::vector<uint8_t> main;
    std::vector<uint8_t> skipped;
    if (rel_branch) {
      e.imm = 0;
      main = encode(e, item_at + pro.size());
      const uint64_t next = item_at + pro.size() + main.size();
      if (m == "call" || chance(85)) item(skipped, next, depth + 1);
      const int64_t rel = (int64_t)skipped.size();
      if ((form & gb::F_REL8) && rel > 127) return fail();
      e.imm = (uint64_t)rel;
      main = encode(e, item_at + pro.size());
    } else if (ind_branch || is_ret) {
      // The prologue loads the target: right after the branch, or after the next item.
      // Its length does not depend on the target value.
      const std::vector<uint8_t> base_pro = pro;
      auto build = [&](uint64_t target) {
        pro = base_pro;
        if (is_ret) {
          push_imm32(pro, (uint32_t)target);
        } else if (e.mod == 3) {
          mov_r32_imm(pro, e.rm, (uint32_t)target);
        } else {
          Enc s;  // movq $target, mem (same memory operand)
          s.has_modrm = true; s.mod = 0; s.reg = 0; s.mem = e.mem; s.opcode = {0xc7}; s.imm_size = 4;
          s.rex_w = true; s.imm = target;
          const std::vector<uint8_t> b = encode(s, item_at + pro.size());
          pro.insert(pro.end(), b.begin(), b.end());
        }
        main = encode(e, item_at + pro.size());
      };
      build(0);
      const uint64_t next = item_at + pro.size() + main.size();
      if (chance(70)) item(skipped, next, depth + 1);
      build(next + skipped.size());
    } else {
      main = encode(e, item_at + pro.size());
    }
    if (main.size() > 15) return fail();
    if (!decodes_as(main, item_at + pro.size(), row)) return fail();

    item_starts.insert(item_starts.begin() + starts_mark, item_at);
    row_hits[row]++;
    out.insert(out.end(), pro.begin(), pro.end());
    out.insert(out.end(), main.begin(), main.end());
    out.insert(out.end(), skipped.begin(), skipped.end());
    return true;
  }
};

}  // namespace ss
