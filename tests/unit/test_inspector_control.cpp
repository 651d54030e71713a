// tests/unit/test_inspector_control.cpp — the inspector's control of a real kernel
// (vm/linux/debug.h) and its state replies (vm/linux/inspect_state.h) read through the
// state models (inspector/state/): a breakpoint inside a decoded block stops exactly there,
// one step moves rip by one instruction (step over a non-call too), "run to the next system call" stops before the
// `syscall` with rax = its number, a program breakpoint holds in the forked child that
// exec'd the same file, and the run ends normally once resumed. Also: register change
// highlighting, maps parsing, disassembly of garbage and of unmapped memory, ELF symbols,
// DWARF line tables (versions 5 and 4, from gcc's own output; cut and corrupted).
//
// With tests/unit/inspector_prog2.h (gcc -g): source-line breakpoints (and the line rule
// of vm/linux/debug_lines.h), step out of a leaf and of a framed function, a SIGSEGV
// breakpoint before the kill with rip at the faulting store.
//
// The guest program is tests/unit/inspector_prog.h's; its first block:
//   400078 mov rax, [rsp] (4)   40007c cmp rax, 1 (4)   400080 jne child (2)
//   400082 mov eax, 57 (5)      400087 syscall (2)      400089 test eax, eax
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "inspector/state/state_model.h"
#include "vm/fs/tmpfs.h"
#include "vm/linux/debug.h"
#include "vm/linux/inspect_state.h"
#include "vm/linux/kernel.h"
#include "tests/unit/inspector_prog.h"
#include "tests/unit/inspector_prog2.h"
#include "vm/linux/debug_lines.h"
#include "vm/trace/dwarf_lines.h"
#include "vm/trace/elf_symbols.h"

using namespace gb;

namespace {

using testprog::kInspectorProg;

struct Machine {
  std::shared_ptr<FileSystem> root = make_tmpfs();
  std::unique_ptr<Kernel> k;
  Debugger d;
  explicit Machine(const uint8_t* bytes = kInspectorProg, size_t size = sizeof kInspectorProg) {
    InodeRef dir = root->root(), prog;
    REQUIRE(dir->create("prog", LS_IFREG | 0755, prog) == 0);
    REQUIRE(prog->write(0, bytes, size) == (int64_t)size);
    KernelOptions o;
    o.quiet = true;
    k.reset(new Kernel(root, o));
    k->debugger = &d;
    Task* init = k->create_init(100);
    std::string err;
    REQUIRE(init->execve("/prog", {"/prog"}, {}, err) == 0);
    d.target_pid = 100;
  }
  // Runs until the debugger halts or the program ends; true if halted.
  bool run() {
    for (int i = 0; i < 10000; i++) {
      const Kernel::RunResult r = k->run(1000);
      if (d.halted) return true;
      if (r.state == Kernel::RunResult::Done) return false;
      if (r.state == Kernel::RunResult::Idle) k->idle_wait(r.wake_at_ns);
    }
    FAIL("the program neither stopped nor ended");
    return false;
  }
  Task& stopped() { Task* t = k->find_task(d.stop_tid); REQUIRE(t); return *t; }
  gbi::StateModel state(uint64_t mem_addr = 0, uint32_t mem_len = 0) {
    StateRequest q;
    q.mem_addr = mem_addr;
    q.mem_len = mem_len;
    q.blocks = 16;
    std::string reply;
    inspect_state(*k, d, false, q, reply);
    gbi::StateModel m;
    m.apply((const uint8_t*)reply.data(), reply.size());
    return m;
  }
};

}  // namespace

TEST_CASE("control: a breakpoint inside a block, one step, run to a syscall, a child's breakpoint, resume to the end") {
  Machine m;
  m.d.path_breaks.push_back({"/prog", 0x40007c, false});
  REQUIRE(m.run());
  CHECK(m.d.reason == Debugger::Breakpoint);
  CHECK(m.d.stop_pid == 100);
  Task& t = m.stopped();
  CHECK(t.cpu.rip == 0x40007c);
  CHECK(t.cpu.icount == 1);  // mov rax, [rsp] retired, cmp not yet

  // Pausing leaves the machine still: running more does nothing.
  const uint64_t ic = t.cpu.icount;
  m.k->run(1000);
  CHECK(t.cpu.icount == ic);

  // One step: the 4-byte cmp.
  m.d.step(*m.k, t.tid);
  REQUIRE(m.run());
  CHECK(m.d.reason == Debugger::Step);
  CHECK(t.cpu.rip == 0x400080);
  CHECK(t.cpu.icount == ic + 1);

  // Step over a jne (not a call): one step, to the fall-through.
  m.d.step_over(*m.k, t.tid);
  REQUIRE(m.run());
  CHECK(m.d.reason == Debugger::Step);
  CHECK(t.cpu.rip == 0x400082);

  // To the next system call: fork, before it runs.
  m.d.run_to_syscall(*m.k, t.tid);
  REQUIRE(m.run());
  CHECK(m.d.reason == Debugger::Syscall);
  CHECK(t.cpu.rip == 0x400087);
  CHECK(t.cpu.r[RAX] == 57);
  CHECK(m.k->procs.size() == 1);

  // Resume: the parent forks; the child execs /prog and stops at the same breakpoint.
  m.d.resume(*m.k);
  REQUIRE(m.run());
  CHECK(m.d.reason == Debugger::Breakpoint);
  CHECK(m.d.stop_pid != 100);
  CHECK(m.stopped().cpu.rip == 0x40007c);
  CHECK(m.stopped().cmdline.size() == 2);

  // A syscall-number breakpoint holds only in the followed process (the parent):
  // openat (257) stops it; the child's write (1) does not. The path breakpoint stays set:
  // the child resumes past it (its own first instruction is skipped, whichever task runs first).
  m.d.syscall_breaks = {257, 1};
  m.d.resume(*m.k);
  REQUIRE(m.run());
  CHECK(m.d.reason == Debugger::Syscall);
  CHECK(m.d.stop_pid == 100);
  CHECK(m.stopped().cpu.r[RAX] == 257);

  m.d.path_breaks.clear();
  m.d.syscall_breaks.clear();
  m.d.resume(*m.k);
  CHECK_FALSE(m.run());
  CHECK(m.k->init_status == 0);
}

TEST_CASE("control: state replies read by the models (registers, code, maps, memory, blocks)") {
  Machine m;
  m.d.path_breaks.push_back({"/prog", 0x400082, false});
  REQUIRE(m.run());
  gbi::StateModel s = m.state(0x400000, 64);
  CHECK(s.status.halted == 1);
  CHECK(s.status.reason == Debugger::Breakpoint);
  CHECK(s.status.pid == 100);
  REQUIRE(s.regs.have);
  CHECK(s.regs.cur.rip == 0x400082);
  CHECK(s.exe == "/prog");
  // the code window: disassembled from an instruction boundary, rip's line found
  REQUIRE(s.code.rip_line >= 0);
  CHECK(s.code.lines[s.code.rip_line].address == 0x400082);
  CHECK(std::string(s.code.lines[s.code.rip_line].text) == "mov eax, 0x39");
  CHECK(std::string(s.code.lines[s.code.rip_line + 1].text) == "syscall");
  // maps: the program's one segment and the stack
  bool prog = false, stack = false;
  for (const gbi::MapEntry& e : s.maps) {
    if (e.name == "/prog" && e.start <= 0x400078 && e.end > 0x400078) prog = true;
    if (e.name == "[stack]") stack = true;
  }
  CHECK(prog);
  CHECK(stack);
  // memory at the ELF header: readable, "\x7fELF"
  REQUIRE(s.mem.size() == 64);
  CHECK(s.mem_valid[0] == 1);
  CHECK(s.mem[1] == 'E');
  // the decoded blocks: the first one ran once
  REQUIRE(!s.blocks.empty());
  CHECK(s.blocks[0].start == 0x400078);
  CHECK(s.blocks[0].n == 3);

  // Registers changed since the last stop: one step of "mov eax, 57" changes rax and rip only.
  m.d.step(*m.k, m.d.stop_tid);
  REQUIRE(m.run());
  StateRequest q;
  std::string reply;
  inspect_state(*m.k, m.d, false, q, reply);
  s.apply((const uint8_t*)reply.data(), reply.size());
  CHECK(s.regs.cur.rip == 0x400087);
  CHECK(s.regs.changed == ((1u << RAX) | (1u << gbi::kSlotRip)));
  // the same stop fetched again keeps the highlighting
  s.apply((const uint8_t*)reply.data(), reply.size());
  CHECK(s.regs.changed == ((1u << RAX) | (1u << gbi::kSlotRip)));

  // Unmapped memory: shown as unreadable, never a fault.
  std::string r2;
  inspect_memory(*m.k, m.d, 0, 0x10, 32, r2);
  gbi::StateModel s2;
  s2.apply((const uint8_t*)r2.data(), r2.size());
  REQUIRE(s2.mem.size() == 32);
  for (uint8_t v : s2.mem_valid) CHECK(v == 0);
  std::string text;
  s2.to_text(text, "memory");
  CHECK(text.find("?? ??") != std::string::npos);
  CHECK(text.find("(not mapped)") != std::string::npos);

  m.d.path_breaks.clear();
  m.d.resume(*m.k);
  CHECK_FALSE(m.run());
}

TEST_CASE("state models: maps parsing, garbage disassembly, truncated replies, rflags") {
  const char* maps =
      "555555554000-555555555000 r--p 00000000 08:01 1234                       /home/student/hello\n"
      "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]\n"
      "this is not a maps line\n"
      "00400000-00401000 r-xp 00000000 /prog\n"
      "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0\n";
  size_t bad = 0;
  std::vector<gbi::MapEntry> e = gbi::parse_maps(maps, strlen(maps), &bad);
  REQUIRE(e.size() == 4);
  CHECK(bad == 1);
  CHECK(e[0].name == "/home/student/hello");
  CHECK(e[1].name == "[stack]");
  CHECK(std::string(e[1].perms, 4) == "rw-p");
  CHECK(e[2].name == "/prog");
  CHECK(e[3].name == "");
  CHECK(gbi::map_at(e, 0x7ffffffde010) == &e[1]);
  CHECK(gbi::map_at(e, 0x10) == nullptr);

  // garbage: every byte that is no instruction is a one-byte "(bad)" line; rip still found
  gbi::CodeModel c;
  c.base = 0x1000;
  c.bytes = {0x06, 0x07, 0x27, 0x37, 0x90, 0xc3};  // push es, pop es, daa, aaa: not in 64-bit mode
  c.rip = 0x1004;
  c.rebuild(~0ull);
  REQUIRE(c.rip_line == 4);
  CHECK(std::string(c.lines[c.rip_line].text) == "nop");
  for (int i = 0; i < 4; i++) CHECK((c.lines[i].bad && c.lines[i].size == 1));
  c.bytes.clear();
  c.rebuild(~0ull);
  CHECK(c.lines.empty());

  // a reply cut anywhere is read up to the cut, never past it
  Machine m;
  m.d.path_breaks.push_back({"/prog", 0x400078, false});
  REQUIRE(m.run());
  StateRequest q;
  q.blocks = 4;
  std::string reply;
  inspect_state(*m.k, m.d, false, q, reply);
  for (size_t cut = 0; cut < reply.size(); cut += 7) {
    gbi::StateModel s;
    s.apply((const uint8_t*)reply.data(), cut);
  }
  char f[96];
  gbi::rflags_text(0x246, f, sizeof f);
  CHECK(std::string(f) == "PF ZF IF");
}

TEST_CASE("ELF symbols: the unit test binary's own table, and garbage") {
  FILE* fp = fopen("/proc/self/exe", "rb");
  REQUIRE(fp);
  const ElfReader read = [&](uint64_t off, void* dst, size_t n) {
    return fseek(fp, (long)off, SEEK_SET) == 0 && fread(dst, 1, n, fp) == n;
  };
  std::string out, err;
  REQUIRE(elf_symbols(read, out, err));
  fclose(fp);
  gbi::SymbolTable t;
  REQUIRE(t.parse("/x", out.data(), out.size()));
  CHECK((t.elf_type == 2 || t.elf_type == 3));
  const gbi::Symbol* s = t.find("main");
  REQUIRE(s);
  CHECK(t.at(s->value) == s);
  CHECK(t.at(s->value + 1) == s);

  const uint8_t junk[64] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
  const ElfReader rj = [&](uint64_t off, void* dst, size_t n) {
    if (off + n > sizeof junk) return false;
    memcpy(dst, junk + off, n);
    return true;
  };
  std::string o2, e2;
  CHECK_FALSE(elf_symbols(rj, o2, e2));  // machine 0: not x86-64
  CHECK(!e2.empty());
  const ElfReader none = [](uint64_t, void*, size_t) { return false; };
  CHECK_FALSE(elf_symbols(none, o2, e2));
}

// The .debug_line (and .debug_line_str) that gcc 12 wrote for
//   1 int v;   2 void _start(void) {   3 v = 1;   4 v = 2;   5 for (;;) {}   6 }
// (gcc -g -gdwarf-5 / -gdwarf-4 -O0 -nostdlib -static, in /tmp/x: _start at 0x401000),
// wrapped by make_elf() in a minimal ELF with just those sections.
namespace {
const uint8_t kLine5[] = {
    0x50, 0x00, 0x00, 0x00, 0x05, 0x00, 0x08, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01, 0xfb, 0x0e, 0x0d, 0x00, 0x01, 0x01,
    0x01, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x01, 0x01, 0x1f, 0x01, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x1f, 0x02,
    0x0f, 0x02, 0x07, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x05, 0x13, 0x00, 0x09, 0x02, 0x00, 0x10, 0x40, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x13, 0x05, 0x05, 0x4b, 0x9f, 0x05, 0x03, 0x00, 0x02, 0x04, 0x01, 0x9f, 0x02, 0x02, 0x00, 0x01, 0x01};
const uint8_t kLineStr5[] = {0x2f, 0x74, 0x6d, 0x70, 0x2f, 0x78, 0x00, 0x74, 0x2e, 0x63, 0x00};
const uint8_t kLine4[] = {
    0x3f, 0x00, 0x00, 0x00, 0x04, 0x00, 0x1b, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01, 0xfb, 0x0e, 0x0d, 0x00, 0x01, 0x01, 0x01, 0x01,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x74, 0x2e, 0x63, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x13, 0x00, 0x09, 0x02,
    0x00, 0x10, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x13, 0x05, 0x05, 0x4b, 0x9f, 0x05, 0x03, 0x00, 0x02, 0x04, 0x01, 0x9f, 0x02,
    0x02, 0x00, 0x01, 0x01};

// ELF header + .shstrtab + .debug_line (+ .debug_line_str) + section headers.
std::vector<uint8_t> make_elf(const uint8_t* line, size_t nline, const uint8_t* lstr, size_t nlstr) {
  const char names[] = "\0.shstrtab\0.debug_line\0.debug_line_str";
  std::vector<uint8_t> f(64, 0);
  memcpy(f.data(), "\x7f" "ELF\x02\x01\x01", 7);
  auto add = [&](const void* p, size_t n) { const size_t at = f.size(); f.insert(f.end(), (const uint8_t*)p, (const uint8_t*)p + n); return at; };
  const size_t o_names = add(names, sizeof names), o_line = add(line, nline), o_lstr = add(lstr, nlstr);
  while (f.size() % 8) f.push_back(0);
  const size_t shoff = f.size();
  auto sh = [&](uint32_t name, size_t off, size_t size) {
    uint8_t s[64] = {};
    memcpy(s, &name, 4);
    const uint64_t o = off, z = size;
    memcpy(s + 24, &o, 8);
    memcpy(s + 32, &z, 8);
    add(s, 64);
  };
  sh(0, 0, 0);
  sh(1, o_names, sizeof names);
  sh(11, o_line, nline);
  sh(23, o_lstr, nlstr);
  const uint64_t so = shoff;
  const uint16_t v[5] = {62, 64, 4, 1};
  memcpy(&f[18], &v[0], 2);           // e_machine
  memcpy(&f[40], &so, 8);             // e_shoff
  memcpy(&f[58], &v[1], 2);           // e_shentsize
  memcpy(&f[60], &v[2], 2);           // e_shnum
  memcpy(&f[62], &v[3], 2);           // e_shstrndx
  return f;
}

std::string lines_of(const std::vector<uint8_t>& f, size_t cut = ~(size_t)0) {
  const ElfReader read = [&](uint64_t off, void* dst, size_t n) {
    if (off + n > std::min(f.size(), cut)) return false;
    memcpy(dst, f.data() + off, n);
    return true;
  };
  std::string out, err;
  dwarf_lines(read, out, err);
  return out;
}
}  // namespace

TEST_CASE("DWARF line tables (versions 5 and 4): address -> source line; cut or corrupt tables never crash") {
  for (int version : {5, 4}) {
    CAPTURE(version);
    const std::vector<uint8_t> f = version == 5 ? make_elf(kLine5, sizeof kLine5, kLineStr5, sizeof kLineStr5)
                                                : make_elf(kLine4, sizeof kLine4, nullptr, 0);
    const std::string text = lines_of(f);
    gbi::SymbolTable t;
    t.syms.push_back({0x401000, 0x1a, "_start"});
    t.parse_lines(text.data(), text.size());
    REQUIRE(t.lines.size() == 4);
    char src[64];
    REQUIRE(t.source_line(0x401000, src, sizeof src));
    CHECK(std::string(src) == "t.c:2");
    REQUIRE(t.source_line(0x401008, src, sizeof src));  // inside line 3's instructions
    CHECK(std::string(src) == "t.c:3");
    REQUIRE(t.source_line(0x40100e, src, sizeof src));
    CHECK(std::string(src) == "t.c:4");
    REQUIRE(t.source_line(0x401019, src, sizeof src));
    CHECK(std::string(src) == "t.c:5");
    CHECK_FALSE(t.source_line(0x400fff, src, sizeof src));
    CHECK_FALSE(t.source_line(0x401100, src, sizeof src));  // past _start: no function, no line
    // every prefix of the file and every corrupted byte of the table: some answer, no crash
    for (size_t cut = 0; cut < f.size(); cut++) lines_of(f, cut);
    for (size_t i = 64; i < 64 + sizeof kLine5 && i < f.size(); i++) {
      std::vector<uint8_t> g = f;
      g[i] ^= 0xff;
      lines_of(g);
    }
  }
}

// [SECTION] line breakpoints, step out, signal breakpoints (inspector_prog2.h)

TEST_CASE("control: line table rule: a line without code moves to the next, a line in two rows stops once") {
  Machine m(testprog::kInspectorProg2, sizeof testprog::kInspectorProg2);
  std::string lines;
  bool pie = true;
  REQUIRE(program_lines(*m.k, "/prog", lines, pie));
  CHECK_FALSE(pie);
  uint32_t used = 0;
  CHECK(line_addresses(lines, "prog2.c", 7, &used) == std::vector<uint64_t>{0x4000da});  // not 4000e3 too
  CHECK(used == 7);
  CHECK(line_addresses(lines, "prog2.c", 2, &used) == std::vector<uint64_t>{0x4000bc});  // `long r;` -> line 3
  CHECK(used == 3);
  CHECK(line_addresses(lines, "prog2.c", 11) == std::vector<uint64_t>{0x400100});
  CHECK(line_addresses(lines, "prog2.c", 99, &used).empty());
  CHECK(used == 0);
  CHECK(line_addresses(lines, "other.c", 7).empty());
  CHECK(line_addresses(lines, "/nowhere/prog2.c", 7).empty());
  CHECK(line_addresses("garbage\nfile x\n12 zz\n", "prog2.c", 1).empty());
  CHECK_FALSE(program_lines(*m.k, "/nope", lines, pie));
}

TEST_CASE("control: a line breakpoint set before the program runs, step out of a leaf and of its caller") {
  Machine m(testprog::kInspectorProg2, sizeof testprog::kInspectorProg2);
  m.d.line_breaks.push_back({"/prog", "prog2.c", 7});  // leaf's `return x * 3 + 1;`
  REQUIRE(m.run());
  CHECK(m.d.reason == Debugger::Breakpoint);
  Task& t = m.stopped();
  CHECK(t.cpu.rip == 0x4000da);
  CHECK(t.cpu.r[RDI] == 2);  // leaf(2), the first call
  // Step out of the leaf (no frame of its own below rbp's push): back in twice after the first call.
  const uint64_t rsp_in_leaf = t.cpu.r[RSP];
  m.d.step_out(*m.k, t.tid);
  REQUIRE(m.run());
  CHECK(m.d.reason == Debugger::Step);
  CHECK(t.cpu.rip == 0x4000fd);
  CHECK(t.cpu.r[RAX] == 7);
  CHECK(t.cpu.r[RSP] == rsp_in_leaf + 16);  // rbp's slot and the return address popped
  // The second leaf(7) hits the breakpoint again; step out to twice, then out of twice.
  m.d.resume(*m.k);
  REQUIRE(m.run());
  CHECK(t.cpu.rip == 0x4000da);
  CHECK(t.cpu.r[RDI] == 7);
  m.d.line_breaks.clear();
  m.d.breakpoints_changed();
  m.d.step_out(*m.k, t.tid);
  REQUIRE(m.run());
  CHECK(t.cpu.rip == 0x40010a);  // leaf -> twice
  m.d.step_out(*m.k, t.tid);
  REQUIRE(m.run());
  CHECK(t.cpu.rip == 0x400123);  // twice -> _start
  CHECK(t.cpu.r[RAX] == 29);
  m.d.resume(*m.k);
  CHECK_FALSE(m.run());  // the store faults: no signal breakpoint, killed by SIGSEGV
}

TEST_CASE("control: a line breakpoint without a program holds in the program whose line table has that line") {
  // "prog2.c:7" typed in the break box at the shell's prompt names no program: the engine
  // reads each program's line table when it runs and applies it where the file has code.
  Machine m(testprog::kInspectorProg2, sizeof testprog::kInspectorProg2);
  m.d.line_breaks.push_back({"", "prog2.c", 7});
  m.d.breakpoints_changed();
  REQUIRE(m.run());
  CHECK(m.d.reason == Debugger::Breakpoint);
  CHECK(m.stopped().cpu.rip == 0x4000da);
  // A file the program was not built from: nothing stops it (the store kills it at the end).
  Machine m2(testprog::kInspectorProg2, sizeof testprog::kInspectorProg2);
  m2.d.line_breaks.push_back({"", "other.c", 7});
  m2.d.breakpoints_changed();
  CHECK_FALSE(m2.run());
}

TEST_CASE("control: step out from a function's first instruction; a line breakpoint set while it runs") {
  Machine m(testprog::kInspectorProg2, sizeof testprog::kInspectorProg2);
  m.d.path_breaks.push_back({"/prog", 0x4000e8, false});  // twice, before push rbp
  REQUIRE(m.run());
  Task& t = m.stopped();
  CHECK(t.cpu.rip == 0x4000e8);
  // A line breakpoint added now (the program already runs) is resolved on the next run.
  m.d.path_breaks.clear();
  m.d.line_breaks.push_back({"/prog", "prog2.c", 11});
  m.d.breakpoints_changed();
  m.d.resume(*m.k);
  REQUIRE(m.run());
  CHECK(t.cpu.rip == 0x400100);
  m.d.line_breaks.clear();
  m.d.breakpoints_changed();
  // Step out of twice before its second call: leaf's ret (a deeper slot) does not stop it.
  m.d.step_out(*m.k, t.tid);
  REQUIRE(m.run());
  CHECK(t.cpu.rip == 0x400123);
  CHECK(t.cpu.r[RAX] == 29);
  // From _start's call site: step (into twice) then step out at its first instruction.
  Machine m2(testprog::kInspectorProg2, sizeof testprog::kInspectorProg2);
  m2.d.path_breaks.push_back({"/prog", 0x40011e, false});
  REQUIRE(m2.run());
  Task& t2 = m2.stopped();
  m2.d.step(*m2.k, t2.tid);
  REQUIRE(m2.run());
  CHECK(t2.cpu.rip == 0x4000e8);
  m2.d.path_breaks.clear();
  m2.d.step_out(*m2.k, t2.tid);
  REQUIRE(m2.run());
  CHECK(m2.d.reason == Debugger::Step);
  CHECK(t2.cpu.rip == 0x400123);
}

TEST_CASE("control: a SIGSEGV breakpoint stops before the kill, rip at the faulting store; resumed, it is killed") {
  Machine m(testprog::kInspectorProg2, sizeof testprog::kInspectorProg2);
  m.d.signal_breaks.push_back(11);
  REQUIRE(m.run());
  CHECK(m.d.reason == Debugger::Signal);
  CHECK(m.d.stop_signal == 11);
  Task& t = m.stopped();
  CHECK(t.cpu.rip == 0x40012e);  // mov [rdx], eax with rdx = 0
  CHECK(t.cpu.r[RDX] == 0);
  CHECK_FALSE(t.exited);
  // The state reply says why: reason Signal, the signal in bits 8-15.
  gbi::StateModel s = m.state();
  CHECK((s.status.reason & 0xff) == Debugger::Signal);
  CHECK((s.status.reason >> 8) == 11);
  // Halted: nothing runs.
  const uint64_t ic = t.cpu.icount;
  m.k->run(1000);
  CHECK(t.cpu.icount == ic);
  // Resumed: the store faults again and the signal goes through (no second stop).
  m.d.resume(*m.k);
  CHECK_FALSE(m.run());
  CHECK((m.k->init_status & 0x7f) == 11);  // killed by SIGSEGV (wait status: the signal, 0x80 core)
}

TEST_CASE("control: a signal breakpoint holds only for the followed process and only for listed signals") {
  Machine m(testprog::kInspectorProg2, sizeof testprog::kInspectorProg2);
  m.d.signal_breaks.push_back(10);  // SIGUSR1: not raised
  CHECK_FALSE(m.run());
  Machine m2(testprog::kInspectorProg2, sizeof testprog::kInspectorProg2);
  m2.d.signal_breaks.push_back(11);
  m2.d.target_pid = 4242;  // another process is followed
  CHECK_FALSE(m2.run());
}

TEST_CASE("control: the state model names where it stopped, a line's start and its instructions, line and signal breakpoints as requests") {
  Machine m(testprog::kInspectorProg2, sizeof testprog::kInspectorProg2);
  m.d.line_breaks.push_back({"/prog", "prog2.c", 7});
  REQUIRE(m.run());
  gbi::StateModel s = m.state();
  std::string reply;
  inspect_symbols(*m.k, "/prog", reply);
  s.apply((const uint8_t*)reply.data(), reply.size());
  std::string func, file;
  uint32_t line = 0;
  REQUIRE(s.where(func, file, line));
  CHECK(func == "leaf");
  CHECK(file.size() >= 7);
  CHECK(file.compare(file.size() - 7, 7, "prog2.c") == 0);
  CHECK(line == 7);
  // the editor's view of a line: the engine's rule, and the run of rows of that line
  uint32_t used = 0;
  CHECK(s.line_addresses("prog2.c", 2, &used) == std::vector<uint64_t>{0x4000bc});
  CHECK(used == 3);
  std::string req;
  REQUIRE(s.line_view_request("prog2.c", 7, req));
  CHECK(req.find("\"addr\":\"0x4000da\"") != std::string::npos);
  CHECK(req.find("\"len\":12") != std::string::npos);  // 4000da..4000e6 (two rows of line 7)
  CHECK(s.line_view_label == "prog2.c:7");
  CHECK_FALSE(s.line_view_request("prog2.c", 99, req));
  std::string mem;
  inspect_memory(*m.k, m.d, 0, 0x4000da, 12, mem);
  s.apply((const uint8_t*)mem.data(), mem.size(), 2);
  REQUIRE(s.line_view.size() == 5);
  CHECK(std::string(s.line_view[0].text) == "mov edx, dword ptr [rbp - 4]");
  CHECK(std::string(s.line_view[4].text) == "add eax, 1");
  // breakpoints typed in the Code panel: a source line (no symbols needed) and a signal
  std::string err;
  s.commands.clear();
  REQUIRE(s.add_break("prog2.c:11", "/prog", err));
  REQUIRE(s.add_break("SIGSEGV", "", err));
  REQUIRE_FALSE(s.add_break("prog2.c:x", "/prog", err));
  REQUIRE(s.commands.size() == 2);
  CHECK(s.commands[1].find("\"lines\":[{\"path\":\"/prog\",\"file\":\"prog2.c\",\"line\":11}]") != std::string::npos);
  CHECK(s.commands[1].find("\"signals\":[\"SIGSEGV\"]") != std::string::npos);
  CHECK_FALSE(s.toggle_line_break("/prog", "prog2.c", 11));  // removed
  CHECK(s.line_breaks.empty());
  std::string j;
  s.to_json(j, "status");
  CHECK(j.find("\"where\":{\"func\":\"leaf\"") != std::string::npos);
}
