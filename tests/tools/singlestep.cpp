// tests/tools/singlestep.cpp — the ptrace single-step comparator: the engine's CPU against
// the host CPU, one instruction at a time.
//
//   singlestep [options] -- PROGRAM [ARGS...]     mode A: a host program (static is best)
//   singlestep --random [--seed S] [--count N]     mode B: generated instruction sequences
//
// Mode A forks and execs PROGRAM under PTRACE_TRACEME, copies every mapping of the
// stopped child (/proc/PID/maps + /proc/PID/mem) and its registers (GPRs, rip, rflags,
// fs_base, x87/SSE state) into a fresh engine AddressSpace + Cpu, then single-steps both.
// After every instruction it compares the 16 GPRs, rip, rflags (arithmetic bits minus the
// row's undefined mask, plus DF), xmm0-15 and mxcsr, and the memory the instruction
// addressed. `syscall` runs natively only; the engine then takes the native registers and
// the changed writable memory (and the new mappings after mmap/munmap/brk/mprotect/...).
// `cpuid` runs in the engine and its answer is written into the native registers, so the
// native program sees the engine's CPU (baseline + SSE2) and glibc picks the same code
// paths on both sides. `rdtsc` takes the native value.
//
// Mode B runs seeded, reproducible random instructions (ss_gen.h) in a forked stub with
// code and data buffers at fixed addresses, poking code, data and registers via ptrace.
//
// Options
//   --max N            stop after N instructions (mode A)
//   --random           mode B;  --seed S (default 1)  --count N (default 100000)
//   --keep-going K     report up to K mismatches, resynchronising the engine from the
//                      native state after each, then a summary by instruction (default: stop
//                      at the first mismatch)
//   --no-x87           do not compare x87 instructions (mode A executes them natively and
//                      adopts the result; mode B generates no x87 rows). Default: compared,
//                      all 80 bits of every register and the status word but TOP
//   --engine-run       step the engine with run(cpu, bc, 1) instead of decode()+handler
//                      (needs run() to honour a budget of one instruction)
//   --memcheck-every N mode B: compare the whole data buffer every N instructions
//   --record FILE      mode B: write the run as segments with their start and end states
//                      (tests/tools/ss_record.h), for tests/jit/replay.cpp to replay in
//                      node with the JIT
//   --record-max N     stop recording after the batch in which N instructions were reached
//   --trace            print every instruction before it executes
//   --quiet            only the summary
//   --quiet-child      mode A: the program's stdout/stderr go to /dev/null
//
// x87: registers are compared bit for bit (the engine computes exact 80-bit values);
// after a transcendental (f2xm1 fyl2x fyl2xp1 fpatan fsin fcos fsincos fptan) one unit in
// the last place is accepted and the host's bits are adopted, and outside their documented
// domain (f2xm1 |x| > 1, fyl2xp1 |x| >= 1 - sqrt(2)/2) the host's result is adopted.
// Exit status: 0 when every compared instruction matched, 1 on a mismatch, 2 on a setup error.
#include <sys/syscall.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "tests/tools/ss_gen.h"
#include "tests/tools/ss_native.h"
#include "tests/tools/ss_record.h"
#include "vm/cpu/cpu.h"
#include "vm/cpu/decode.h"
#include "vm/cpu/exec.h"
#include "vm/cpu/interp.h"
#include "vm/cpu/optable.h"
#include "vm/mem/address_space.h"

namespace {

using gb::Cpu;
using gb::Insn;

using ss::kRegName;

// ---- options ----------------------------------------------------------------------------
struct Options {
  bool random = false;
  uint64_t seed = 1;
  uint64_t count = 100000;
  uint64_t max = 0;
  int keep_going = 0;
  bool x87 = true;
  bool engine_run = false;
  uint64_t memcheck_every = 0;
  std::string record;
  uint64_t record_max = 0;
  bool trace = false;
  bool quiet = false;
  bool quiet_child = false;
  std::vector<std::string> argv;
};

// ---- native register file <-> engine ------------------------------------------------------
using ureg = unsigned long long;  // the type of user_regs_struct fields
ureg& nreg(user_regs_struct& r, int i) {
  switch (i) {
    case gb::RAX: return r.rax;
    case gb::RCX: return r.rcx;
    case gb::RDX: return r.rdx;
    case gb::RBX: return r.rbx;
    case gb::RSP: return r.rsp;
    case gb::RBP: return r.rbp;
    case gb::RSI: return r.rsi;
    case gb::RDI: return r.rdi;
    case gb::R8: return r.r8;
    case gb::R9: return r.r9;
    case gb::R10: return r.r10;
    case gb::R11: return r.r11;
    case gb::R12: return r.r12;
    case gb::R13: return r.r13;
    case gb::R14: return r.r14;
    default: return r.r15;
  }
}
uint64_t nreg(const user_regs_struct& r, int i) { return nreg(const_cast<user_regs_struct&>(r), i); }

// The FXSAVE image's 80-bit registers (stack order st0..st7), raw.
gb::F80 f80_from(const void* p) {
  gb::F80 v;
  memcpy(&v.mant, p, 8);
  memcpy(&v.se, (const uint8_t*)p + 8, 2);
  return v;
}
void f80_to(gb::F80 v, void* p) {
  memcpy(p, &v.mant, 8);
  memcpy((uint8_t*)p + 8, &v.se, 2);
}

uint8_t* fp_xmm(user_fpregs_struct& f, int i) { return (uint8_t*)f.xmm_space + 16 * i; }
const uint8_t* fp_xmm(const user_fpregs_struct& f, int i) { return (const uint8_t*)f.xmm_space + 16 * i; }
uint8_t* fp_st(user_fpregs_struct& f, int i) { return (uint8_t*)f.st_space + 16 * i; }
const uint8_t* fp_st(const user_fpregs_struct& f, int i) { return (const uint8_t*)f.st_space + 16 * i; }

void fpu_to_engine(const user_fpregs_struct& f, Cpu& c) {
  for (int i = 0; i < 16; i++) memcpy(c.xmm[i].b, fp_xmm(f, i), 16);
  c.mxcsr = f.mxcsr;
  c.fpu.fcw = f.cwd;
  c.fpu.fsw = f.swd;
  c.fpu.top = (f.swd >> 11) & 7;
  uint16_t tw = 0;
  for (int p = 0; p < 8; p++) tw |= (uint16_t)(((f.ftw >> p) & 1) ? 0 : 3) << (2 * p);  // abridged: 1 = valid
  c.fpu.ftw = tw;
  for (int i = 0; i < 8; i++) c.fpu.st[(c.fpu.top + i) & 7] = f80_from(fp_st(f, i));
  c.fpu.fop = f.fop;
}

void fpu_from_engine(const Cpu& c, user_fpregs_struct& f) {
  for (int i = 0; i < 16; i++) memcpy(fp_xmm(f, i), c.xmm[i].b, 16);
  f.mxcsr = c.mxcsr;
  f.cwd = c.fpu.fcw;
  f.swd = (uint16_t)((c.fpu.fsw & ~0x3800) | ((c.fpu.top & 7) << 11));
  uint16_t ab = 0;
  for (int p = 0; p < 8; p++) if (((c.fpu.ftw >> (2 * p)) & 3) != 3) ab |= (uint16_t)(1 << p);
  f.ftw = ab;
  for (int i = 0; i < 8; i++) f80_to(c.fpu.st[(c.fpu.top + i) & 7], fp_st(f, i));
}

void regs_to_engine(const user_regs_struct& r, Cpu& c) {
  for (int i = 0; i < 16; i++) c.r[i] = nreg(r, i);
  c.rip = r.rip;
  c.set_rflags(r.eflags & ~(uint64_t)gb::FL_TF);
  c.fs_base = r.fs_base;
  c.gs_base = r.gs_base;
}

// ---- the engine side ----------------------------------------------------------------------
class TestHost : public gb::CpuHost {
 public:
  bool illegal = false;
  bool syscalled = false;
  uint64_t tsc = 0;
  void syscall(Cpu&) override { syscalled = true; }
  uint64_t rdtsc() override { return tsc; }
  void illegal_instruction(Cpu&, uint64_t, const uint8_t*, int) override { illegal = true; }
};

struct EngineResult {
  bool fault = false;        // a CPU exception
  gb::CpuException ex;
  bool illegal = false;      // op_ud / ud2: the engine would deliver SIGILL
};

class Engine {
 public:
  gb::AddressSpace as;
  Cpu cpu;
  TestHost host;
  gb::BlockCache bc;
  bool use_run = false;

  explicit Engine(bool run_mode) : use_run(run_mode) {
    cpu.mem = &as;
    cpu.host = &host;
    as.set_code_watcher([this](uint64_t page) { bc.invalidate_page(page); });
  }

  EngineResult step() {
    EngineResult res;
    host.illegal = false;
    if (use_run) {
      const uint64_t before = cpu.icount;
      res.ex = gb::run(cpu, bc, 1);
      res.fault = res.ex.kind != gb::CpuException::NONE;
      res.illegal = host.illegal;
      if (!res.fault && !res.illegal && cpu.icount - before != 1) {
        fprintf(stderr, "singlestep: run(cpu, bc, 1) executed %" PRIu64 " instructions (--engine-run needs exactly 1)\n",
                cpu.icount - before);
        exit(2);
      }
      return res;
    }
    const uint64_t pc = cpu.rip;
    Insn in;
    gb::DecodeError err;
    try {
      gb::decode(as, pc, in, &err);
      if (in.len == 0) throw gb::GuestFault{err.fault_addr, false, false};
      cpu.rip = pc + in.len;
      in.fn(cpu, in);
      cpu.icount++;
    } catch (const gb::GuestFault& f) {
      res.fault = true;
      res.ex.kind = gb::CpuException::PAGE_FAULT;
      res.ex.addr = f.addr;
      res.ex.write = f.write;
      res.ex.mapped = f.mapped;
      res.ex.bus = f.bus;
      cpu.rip = pc;
    } catch (const gb::GpFault&) {
      res.fault = true;
      res.ex.kind = gb::CpuException::GP;
      cpu.rip = pc;
    } catch (const gb::DivFault&) {
      res.fault = true;
      res.ex.kind = gb::CpuException::DIV;
      cpu.rip = pc;
    } catch (const gb::TrapFault&) {
      res.fault = true;
      res.ex.kind = gb::CpuException::TRAP;
      cpu.rip = pc;
    } catch (const gb::FpFault& e) {
      res.fault = true;
      res.ex.kind = gb::CpuException::FPE;
      res.ex.code = e.code;
      cpu.rip = pc;
    }
    res.illegal = host.illegal;
    return res;
  }
};

const char* ex_name(const EngineResult& r) {
  if (r.illegal) return "SIGILL (unknown instruction)";
  switch (r.ex.kind) {
    case gb::CpuException::NONE: return "none";
    case gb::CpuException::PAGE_FAULT: return r.ex.bus ? "SIGBUS" : "SIGSEGV (page fault)";
    case gb::CpuException::GP: return "SIGSEGV (general protection)";
    case gb::CpuException::DIV: return "SIGFPE (divide error)";
    case gb::CpuException::TRAP: return "SIGTRAP";
    case gb::CpuException::FPE: return "SIGFPE (floating point)";
  }
  return "?";
}

int ex_signal(const EngineResult& r) { return ss::signal_of(r.ex, r.illegal); }

std::string hexbytes(const uint8_t* b, int n) {
  std::string s;
  char h[4];
  for (int k = 0; k < n; k++) { snprintf(h, sizeof h, k ? " %02x" : "%02x", b[k]); s += h; }
  return s;
}

std::string xmm_str(const uint8_t* x) {
  char b[40];
  uint64_t lo, hi;
  memcpy(&lo, x, 8);
  memcpy(&hi, x + 8, 8);
  snprintf(b, sizeof b, "%016" PRIx64 "_%016" PRIx64, hi, lo);
  return b;
}

// ---- the lockstep comparator ----------------------------------------------------------------
class Lockstep {
 public:
  Options opt;
  ss::Native nat;
  Engine eng;
  uint64_t compared = 0;      // instructions compared
  uint64_t mismatches = 0;
  uint64_t syscalls = 0;
  uint64_t faults_matched = 0;
  std::map<std::string, uint64_t> by_insn;  // mismatch summary
  std::map<std::string, std::string> example;  // bytes of the first instance
  std::map<std::string, uint64_t> faults_by;   // faults both sides took, by instruction
  uint64_t last_mismatch_pc = ~0ull;
  uint64_t same_pc_mismatches = 0;
  // --record (mode B): the engine's state just before and just after it steps (before the
  // comparator adopts anything), the signal of the last step, and memory adopted since.
  ss::RecState* rec_pre = nullptr;
  ss::RecState* rec_post = nullptr;
  int last_sig = 0;
  std::vector<std::pair<uint64_t, uint64_t>>* rec_mem = nullptr;

  explicit Lockstep(const Options& o) : opt(o), eng(o.engine_run) {}
  virtual ~Lockstep() = default;
  // After a mismatch (keep-going): make the engine's memory equal to the native one.
  virtual void resync_memory() {}

  // What is at rip, decoded by the engine (for texts, lengths and undef masks).
  struct At {
    Insn in{};
    bool ok = false;
    uint8_t bytes[16] = {};
    int nbytes = 0;
    const gb::OpRow* row = nullptr;
  };
  At look(uint64_t rip) {
    At a;
    a.nbytes = 0;
    for (; a.nbytes < 15; a.nbytes++) {
      const uint8_t* p = eng.as.host_read_ptr(rip + a.nbytes);
      if (!p) break;
      a.bytes[a.nbytes] = *p;
    }
    try {
      gb::decode(eng.as, rip, a.in);
      a.ok = true;
      if (a.in.row != 0xffff) a.row = &gb::op_table()[a.in.row];
    } catch (...) {
      a.ok = false;
    }
    return a;
  }

  // ---- comparison ----
  struct Before {
    uint64_t r[16];
    uint64_t rip, rflags;
  };
  Before snap() const {
    Before b;
    memcpy(b.r, eng.cpu.r, sizeof b.r);
    b.rip = eng.cpu.rip;
    b.rflags = eng.cpu.get_rflags();
    return b;
  }

  // Returns the text of the differences (empty when equal).
  std::string diff(uint16_t undef) {
    std::string d;
    char line[256];
    const user_regs_struct& r = nat.regs;
    for (int i = 0; i < 16; i++) {
      if (nreg(r, i) != eng.cpu.r[i]) {
        snprintf(line, sizeof line, "  %-7s native %016llx  engine %016" PRIx64 "\n", kRegName[i],
                 (unsigned long long)nreg(r, i), eng.cpu.r[i]);
        d += line;
      }
    }
    if (r.rip != eng.cpu.rip) {
      snprintf(line, sizeof line, "  %-7s native %016llx  engine %016" PRIx64 "\n", "rip", (unsigned long long)r.rip,
               eng.cpu.rip);
      d += line;
    }
    const uint64_t mask = (gb::FL_ARITH & ~(uint64_t)undef) | gb::FL_DF;
    const uint64_t ef = eng.cpu.get_rflags();
    if ((r.eflags & mask) != (ef & mask)) {
      snprintf(line, sizeof line, "  %-7s native %016llx  engine %016" PRIx64 "  (compared bits %#" PRIx64 ": %s)\n",
               "rflags", (unsigned long long)r.eflags, ef, mask, flag_diff(r.eflags & mask, ef & mask).c_str());
      d += line;
    }
    for (int i = 0; i < 16; i++) {
      if (memcmp(fp_xmm(nat.fp, i), eng.cpu.xmm[i].b, 16) != 0) {
        snprintf(line, sizeof line, "  xmm%-4d native %s  engine %s\n", i, xmm_str(fp_xmm(nat.fp, i)).c_str(),
                 xmm_str(eng.cpu.xmm[i].b).c_str());
        d += line;
      }
    }
    if (nat.fp.mxcsr != eng.cpu.mxcsr) {
      snprintf(line, sizeof line, "  %-7s native %08x  engine %08x\n", "mxcsr", nat.fp.mxcsr, eng.cpu.mxcsr);
      d += line;
    }
    // A stack fault raised by this instruction (SF newly set natively): the condition
    // codes are undefined for most instructions then (SDM), and AMD and Intel differ;
    // the native x87 state is adopted instead of compared (counted in the summary).
    if (opt.x87 && !x87_skip && (nat.fp.swd & 0x40) && !(fsw_before & 0x40)) x87_stack_fault = true;
    if (opt.x87 && !x87_skip && !x87_stack_fault) d += diff_x87();
    return d;
  }

  static std::string flag_diff(uint64_t n, uint64_t e) {
    static const struct { uint64_t bit; const char* name; } f[] = {
        {gb::FL_CF, "CF"}, {gb::FL_PF, "PF"}, {gb::FL_AF, "AF"}, {gb::FL_ZF, "ZF"},
        {gb::FL_SF, "SF"}, {gb::FL_OF, "OF"}, {gb::FL_DF, "DF"}};
    std::string s;
    for (auto& x : f)
      if ((n ^ e) & x.bit) s += std::string(s.empty() ? "" : " ") + x.name + (n & x.bit ? "=1/0" : "=0/1");
    return s;
  }

  // Set while comparing a transcendental instruction: its results may differ from the
  // host's in the last bit of the 64-bit significand (neither side is correctly rounded).
  bool x87_ulp_ok = false, x87_skip = false, x87_stack_fault = false;
  uint16_t fsw_before = 0, x87_ccmask = 0;
  uint64_t x87_stack_faults = 0;
  static bool within_ulp(gb::F80 a, gb::F80 b) {
    long double x, y;
    memset(&x, 0, sizeof x);
    memset(&y, 0, sizeof y);
    memcpy(&x, &a, 10);
    memcpy(&y, &b, 10);
    return x == y || nextafterl(x, y) == y;
  }

  std::string diff_x87() {
    std::string d;
    char line[200];
    const int ntop = (nat.fp.swd >> 11) & 7;
    if (ntop != eng.cpu.fpu.top) {
      snprintf(line, sizeof line, "  x87 top native %d  engine %d\n", ntop, eng.cpu.fpu.top);
      d += line;
    }
    if (nat.fp.cwd != eng.cpu.fpu.fcw) {
      snprintf(line, sizeof line, "  fcw     native %04x  engine %04x\n", nat.fp.cwd, eng.cpu.fpu.fcw);
      d += line;
    }
    // The whole status word but TOP (compared above). After a transcendental
    // instruction (x87_ulp_ok) PE and C1 may differ with a last-bit difference.
    const uint16_t swmask = (uint16_t)((x87_ulp_ok ? 0xc5df : 0xc7ff) & ~x87_ccmask);
    if ((nat.fp.swd & swmask) != (eng.cpu.fpu.fsw & swmask)) {
      snprintf(line, sizeof line, "  fsw     native %04x  engine %04x (TOP masked)\n", nat.fp.swd & 0xc7ff, eng.cpu.fpu.fsw & 0xc7ff);
      d += line;
    }
    for (int i = 0; i < 8; i++) {
      const int phys = (ntop + i) & 7;
      const bool nvalid = (nat.fp.ftw >> phys) & 1;
      const bool evalid = ((eng.cpu.fpu.ftw >> (2 * ((eng.cpu.fpu.top + i) & 7))) & 3) != 3;
      const gb::F80 nv = f80_from(fp_st(nat.fp, i));
      const gb::F80 ev = eng.cpu.fpu.st[(eng.cpu.fpu.top + i) & 7];
      bool same = nvalid == evalid && (!nvalid || (nv.mant == ev.mant && nv.se == ev.se));
      if (!same && nvalid == evalid && x87_ulp_ok) same = within_ulp(nv, ev);
      if (!same) {
        snprintf(line, sizeof line, "  st(%d)   native %s%04x:%016llx  engine %s%04x:%016llx\n", i, nvalid ? "" : "(empty) ", nv.se,
                 (unsigned long long)nv.mant, evalid ? "" : "(empty) ", ev.se, (unsigned long long)ev.mant);
        d += line;
      }
    }
    return d;
  }

  bool read_native_state() { return nat.get_regs() && nat.get_fp(); }

  // Engine takes the whole native register state.
  void resync_regs() {
    regs_to_engine(nat.regs, eng.cpu);
    fpu_to_engine(nat.fp, eng.cpu);
  }

  // Compares memory [a, a+n) on both sides; returns a description of the first difference.
  std::string diff_mem(uint64_t a, uint64_t n) {
    std::vector<uint8_t> nb(n), eb(n);
    if (!nat.read(a, nb.data(), n)) return "";
    if (!eng.as.copy_in(eb.data(), a, n)) {
      // Partially mapped in the engine: compare byte by byte what is readable.
      for (uint64_t k = 0; k < n; k++) {
        const uint8_t* p = eng.as.host_read_ptr(a + k);
        if (!p) return "  memory " + hex64(a + k) + " readable natively but not in the engine\n";
        eb[k] = *p;
      }
    }
    for (uint64_t k = 0; k < n; k++) {
      if (nb[k] != eb[k]) {
        const uint64_t s = k & ~15ull;
        const uint64_t len = std::min<uint64_t>(16, n - s);
        return "  memory at " + hex64(a + s) + "\n    native " + hexbytes(nb.data() + s, (int)len) + "\n    engine " +
               hexbytes(eb.data() + s, (int)len) + "\n";
      }
    }
    return "";
  }
  static std::string hex64(uint64_t v) {
    char b[24];
    snprintf(b, sizeof b, "%#" PRIx64, v);
    return b;
  }

  // Prints a mismatch. Returns true if the run should go on (keep-going budget left).
  bool report(const At& at, uint64_t pc, const Before& before, const std::string& what) {
    mismatches++;
    // Summary key: the row, the ModRM.reg of group rows, lock and 66 (one example kept).
    std::string key = at.row ? at.row->text : "(bad)";
    if (at.row && (key.rfind("grp", 0) == 0)) key += " /" + std::to_string(at.in.reg & 7);
    if (at.in.lock) key += " +lock";
    if (at.in.pfx66) key += " +66";
    if (at.in.asz == 4) key += " +67";
    if (!at.row) {
      // Prefixes, REX, escape bytes and the opcode (no ModRM): one entry per opcode form.
      int p = 0;
      while (p < at.nbytes && (at.bytes[p] == 0x66 || at.bytes[p] == 0x67 || at.bytes[p] == 0xf2 ||
                               at.bytes[p] == 0xf3 || at.bytes[p] == 0xf0 || at.bytes[p] == 0x64 ||
                               at.bytes[p] == 0x65 || (at.bytes[p] & 0xf0) == 0x40))
        p++;
      bool esc = false;
      if (p < at.nbytes && at.bytes[p] == 0x0f) {
        p++;
        esc = true;
        if (p < at.nbytes && (at.bytes[p] == 0x38 || at.bytes[p] == 0x3a)) p++;
      }
      std::string pf;
      for (int k = 0; k < p; k++)
        if ((at.bytes[k] & 0xf0) != 0x40 || at.bytes[k] == 0x48 || at.bytes[k] == 0x49 || at.bytes[k] == 0x4c || at.bytes[k] == 0x4d)
          pf += hexbytes(at.bytes + k, 1) + " ";
      key += " " + pf + hexbytes(at.bytes + std::min(p, at.nbytes - 1), 1);
      if (p + 1 < at.nbytes && !esc && (at.bytes[p] >= 0xd8 && at.bytes[p] <= 0xdf)) key += " /" + std::to_string((at.bytes[p + 1] >> 3) & 7);
    }
    if (!by_insn.count(key))
      example[key] = hexbytes(at.bytes, std::min(at.in.len ? (int)at.in.len : at.nbytes, 15));
    by_insn[key]++;
    const bool print = !opt.quiet && (opt.keep_going == 0 || (int)mismatches <= opt.keep_going);
    if (print) {
      printf("MISMATCH after %" PRIu64 " instructions, at %#" PRIx64 ": %s  (%s, len %d)\n", compared, pc,
             hexbytes(at.bytes, at.in.len ? at.in.len : std::min(at.nbytes, 15)).c_str(), at.row ? at.row->text : "(bad)",
             (int)at.in.len);
      printf("  before:");
      for (int i = 0; i < 16; i++) printf("%s %s=%" PRIx64, i % 4 == 0 ? "\n   " : "", kRegName[i], before.r[i]);
      printf("\n    rflags=%" PRIx64 "\n", before.rflags);
      printf("%s", what.c_str());
      fflush(stdout);
    }
    if (opt.keep_going == 0) return false;
    return true;
  }

  void summary(const char* mode) {
    if (x87_stack_faults && !opt.quiet)
      printf("  %" PRIu64 " x87 stack faults: native x87 state adopted (condition codes undefined)\n", x87_stack_faults);
    if (!by_insn.empty()) {
      printf("mismatches by instruction (%zu distinct):\n", by_insn.size());
      std::vector<std::pair<uint64_t, std::string>> v;
      for (auto& [k, n] : by_insn) v.push_back({n, k});
      std::sort(v.rbegin(), v.rend());
      for (auto& [n, k] : v) printf("  %8" PRIu64 "  %-32s e.g. %s\n", n, k.c_str(), example[k].c_str());
    }
    if (!opt.quiet && !faults_by.empty()) {
      printf("faults taken identically by both sides:\n");
      for (auto& [k, n] : faults_by) printf("  %8" PRIu64 "  %s\n", n, k.c_str());
    }
    printf("singlestep %s: %" PRIu64 " instructions compared, %" PRIu64 " mismatches", mode, compared, mismatches);
    if (syscalls) printf(", %" PRIu64 " syscalls", syscalls);
    if (faults_matched) printf(", %" PRIu64 " matching faults", faults_matched);
    printf("\n");
  }

  // Step both sides over the instruction at rip and compare. Returns false to stop.
  // `pc` is the common rip. Handles rep-prefixed string instructions (the native side
  // traps after every iteration), faults, pushf's TF, undefined flags.
  enum StepOutcome { OK, MISMATCH, FAULT_BOTH, EXITED };
  StepOutcome step_compare(const At& at) {
    const uint64_t pc = eng.cpu.rip;
    const Before before = snap();
    uint16_t undef = at.row ? at.row->undef : 0;
    // F3 0F BC is tzcnt on a host with BMI1 but bsf in the engine (BMI1 is not advertised;
    // glibc's SSE2 code uses it knowing that): the results agree for a non-zero source,
    // the flags do not. Compare the result only, and adopt the native one for a zero source.
    const bool rep_bsf = at.row && at.row->map == gb::M0F && at.row->opc == 0xbc && at.bytes[0] == 0xf3;
    bool bsf_zero_src = false;
    if (rep_bsf) {
      undef = gb::FL_ARITH;
      try {
        bsf_zero_src = (at.in.has_mem() ? 1 : eng.cpu.getr(at.in.rm, at.in.osz, at.in.rex)) == 0;
        if (at.in.has_mem()) {
          Cpu tmp;
          memcpy(tmp.r, eng.cpu.r, sizeof tmp.r);
          tmp.rip = pc + at.in.len;
          tmp.mem = &eng.as;
          bsf_zero_src = gb::rd_mem(tmp, gb::ea(tmp, at.in), at.in.osz) == 0;
        }
      } catch (...) {
      }
    }
    const bool is_string = at.row && at.row->map == gb::M1 &&
                           ((at.row->opc >= 0xa4 && at.row->opc <= 0xa7) || (at.row->opc >= 0xaa && at.row->opc <= 0xaf));
    const bool rep = is_string && at.in.rep;
    // Memory the instruction addresses (checked afterwards).
    uint64_t ea = 0;
    bool check_ea = false;
    if (at.ok && at.row && at.in.has_mem()) {
      const std::string t = at.row->text;
      if (t.rfind("lea", 0) != 0 && t.find("nop") == std::string::npos && t.rfind("prefetch", 0) != 0 &&
          t.rfind("clflush", 0) != 0) {
        Cpu tmp;
        memcpy(tmp.r, eng.cpu.r, sizeof tmp.r);
        tmp.rip = pc + at.in.len;
        tmp.fs_base = eng.cpu.fs_base;
        tmp.gs_base = eng.cpu.gs_base;
        ea = gb::ea(tmp, at.in);
        check_ea = true;
      }
    }
    const uint64_t rdi0 = eng.cpu.r[gb::RDI];
    // x87 transcendentals: compared to within one ulp, then the native bits are adopted;
    // outside their documented domain (f2xm1 |x| > 1, fyl2xp1 |x| >= 1 - sqrt(2)/2) the
    // result is undefined and only adopted.
    x87_ulp_ok = x87_skip = x87_stack_fault = false;
    x87_ccmask = 0;
    // Exception flags are sticky: clear them on both sides before an x87 instruction, so
    // that each instruction's own flags are compared (and a stack fault is recognised).
    if (opt.x87 && at.ok && at.row && at.row->map == gb::M1 && at.row->opc >= 0xd8 && at.row->opc <= 0xdf &&
        (eng.cpu.fpu.fsw & 0x7f) && !(eng.cpu.fpu.fsw & 0x80)) {
      eng.cpu.fpu.fsw &= (uint16_t)~0x7f;
      nat.fp.swd &= (uint16_t)~0x7f;
      nat.set_fp();
    }
    fsw_before = eng.cpu.fpu.fsw;
    if (at.ok && at.row && at.row->map == gb::M1 && at.row->opc == 0xd9 && at.in.mod == 3 && (at.in.reg & 7) >= 6) {
      const int k = at.in.rm & 7;
      const bool f0 = (at.in.reg & 7) == 6;
      x87_ulp_ok = f0 ? k <= 3 : (k == 1 || k == 3 || k >= 6);
      const gb::F80 x = eng.cpu.fpu.st[eng.cpu.fpu.top & 7];
      long double xv;
      memset(&xv, 0, sizeof xv);
      memcpy(&xv, &x, 10);
      if (f0 && k == 0 && !(fabsl(xv) <= 1.0L)) x87_skip = true;
      if (!f0 && k == 1 && !(fabsl(xv) < 0.29289321881345247560L)) x87_skip = true;
    }
    // D9 D8+i: an undocumented alias of fstp st(i) on Intel, a model-specific variant
    // on AMD: the host's result is adopted.
    if (at.ok && at.row && at.row->map == gb::M1 && at.row->opc == 0xd9 && at.in.mod == 3 && (at.in.reg & 7) == 3)
      x87_skip = true;
    // Condition codes the SDM leaves undefined (or AMD leaves unchanged where Intel
    // clears C1): ffree/ffreep (C0-C3) and fcomi/fucomi[p] (C1).
    x87_ccmask = 0;
    if (at.ok && at.row && at.row->map == gb::M1 && at.in.mod == 3) {
      const int o = at.row->opc, r = at.in.reg & 7;
      if ((o == 0xdd || o == 0xdf) && r == 0) x87_ccmask = 0x4700;
      if ((o == 0xdb || o == 0xdf) && (r == 5 || r == 6)) x87_ccmask = 0x0200;
    }

    if (rec_pre) *rec_pre = ss::state_of(eng.cpu);
    int sig = nat.step();
    while (sig == 0 && rep && nat.get_regs() && nat.regs.rip == pc) sig = nat.step();
    if (sig < 0) return EXITED;
    const EngineResult er = eng.step();
    if (rec_post) *rec_post = ss::state_of(eng.cpu);
    last_sig = sig;
    if (!read_native_state()) return EXITED;
    compared++;

    if (opt.trace && !opt.quiet) {
      printf("%10" PRIu64 "  %#" PRIx64 "  %-40s %s\n", compared, pc, hexbytes(at.bytes, at.in.len ? at.in.len : 1).c_str(),
             at.row ? at.row->text : "(bad)");
    }

    // pushf under single-step pushes TF=1 natively: clear it (as without a debugger).
    if (sig == 0 && at.row && at.row->map == gb::M1 && at.row->opc == 0x9c) {
      uint64_t v = 0;
      const int sz = at.in.osz == 2 ? 2 : 8;
      if (nat.read(nat.regs.rsp, &v, sz) && (v & gb::FL_TF)) {
        v &= ~(uint64_t)gb::FL_TF;
        nat.write(nat.regs.rsp, &v, sz);
      }
    }

    if (rep_bsf && bsf_zero_src && sig == 0) eng.cpu.setr(at.in.reg, at.in.osz, at.in.rex, nreg(nat.regs, at.in.reg));
    std::string what;
    const bool efault = er.fault || er.illegal;
    if (sig != 0 || efault) {
      // Both must fault the same way, with the same state.
      if (sig != ex_signal(er) || (sig == 0) != !efault) {
        char b[256];
        snprintf(b, sizeof b, "  fault: native %s (si_code %d, si_addr %#llx)  engine %s (addr %#" PRIx64 ")\n",
                 sig ? strsignal(sig) : "none", sig ? nat.si.si_code : 0,
                 sig ? (unsigned long long)(uintptr_t)nat.si.si_addr : 0ull, ex_name(er), er.ex.addr);
        what += b;
      } else if (sig == SIGSEGV && er.ex.kind == gb::CpuException::PAGE_FAULT &&
                 (uint64_t)(uintptr_t)nat.si.si_addr != er.ex.addr) {
        char b[200];
        snprintf(b, sizeof b, "  fault address: native si_addr %#llx  engine %#" PRIx64 "\n",
                 (unsigned long long)(uintptr_t)nat.si.si_addr, er.ex.addr);
        what += b;
      }
    }
    what += diff(undef);
    // fxsave: FOP, FIP and FDP (bytes 6-23) describe the last x87 instruction, which the
    // engine does not track: take the native bytes. MXCSR_MASK (bytes 28-31) is
    // model-specific (Intel writes 0x0000ffff, AMD EPYC 0x0002ffff: bit 17 is AMD's
    // misaligned-SSE mode): the engine's own value is checked by the unit tests, so only
    // the bits every x86-64 host has (0xffff) are compared here.
    if (sig == 0 && check_ea && at.row && at.row->map == gb::M0F && at.row->opc == 0xae && (at.in.reg & 7) == 0) {
      copy_mem_to_engine(ea + 6, 18);
      uint32_t nmask = 0;
      if (nat.read(ea + 28, &nmask, 4) && (nmask & 0xffff) == 0xffff) copy_mem_to_engine(ea + 28, 4);
    }
    // fnstenv / fnsave (D9 /6, DD /6): FIP, FCS/FOP, FDP, FDS (bytes 12-27 of the 28-byte
    // environment) are model-specific (AMD stores zeros unless an exception is pending):
    // take the native bytes.
    if (sig == 0 && check_ea && at.row && at.row->map == gb::M1 && (at.row->opc == 0xd9 || at.row->opc == 0xdd) &&
        (at.in.reg & 7) == 6 && at.in.osz != 2)
      copy_mem_to_engine(ea + 12, 16);
    if (what.empty() && sig == 0) {
      if (check_ea) what += diff_mem(ea, 64);
      if (nat.regs.rsp != before.r[gb::RSP]) what += diff_mem(nat.regs.rsp, 32);
      if (is_string) {
        const uint64_t rdi1 = nat.regs.rdi;
        const uint64_t lo = std::min(rdi0, rdi1) - 16, hi = std::max(rdi0, rdi1) + 16;
        if (hi - lo <= 4096) what += diff_mem(lo, hi - lo);
      }
    }
    if (!what.empty()) {
      const bool go = report(at, pc, before, what);
      // Resynchronise: registers, and the memory the instruction touched. If only the
      // native side faulted, step over the instruction there (the engine already did).
      // If the engine alone faulted, the native side has executed the instruction and
      // is the state to continue from. If both faulted, step over it on both sides.
      if (sig != 0 && !efault) {
        nat.regs.rip = eng.cpu.rip;
        nat.set_regs();
      } else if (sig != 0 && efault) {
        nat.regs.rip = pc + (at.in.len ? at.in.len : 1);
        nat.set_regs();
      }
      resync_regs();
      resync_memory();
      if (++same_pc_mismatches > 1000 && pc == last_mismatch_pc) {
        printf("singlestep: stuck: 1000 mismatches in a row at %#" PRIx64 "\n", pc);
        return MISMATCH;
      }
      if (pc != last_mismatch_pc) same_pc_mismatches = 0;
      last_mismatch_pc = pc;
      if (check_ea) copy_mem_to_engine(ea, 64);
      copy_mem_to_engine(nat.regs.rsp, 64);
      if (is_string) copy_mem_to_engine(std::min(rdi0, (uint64_t)nat.regs.rdi) - 16, 4096 + 32);
      return go ? OK : MISMATCH;
    }
    if (x87_ulp_ok || x87_skip || x87_stack_fault || x87_ccmask) fpu_to_engine(nat.fp, eng.cpu);  // the host's last bit
    if (x87_stack_fault) { x87_stack_faults++; x87_stack_fault = false; }
    // Undefined flags: adopt the native values so that later readers agree.
    if (undef) {
      eng.cpu.materialize();
      eng.cpu.rflags = (eng.cpu.rflags & ~(uint64_t)undef) | (nat.regs.eflags & undef);
    }
    if (sig != 0) {
      faults_matched++;
      faults_by[std::string(at.row ? at.row->text : "(bad)") + " -> " + strsignal(sig)]++;
      return FAULT_BOTH;
    }
    return OK;
  }

  // Copies native memory into the engine (pages present on both sides only).
  void copy_mem_to_engine(uint64_t a, uint64_t n) {
    if (rec_mem) rec_mem->push_back({a, n});
    std::vector<uint8_t> b(n);
    for (uint64_t k = 0; k < n;) {
      const uint64_t page_end = gb::page_down(a + k) + gb::PAGE;
      const uint64_t len = std::min(n - k, page_end - (a + k));
      if (nat.read(a + k, b.data() + k, len)) {
        uint8_t* p = eng.as.host_write_ptr(a + k);
        if (p) memcpy(p, b.data() + k, len);
      }
      k += len;
    }
  }
};

// ---- mode A -------------------------------------------------------------------------------
class ProgramMode : public Lockstep {
 public:
  using Lockstep::Lockstep;

  static uint32_t prot_of(const ss::MapEntry& m) {
    return (m.r ? gb::PROT_R : 0) | (m.w ? gb::PROT_W : 0) | (m.x ? gb::PROT_X : 0);
  }
  static bool skip_map(const ss::MapEntry& m) {
    return m.path == "[vsyscall]" || m.start >= (1ull << 47);
  }

  // Reads native [s, e) into the engine, page by page; pages equal to the engine's (or
  // all zero when `fresh`) are skipped. Returns the number of pages written.
  uint64_t sync_range(uint64_t s, uint64_t e, bool fresh, std::string* first_diff) {
    static std::vector<uint8_t> buf;
    const uint64_t chunk = 1 << 20;
    uint64_t written = 0;
    for (uint64_t a = s; a < e; a += chunk) {
      const uint64_t n = std::min(chunk, e - a);
      buf.resize(n);
      if (!nat.read(a, buf.data(), n)) {
        // Unreadable natively (e.g. [vvar]): leave the engine's zero pages.
        continue;
      }
      for (uint64_t off = 0; off < n; off += gb::PAGE) {
        const uint8_t* np = buf.data() + off;
        if (fresh) {
          bool zero = true;
          for (uint64_t k = 0; k < gb::PAGE; k += 8) {
            uint64_t v;
            memcpy(&v, np + k, 8);
            if (v) { zero = false; break; }
          }
          if (zero) continue;
        } else {
          const uint8_t* ep = eng.as.host_read_ptr(a + off);
          if (ep && memcmp(ep, np, gb::PAGE) == 0) continue;
          if (first_diff && first_diff->empty() && ep) {
            uint64_t k = 0;
            while (k < gb::PAGE && ep[k] == np[k]) k++;
            const uint64_t row = k & ~15ull;
            *first_diff = "  memory at " + hex64(a + off + row) + "\n    native " + hexbytes(np + row, 16) +
                          "\n    engine " + hexbytes(ep + row, 16) + "\n";
          }
        }
        uint8_t* ep = eng.as.host_write_ptr(a + off);
        if (ep) memcpy(ep, np, gb::PAGE);
        else eng.as.write_bytes(a + off, np, gb::PAGE);
        written++;
      }
    }
    return written;
  }

  // Makes the engine's mappings equal to the native ones (ranges and protections), copying
  // the contents of new or changed mappings.
  void sync_maps() {
    const std::vector<ss::MapEntry> maps = nat.maps();
    // 1. Unmap engine ranges that are not mapped natively.
    std::vector<std::pair<uint64_t, uint64_t>> nranges;
    for (const auto& m : maps) if (!skip_map(m)) nranges.push_back({m.start, m.end});
    std::vector<std::pair<uint64_t, uint64_t>> drop;
    for (const auto& [start, v] : eng.as.vmas()) {
      uint64_t a = v.start;
      for (const auto& [s, e] : nranges) {
        if (e <= a || s >= v.end) continue;
        if (s > a) drop.push_back({a, s});
        a = std::max(a, e);
      }
      if (a < v.end) drop.push_back({a, v.end});
    }
    for (auto& [s, e] : drop) eng.as.unmap(s, e - s);
    // 2. Map or re-protect every native mapping.
    for (const auto& m : maps) {
      if (skip_map(m)) continue;
      const uint32_t prot = prot_of(m);
      // Unchanged since the last snapshot (same range, protection, file and offset)?
      bool same = false;
      for (const auto& o : last_maps)
        if (o.start == m.start && o.end == m.end && o.r == m.r && o.w == m.w && o.x == m.x && o.offset == m.offset &&
            o.path == m.path) { same = true; break; }
      for (uint64_t a = m.start; same && a < m.end;) {
        const gb::Vma* v = eng.as.vma_at(a);
        if (!v || v->prot != prot) { same = false; break; }
        a = v->end;
      }
      if (same) continue;
      // Is it fully mapped already (only the protection changed)? Then keep the contents.
      bool covered = true;
      for (uint64_t a = m.start; a < m.end;) {
        const gb::Vma* v = eng.as.vma_at(a);
        if (!v) { covered = false; break; }
        a = v->end;
      }
      if (covered) {
        eng.as.protect(m.start, m.end - m.start, prot | gb::PROT_R | gb::PROT_W);
        sync_range(m.start, m.end, false, nullptr);
        eng.as.protect(m.start, m.end - m.start, prot);
        continue;
      }
      eng.as.map(m.start, m.end - m.start, prot | gb::PROT_R | gb::PROT_W, true, false, false, nullptr, 0, m.path);
      if (m.r) sync_range(m.start, m.end, true, nullptr);
      eng.as.protect(m.start, m.end - m.start, prot);
    }
    last_maps = maps;
  }
  std::vector<ss::MapEntry> last_maps;  // the native mappings at the last sync_maps()

  std::vector<std::pair<uint64_t, uint64_t>> kernel_written;  // registered rseq areas

  void resync_memory() override { sync_writable(false); }

  uint64_t adopted = 0;

  // Runs one instruction natively only and gives its results to the engine (registers,
  // FP state, the memory it addressed). Returns false when the program ended.
  bool adopt_native(const At& at) {
    uint64_t ea = 0;
    const bool mem = at.ok && at.row && at.in.has_mem();
    if (mem) {
      Cpu tmp;
      memcpy(tmp.r, eng.cpu.r, sizeof tmp.r);
      tmp.rip = eng.cpu.rip + at.in.len;
      tmp.fs_base = eng.cpu.fs_base;
      tmp.gs_base = eng.cpu.gs_base;
      ea = gb::ea(tmp, at.in);
    }
    const int sig = nat.step();
    if (sig < 0) return false;
    read_native_state();
    compared++;
    adopted++;
    resync_regs();
    if (mem) copy_mem_to_engine(ea, 112);  // up to fnsave's 108 bytes
    else if (!at.row) resync_memory();     // unknown to the decoder: unknown operands
    return sig == 0;
  }

  // Writable memory: compare (report) and copy native -> engine.
  std::string sync_writable(bool compare) {
    std::string first;
    for (const auto& m : nat.maps()) {
      if (skip_map(m) || !m.w || !m.r) continue;
      sync_range(m.start, m.end, false, compare ? &first : nullptr);
    }
    return first;
  }

  int run() {
    if (!nat.spawn(opt.argv, true, opt.quiet_child)) {
      fprintf(stderr, "singlestep: cannot start %s\n", opt.argv[0].c_str());
      return 2;
    }
    sync_maps();
    resync_regs();
    // The tracer's view of the entry state.
    uint64_t last_syscall_nr = ~0ull;
    (void)last_syscall_nr;
    const auto t0 = std::chrono::steady_clock::now();
    int rc = 0;
    for (;;) {
      if (opt.max && compared >= opt.max) break;
      const uint64_t pc = eng.cpu.rip;
      if (pc != nat.regs.rip) {  // should never happen: resynchronised after every mismatch
        resync_regs();
      }
      const At at = look(pc);
      const bool is0f = at.nbytes >= 2;
      // Skip-list: instructions whose effect comes from outside the CPU.
      const uint8_t* b = at.bytes;
      int p = 0;
      while (p < at.nbytes && (b[p] == 0x66 || b[p] == 0xf2 || b[p] == 0xf3 || (b[p] & 0xf0) == 0x40)) p++;
      const bool is_syscall = is0f && p + 1 < at.nbytes && b[p] == 0x0f && b[p + 1] == 0x05;
      const bool is_cpuid = is0f && p + 1 < at.nbytes && b[p] == 0x0f && b[p + 1] == 0xa2;
      const bool is_rdtsc = is0f && p + 1 < at.nbytes && b[p] == 0x0f && b[p + 1] == 0x31;
      const bool is_xgetbv = p + 2 < at.nbytes && b[p] == 0x0f && b[p + 1] == 0x01 && b[p + 2] == 0xd0;
      if (is_syscall) {
        // Memory the kernel updates behind the program's back (the rseq area's cpu ids)
        // is an input: take the native bytes.
        for (auto& [a, n] : kernel_written) copy_mem_to_engine(a, n);
        // Before the kernel looks at memory: the writable memory must be identical.
        const std::string d = sync_writable(true);
        if (!d.empty()) {
          const Before bf = snap();
          if (!report(at, pc, bf, "  memory differs before this syscall (nr " + std::to_string(nat.regs.rax) + ")\n" + d)) {
            rc = 1;
            break;
          }
        }
        const uint64_t nr = nat.regs.rax;
        const uint64_t a0 = nat.regs.rdi, a1 = nat.regs.rsi, a2 = nat.regs.rdx;
        const int sig = nat.step();
        if (sig < 0) break;  // exit / exit_group
        read_native_state();
        syscalls++;
        compared++;
        resync_regs();
        switch (nr) {
          case SYS_mmap: case SYS_munmap: case SYS_mprotect: case SYS_brk: case SYS_mremap:
          case SYS_madvise: case SYS_shmat: case SYS_shmdt: case SYS_execve:
            sync_maps();
            break;
          default: break;
        }
        if (nr == SYS_rseq && nat.regs.rax == 0 && !(a2 & 1) && a0) kernel_written.push_back({a0, a1});
        sync_writable(false);
        continue;
      }
      if (is_cpuid) {
        // The engine answers; the native side is made to see the same CPU. cpuid is not
        // single-stepped natively: under a hypervisor it is emulated, and on AMD (SVM) the
        // trap flag's debug trap after an emulated cpuid is lost, so the host runs on past
        // the next instruction. cpuid changes nothing but rax-rdx and rip, so the native
        // side just moves past it.
        eng.step();
        nat.get_regs();
        nat.regs.rip = pc + at.in.len;
        nat.regs.rax = eng.cpu.r[gb::RAX];
        nat.regs.rbx = eng.cpu.r[gb::RBX];
        nat.regs.rcx = eng.cpu.r[gb::RCX];
        nat.regs.rdx = eng.cpu.r[gb::RDX];
        nat.set_regs();
        read_native_state();
        compared++;
        if (nat.regs.rip != eng.cpu.rip) {
          if (!report(at, pc, snap(), "  rip after cpuid differs\n")) { rc = 1; break; }
          resync_regs();
        }
        continue;
      }
      if (is_rdtsc || is_xgetbv) {
        const int sig = nat.step();
        if (sig < 0) break;
        read_native_state();
        compared++;
        resync_regs();
        continue;
      }
      const bool is_x87 = p < at.nbytes && b[p] >= 0xd8 && b[p] <= 0xdf;
      if (is_x87 && !opt.x87) {
        if (!adopt_native(at)) break;
        continue;
      }
      const StepOutcome o = step_compare(at);
      if (o == EXITED) break;
      if (o == MISMATCH) { rc = 1; break; }
      if (o == FAULT_BOTH) {
        if (!opt.quiet) printf("both sides fault at %#" PRIx64 " (%s): the program would die of signal %d\n", pc,
                               at.row ? at.row->text : "(bad)", nat.signal);
        break;
      }
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (nat.exited && !opt.quiet) {
      printf("program exited with status %d\n", WIFEXITED(nat.status) ? WEXITSTATUS(nat.status) : 128 + WTERMSIG(nat.status));
    }
    summary("program");
    if (adopted && !opt.quiet) printf("  %" PRIu64 " x87 instructions executed natively only (use --x87 to compare them)\n", adopted);
    if (!opt.quiet) printf("  %.1f s, %.0f instructions/s\n", secs, compared / (secs > 0 ? secs : 1));
    return rc != 0 || mismatches ? 1 : 0;
  }
};

// ---- mode B -------------------------------------------------------------------------------
class RandomMode : public Lockstep {
 public:
  using Lockstep::Lockstep;
  using L = ss::Layout;

  // ---- --record: the run as segments between the comparator's interventions ----
  FILE* rec = nullptr;
  ss::RecSegment seg{};
  bool seg_open = false;
  ss::RecState pre{}, post{};
  std::vector<std::pair<uint64_t, uint64_t>> mem_adopted;
  uint64_t segments = 0;

  void rec_begin(const ss::RecState& start) {
    seg.start = start;
    seg.insns = 0;
    seg_open = true;
  }
  // Ends the open segment at `end_rip` with `expect`; `adopted_from` is what the engine
  // computed before the comparator adopted the host's values (those bits are not compared).
  void rec_cut(uint64_t end_rip, int sig, const ss::RecState& expect, const ss::RecState* adopted_from = nullptr) {
    if (!rec || !seg_open) return;
    seg_open = false;
    if (seg.insns == 0 && sig == 0) return;  // nothing ran: nothing to replay
    seg.expect = expect;
    seg.end_rip = end_rip;
    seg.signal = (uint32_t)sig;
    seg.flag_mask = ~0ull;
    seg.reg_mask = 0xffff;
    seg.fpu_compared = 1;
    if (adopted_from) {
      seg.flag_mask = ~(adopted_from->rflags ^ expect.rflags);
      for (int i = 0; i < 16; i++)
        if (adopted_from->r[i] != expect.r[i]) seg.reg_mask &= (uint16_t)~(1u << i);
      if (adopted_from->fcw != expect.fcw || adopted_from->fsw != expect.fsw || adopted_from->ftw != expect.ftw ||
          adopted_from->top != expect.top || memcmp(adopted_from->st, expect.st, sizeof expect.st) != 0)
        seg.fpu_compared = 0;
    }
    fputc('S', rec);
    fwrite(&seg, sizeof seg, 1, rec);
    segments++;
  }
  void rec_memory() {
    for (const auto& [a, n] : mem_adopted) {
      std::vector<uint8_t> b(n);
      if (!eng.as.copy_in(b.data(), a, n)) continue;
      const uint32_t n32 = (uint32_t)n;
      fputc('M', rec);
      fwrite(&a, 8, 1, rec);
      fwrite(&n32, 4, 1, rec);
      fwrite(b.data(), 1, n, rec);
    }
    mem_adopted.clear();
  }

  bool end_record() {
    fputc('Z', rec);
    const bool ok = fclose(rec) == 0;
    rec = nullptr;
    rec_pre = rec_post = nullptr;
    rec_mem = nullptr;
    if (!ok) fprintf(stderr, "singlestep: cannot write %s\n", opt.record.c_str());
    else printf("recorded %" PRIu64 " segments (%" PRIu64 " instructions) in %s\n", segments, compared, opt.record.c_str());
    return ok;
  }

  int run() {
    if (!opt.record.empty()) {
      rec = fopen(opt.record.c_str(), "wb");
      if (!rec) {
        fprintf(stderr, "singlestep: cannot write %s: %s\n", opt.record.c_str(), strerror(errno));
        return 2;
      }
      fwrite(ss::kRecMagic, 1, sizeof ss::kRecMagic, rec);
      rec_pre = &pre;
      rec_post = &post;
      rec_mem = &mem_adopted;
    }
    const std::vector<ss::Native::Region> regions = {
        {L::CODE, L::CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC},
        {L::DATA, L::DATA_SIZE, PROT_READ | PROT_WRITE},
    };
    if (!nat.spawn_stub(regions)) {
      fprintf(stderr, "singlestep: cannot start the native stub\n");
      return 2;
    }
    eng.as.map(L::CODE, L::CODE_SIZE, gb::PROT_R | gb::PROT_W | gb::PROT_X, true, false, false, nullptr, 0, "code");
    eng.as.map(L::DATA, L::DATA_SIZE, gb::PROT_R | gb::PROT_W, true, false, false, nullptr, 0, "data");
    ss::Gen gen(opt.seed, opt.x87);
    const auto t0 = std::chrono::steady_clock::now();
    uint64_t batches = 0, items = 0;
    int rc = 0;
    std::vector<uint8_t> data(L::DATA_SIZE), code;
    std::unordered_set<uint64_t> starts;
    while (compared < opt.count && rc == 0) {
      // ---- a new batch: code, data, registers ----
      batches++;
      gen.new_batch();
      gen.item_starts.clear();
      code.clear();
      const uint64_t per_batch = 2000;
      for (uint64_t k = 0; k < per_batch && code.size() < L::CODE_SIZE - 4096; k++) {
        gen.item(code, L::CODE + code.size());
        items++;
      }
      starts.clear();
      starts.insert(gen.item_starts.begin(), gen.item_starts.end());
      const uint64_t code_end = L::CODE + code.size();
      for (size_t k = 0; k < data.size(); k += 8) {
        const uint64_t v = gen.value();
        memcpy(&data[k], &v, 8);
      }
      if (!nat.write(L::CODE, code.data(), code.size()) || !nat.write(L::DATA, data.data(), data.size())) {
        fprintf(stderr, "singlestep: cannot write the stub's memory\n");
        return 2;
      }
      eng.as.write_bytes(L::CODE, code.data(), code.size());
      eng.as.write_bytes(L::DATA, data.data(), data.size());

      // Registers: random, the reserved base/index set, rsp in the stack window.
      Cpu& c = eng.cpu;
      for (int i = 0; i < 16; i++) c.r[i] = gen.value();
      c.r[gen.res_base] = gen.base_val;
      c.r[gen.res_index] = gen.index_val;
      c.r[gb::RSP] = L::STACK_MID - gen.below(64);
      c.rip = L::CODE;
      c.set_rflags(0x202 | (gen.rnd() & (gb::FL_ARITH | gb::FL_DF)));
      for (int i = 0; i < 16; i++) {
        for (int q = 0; q < 2; q++) c.xmm[i].q[q] = gen.value();
      }
      c.mxcsr = 0x1f80 | (gen.chance(25) ? (uint32_t)(gen.below(4) << 13) : 0) | (gen.chance(10) ? 0x8040 : 0);
      if (opt.x87) {
        // A random x87 stack (0-8 registers in use, random 80-bit values of every class)
        // and random rounding and precision control, exceptions masked.
        c.fpu.fcw = (uint16_t)(0x007f | (gen.below(4) << 8) | (gen.below(4) << 10));
        c.fpu.fsw = 0;
        c.fpu.top = (uint8_t)gen.below(8);
        c.fpu.ftw = 0xffff;
        const int used = (int)gen.below(9);
        for (int k = 0; k < 8; k++) c.fpu.st[k] = gen.f80();
        for (int k = 0; k < used; k++) c.fpu.ftw &= (uint16_t)~(3u << (2 * ((c.fpu.top + k) & 7)));
      }
      c.fs_base = nat.regs.fs_base;
      c.gs_base = nat.regs.gs_base;
      for (int i = 0; i < 16; i++) nreg(nat.regs, i) = c.r[i];
      nat.regs.rip = c.rip;
      nat.regs.eflags = c.get_rflags();
      fpu_from_engine(c, nat.fp);
      if (!nat.set_regs() || !nat.set_fp() || !read_native_state()) {
        fprintf(stderr, "singlestep: cannot set the stub's registers\n");
        return 2;
      }
      fpu_to_engine(nat.fp, c);  // what the host made of it (e.g. FCW bit 6)
      {
        const std::string d = diff(0);
        if (!d.empty()) {
          fprintf(stderr, "singlestep: initial state did not transfer:\n%s", d.c_str());
          return 2;
        }
      }
      if (rec) {
        const uint64_t n = code.size();
        fputc('B', rec);
        fwrite(&n, 8, 1, rec);
        fwrite(&c.fs_base, 8, 1, rec);
        fwrite(&c.gs_base, 8, 1, rec);
        fwrite(code.data(), 1, n, rec);
        fwrite(data.data(), 1, data.size(), rec);
        mem_adopted.clear();
        rec_begin(ss::state_of(c));
      }

      // ---- run it ----
      uint64_t since_memcheck = 0;
      while (eng.cpu.rip != code_end && compared < opt.count) {
        const uint64_t pc = eng.cpu.rip;
        if (pc < L::CODE || pc >= code_end) break;  // diverged control flow (reported already)
        // Keep rsp inside its window at item boundaries (both sides).
        if (starts.count(pc) && (eng.cpu.r[gb::RSP] < L::STACK_LO || eng.cpu.r[gb::RSP] > L::STACK_HI)) {
          rec_cut(pc, 0, ss::state_of(eng.cpu));
          const uint64_t sp = L::STACK_MID - gen.below(64);
          eng.cpu.r[gb::RSP] = sp;
          nat.regs.rsp = sp;
          nat.set_regs();
          if (rec) rec_begin(ss::state_of(eng.cpu));
        }
        ss::RecState top{};
        if (rec) top = ss::state_of(eng.cpu);
        const At at = look(pc);
        const StepOutcome o = step_compare(at);
        if (o == EXITED) {
          fprintf(stderr, "singlestep: the native stub died\n");
          return 2;
        }
        if (o == MISMATCH) { rc = 1; break; }
        if (rec && !ss::same_state(pre, top)) {
          // The comparator changed the state before the step (x87 exception flags cleared).
          rec_cut(pc, 0, top);
          rec_begin(pre);
        }
        if (rec && o == FAULT_BOTH) {
          const ss::RecState fin = ss::state_of(eng.cpu);
          rec_cut(pc, last_sig, fin, &post);
        } else if (rec) {
          seg.insns++;
          const ss::RecState fin = ss::state_of(eng.cpu);
          if (!ss::same_state(post, fin) || !mem_adopted.empty()) {
            rec_cut(fin.rip, 0, fin, &post);
            rec_memory();
            rec_begin(fin);
          }
        }
        if (o == FAULT_BOTH) {
          // Skip the faulting instruction on both sides.
          const uint64_t next = pc + (at.in.len ? at.in.len : 1);
          eng.cpu.rip = next;
          nat.regs.rip = next;
          nat.set_regs();
          if (rec) rec_begin(ss::state_of(eng.cpu));
        }
        if (eng.cpu.rip != nat.regs.rip) {
          // rip differed and the comparator resynchronised (keep-going).
          eng.cpu.rip = nat.regs.rip;
        }
        if (opt.memcheck_every && ++since_memcheck >= opt.memcheck_every) {
          since_memcheck = 0;
          if (!check_data(at, pc)) { rc = 1; break; }
        }
      }
      if (rc == 0 && !check_data(look(eng.cpu.rip), eng.cpu.rip)) rc = 1;
      if (rec && rc == 0) {
        rec_cut(eng.cpu.rip, 0, ss::state_of(eng.cpu));
        std::vector<uint8_t> host_data(L::DATA_SIZE);
        if (!nat.read(L::DATA, host_data.data(), host_data.size())) return 2;
        fputc('E', rec);
        fwrite(host_data.data(), 1, host_data.size(), rec);
        if (opt.record_max && compared >= opt.record_max && !end_record()) return 2;
      }
    }
    if (rec && !end_record()) return 2;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!opt.quiet) {
      printf("seed %" PRIu64 ": %" PRIu64 " batches, %" PRIu64 " generated items, %.1f s, %.0f instructions/s\n", opt.seed,
             batches, items, secs, compared / (secs > 0 ? secs : 1));
      int used = 0;
      for (int k = 0; k < gb::op_table_size(); k++) used += gen.row_hits[k] > 0;
      printf("rows exercised: %d of %d eligible (%d in the table)\n", used, (int)gen.rows().size(), gb::op_table_size());
      if (gen.rejects) {
        printf("encodings the engine's decoder read as another row or length (skipped): %" PRIu64 "\n", gen.rejects);
        for (const std::string& s : gen.reject_samples) printf("  %s\n", s.c_str());
      }
    }
    summary("random");
    return rc != 0 || mismatches ? 1 : 0;
  }

  void resync_memory() override { copy_mem_to_engine(L::DATA, L::DATA_SIZE); }

  // The whole data buffer (including the stack window) must match.
  bool check_data(const At& at, uint64_t pc) {
    const std::string d = diff_mem(L::DATA, L::DATA_SIZE);
    if (d.empty()) return true;
    const bool go = report(at, pc, snap(), "  data buffer differs (found by the whole-buffer check at the end of a batch or every --memcheck-every N instructions; the instruction above is only where execution stood: rerun with --memcheck-every 1)\n" + d);
    copy_mem_to_engine(L::DATA, L::DATA_SIZE);
    return go;
  }
};

void usage() {
  fprintf(stderr,
          "usage: singlestep [--max N] [--keep-going K] [--x87] [--engine-run] [--trace] [--quiet] -- PROGRAM [ARGS...]\n"
          "       singlestep --random [--seed S] [--count N] [--keep-going K] [--x87] [--memcheck-every N] [--record FILE [--record-max N]]\n");
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  int i = 1;
  for (; i < argc; i++) {
    const std::string a = argv[i];
    auto num = [&](uint64_t& v) {
      if (i + 1 >= argc) { usage(); exit(2); }
      v = strtoull(argv[++i], nullptr, 0);
    };
    if (a == "--") { i++; break; }
    else if (a == "--random") o.random = true;
    else if (a == "--seed") num(o.seed);
    else if (a == "--count") num(o.count);
    else if (a == "--max") num(o.max);
    else if (a == "--keep-going") { uint64_t v; num(v); o.keep_going = (int)v; }
    else if (a == "--x87") o.x87 = true;
    else if (a == "--no-x87") o.x87 = false;
    else if (a == "--engine-run") o.engine_run = true;
    else if (a == "--memcheck-every") num(o.memcheck_every);
    else if (a == "--record-max") num(o.record_max);
    else if (a == "--record") { if (i + 1 >= argc) { usage(); return 2; } o.record = argv[++i]; }
    else if (a == "--trace") o.trace = true;
    else if (a == "--quiet") o.quiet = true;
    else if (a == "--quiet-child") o.quiet_child = true;
    else if (a == "-h" || a == "--help") { usage(); return 0; }
    else if (a[0] == '-') { usage(); return 2; }
    else break;
  }
  for (; i < argc; i++) o.argv.push_back(argv[i]);
  setvbuf(stdout, nullptr, _IOLBF, 0);
  if (o.random) {
    RandomMode m(o);
    return m.run();
  }
  if (o.argv.empty()) {
    usage();
    return 2;
  }
  ProgramMode m(o);
  return m.run();
}
