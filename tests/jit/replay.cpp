// tests/jit/replay.cpp — replays a recording of the cpu-diff suite's random instruction
// streams (singlestep --random --record FILE; format and terms in tests/tools/ss_record.h)
// through the engine's run loop, and checks that every segment ends where, how and in the
// state the host CPU (checked by the comparator) ended it. Built for node
// (build-wasm/jit_replay.js), where `--jit always` compiles every block at its first run,
// so the recorded host states are checked against compiled code; natively (build/jit_replay)
// the same file runs through the interpreter, which checks the recording itself.
//
//   jit_replay [--jit off|on|always] [--keep-going N] [--verbose] FILE
//
// How a segment runs: its start state goes into the CPU, a `hlt` (privileged: a #GP, i.e.
// SIGSEGV, with rip on it) is written at its end address unless it ends with a fault of
// its own, and run() goes until a fault. The write into a page holding compiled code
// invalidates it, as any self-modifying guest's would (so every segment also exercises
// invalidation); the byte is put back afterwards. Checked: the signal, rip, the number of
// instructions retired, the GPRs and rflags (minus what the comparator adopted there),
// xmm0-15, mxcsr and the x87 state; at a batch's end, the whole data buffer against the
// host's. Prints the failures (up to --keep-going N, default 3; every batch with
// --verbose), a summary and "N passed, N failed" (batches) last; exit 1 on any failure, 2
// on a bad file.
#include <csignal>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tests/tools/ss_gen.h"
#include "tests/tools/ss_record.h"
#include "vm/cpu/cpu.h"
#include "vm/cpu/interp.h"
#include "vm/jit/jit.h"
#include "vm/mem/address_space.h"

namespace {

using L = ss::Layout;

class ReplayHost : public gb::CpuHost {
 public:
  bool illegal = false;
  void syscall(gb::Cpu&) override { illegal = true; }  // never generated: treated as a failure
  uint64_t rdtsc() override { return 0; }
  void illegal_instruction(gb::Cpu&, uint64_t, const uint8_t*, int) override { illegal = true; }
};

// The differences between the engine's state and the expected one, as text ("" = none).
std::string differences(const ss::RecState& got, const ss::RecSegment& s) {
  const ss::RecState& want = s.expect;
  std::string d;
  char line[200];
  for (int i = 0; i < 16; i++) {
    if ((s.reg_mask >> i & 1) && got.r[i] != want.r[i]) {
      snprintf(line, sizeof line, "  %-6s got %016" PRIx64 "  want %016" PRIx64 "\n", ss::kRegName[i], got.r[i], want.r[i]);
      d += line;
    }
  }
  const uint64_t fm = s.flag_mask & (gb::FL_ARITH | gb::FL_DF);
  if ((got.rflags & fm) != (want.rflags & fm)) {
    snprintf(line, sizeof line, "  rflags got %#" PRIx64 "  want %#" PRIx64 " (compared bits %#" PRIx64 ")\n", got.rflags,
             want.rflags, fm);
    d += line;
  }
  for (int i = 0; i < 16; i++) {
    if (memcmp(got.xmm[i], want.xmm[i], 16) != 0) {
      uint64_t g[2], w[2];
      memcpy(g, got.xmm[i], 16);
      memcpy(w, want.xmm[i], 16);
      snprintf(line, sizeof line, "  xmm%-3d got %016" PRIx64 "_%016" PRIx64 "  want %016" PRIx64 "_%016" PRIx64 "\n", i, g[1],
               g[0], w[1], w[0]);
      d += line;
    }
  }
  if (got.mxcsr != want.mxcsr) {
    snprintf(line, sizeof line, "  mxcsr  got %#x  want %#x\n", got.mxcsr, want.mxcsr);
    d += line;
  }
  if (s.fpu_compared && (got.fcw != want.fcw || got.fsw != want.fsw || got.ftw != want.ftw || got.top != want.top ||
                         memcmp(got.st, want.st, sizeof got.st) != 0)) {
    snprintf(line, sizeof line, "  x87    got fcw %04x fsw %04x ftw %04x top %d  want fcw %04x fsw %04x ftw %04x top %d%s\n",
             got.fcw, got.fsw, got.ftw, got.top, want.fcw, want.fsw, want.ftw, want.top,
             memcmp(got.st, want.st, sizeof got.st) ? " (registers differ)" : "");
    d += line;
  }
  return d;
}

std::string hex_at(gb::AddressSpace& as, uint64_t a, int n) {
  std::string s;
  char b[4];
  for (int k = 0; k < n; k++) {
    const uint8_t* p = as.host_read_ptr(a + k);
    if (!p) break;
    snprintf(b, sizeof b, "%s%02x", k ? " " : "", *p);
    s += b;
  }
  return s;
}

class Reader {
 public:
  explicit Reader(FILE* f) : f_(f) {}
  bool bytes(void* p, size_t n) { return fread(p, 1, n, f_) == n; }
  template <class T>
  bool get(T& v) { return bytes(&v, sizeof v); }
 private:
  FILE* f_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string mode_name = "always", path;
  int keep_going = 3;
  bool verbose = false;
  for (int i = 1; i < argc; i++) {
    const std::string a = argv[i];
    if (a == "--jit" && i + 1 < argc) mode_name = argv[++i];
    else if (a == "--keep-going" && i + 1 < argc) keep_going = atoi(argv[++i]);
    else if (a == "--verbose") verbose = true;
    else if (a[0] != '-' && path.empty()) path = a;
    else {
      fprintf(stderr, "usage: jit_replay [--jit off|on|always] [--keep-going N] [--verbose] FILE\n");
      return 2;
    }
  }
  if (path.empty()) {
    fprintf(stderr, "usage: jit_replay [--jit off|on|always] [--keep-going N] [--verbose] FILE\n");
    return 2;
  }
  gb::jit::Mode mode;
  if (!gb::jit::parse_mode(mode_name, mode)) {
    fprintf(stderr, "jit_replay: --jit takes off, on or always\n");
    return 2;
  }
  if (mode != gb::jit::Mode::Off && !gb::jit::available()) {
    printf("jit_replay: this build has no JIT: replaying with the interpreter\n");
    mode = gb::jit::Mode::Off;
  }
  gb::jit::configure(mode);
  setvbuf(stdout, nullptr, _IOLBF, 0);

  FILE* f = fopen(path.c_str(), "rb");
  if (!f) {
    fprintf(stderr, "jit_replay: cannot open %s: %s\n", path.c_str(), strerror(errno));
    return 2;
  }
  Reader in(f);
  char magic[8];
  if (!in.bytes(magic, 8) || memcmp(magic, ss::kRecMagic, 8) != 0) {
    fprintf(stderr, "jit_replay: %s is not a recording (singlestep --random --record)\n", path.c_str());
    return 2;
  }

  gb::AddressSpace as;
  gb::Cpu cpu;
  ReplayHost host;
  gb::BlockCache bc;
  cpu.mem = &as;
  cpu.host = &host;
  as.set_code_watcher([&bc](uint64_t page) { bc.invalidate_page(page); });
  as.map(L::CODE, L::CODE_SIZE, gb::PROT_R | gb::PROT_W | gb::PROT_X, true, false, false, nullptr, 0, "code");
  as.map(L::DATA, L::DATA_SIZE, gb::PROT_R | gb::PROT_W, true, false, false, nullptr, 0, "data");

  const uint8_t kHlt = 0xf4;
  int passed = 0, failed = 0, reported = 0;
  uint64_t batch = 0, segments = 0, insns = 0, faults = 0;
  bool batch_ok = true;
  uint64_t batch_segments = 0, batch_insns = 0;
  std::vector<uint8_t> code, data(L::DATA_SIZE), got(L::DATA_SIZE);
  auto fail = [&](const char* what, uint64_t k, const ss::RecSegment* s, const std::string& detail) {
    batch_ok = false;
    if (reported++ >= keep_going) return;
    printf("  batch %" PRIu64 " segment %" PRIu64 ": %s\n", batch, k, what);
    if (s) {
      printf("    from %#" PRIx64 " to %#" PRIx64 " (%" PRIu64 " instructions, signal %u); at the end: %s\n", s->start.rip,
             s->end_rip, s->insns, s->signal, hex_at(as, s->end_rip, 8).c_str());
    }
    if (!detail.empty()) printf("%s", detail.c_str());
  };

  for (;;) {
    int tag = fgetc(f);
    if (tag == 'Z') break;
    if (tag == 'B') {
      uint64_t n = 0, fs = 0, gs = 0;
      if (!in.get(n) || !in.get(fs) || !in.get(gs) || n > L::CODE_SIZE - 4096) goto bad;
      code.resize(n);
      if (!in.bytes(code.data(), n) || !in.bytes(data.data(), data.size())) goto bad;
      batch++;
      batch_ok = true;
      batch_segments = batch_insns = 0;
      as.write_bytes(L::CODE, code.data(), n);
      as.write_bytes(L::CODE + n, &kHlt, 1);
      as.write_bytes(L::DATA, data.data(), data.size());
      cpu.fs_base = fs;
      cpu.gs_base = gs;
    } else if (tag == 'S') {
      ss::RecSegment s;
      if (!in.get(s)) goto bad;
      const uint64_t k = batch_segments++;
      segments++;
      ss::apply_state(s.start, cpu);
      uint8_t saved = 0;
      const bool patch = s.signal == 0;
      if (patch) {
        as.copy_in(&saved, s.end_rip, 1);
        as.write_bytes(s.end_rip, &kHlt, 1);
      }
      const uint64_t ic0 = cpu.icount;
      gb::CpuException ex;
      host.illegal = false;
      for (;;) {
        ex = gb::run(cpu, bc, 1u << 20);
        if (ex.kind != gb::CpuException::NONE || host.illegal) break;
        if (cpu.icount - ic0 > s.insns + 1000000) break;  // ran away: reported below
      }
      const uint64_t ran = cpu.icount - ic0;
      batch_insns += ran;
      insns += ran;
      const int want_sig = s.signal ? (int)s.signal : SIGSEGV;
      const int got_sig = ss::signal_of(ex, host.illegal);
      if (s.signal) faults++;
      // The engine counts an undefined instruction as run (its handler ran and raised
      // SIGILL, as a kernel would count the trap); the host's count does not.
      const uint64_t counted = s.insns + (got_sig == SIGILL ? 1 : 0);
      if (got_sig != want_sig || cpu.rip != s.end_rip || ran != counted) {
        char b[300];
        snprintf(b, sizeof b, "    stopped at %#" PRIx64 " with signal %d after %" PRIu64 " instructions\n", cpu.rip, got_sig, ran);
        fail("did not end where the host's did", k, &s, b);
      } else {
        const std::string d = differences(ss::state_of(cpu), s);
        if (!d.empty()) fail("state differs from the host's", k, &s, d);
      }
      if (patch) as.write_bytes(s.end_rip, &saved, 1);
    } else if (tag == 'M') {
      uint64_t a = 0;
      uint32_t n = 0;
      if (!in.get(a) || !in.get(n) || n > L::DATA_SIZE) goto bad;
      std::vector<uint8_t> b(n);
      if (!in.bytes(b.data(), n)) goto bad;
      as.write_bytes(a, b.data(), n);
    } else if (tag == 'E') {
      if (!in.bytes(data.data(), data.size())) goto bad;
      if (!as.copy_in(got.data(), L::DATA, got.size())) goto bad;
      for (size_t k = 0; k < data.size(); k++) {
        if (data[k] != got[k]) {
          char b[200];
          snprintf(b, sizeof b, "    first at %#" PRIx64 ": got %02x, host %02x\n", (uint64_t)(L::DATA + k), got[k], data[k]);
          fail("data buffer differs from the host's at the batch's end", batch_segments, nullptr, b);
          break;
        }
      }
      if (!batch_ok || verbose)
        printf("%s batch %" PRIu64 ": %" PRIu64 " segments, %" PRIu64 " instructions\n", batch_ok ? "PASS" : "FAIL", batch,
               batch_segments, batch_insns);
      (batch_ok ? passed : failed)++;
    } else {
      goto bad;
    }
  }
  fclose(f);
  {
    const gb::jit::CacheUse cu = gb::jit::cache_use();
    printf("%" PRIu64 " instructions replayed in %" PRIu64 " segments (%" PRIu64 " ending in a fault) with --jit %s; code cache peak %" PRIu64
           " KiB, %" PRIu64 " regions evicted\n",
           insns, segments, faults, mode == gb::jit::Mode::Off ? "off" : mode_name.c_str(), cu.peak_bytes >> 10, cu.evicted);
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
bad:
  fprintf(stderr, "jit_replay: %s: truncated or corrupt recording (batch %" PRIu64 ")\n", path.c_str(), batch);
  printf("%d passed, %d failed\n", passed, failed + 1);
  return 2;
}
