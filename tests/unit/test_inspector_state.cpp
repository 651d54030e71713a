// tests/unit/test_inspector_state.cpp — the state model's JIT region view and its one
// breakpoint list (inspector/state/):
//  * a Region section (vm/linux/inspect_state.cpp put_region) of a region the JIT's
//    compiler made from tests/jit/cases/loop.hex reads back as x86 (Capstone) next to the
//    wasm made from each instruction; a region request answered by an Error says why;
//    the blocks' JIT flags and the Regions section reach the JSON and text views;
//  * breakpoints typed in the break box show as the editor's dots (break_lines, by the
//    line rule's file matching), a gutter click removes them whichever way they were set;
//  * a new machine (gbi_reset) keeps them and queues them for the new engine; symbol
//    breakpoints follow their symbol when the rebuilt program's symbols arrive.
#include <doctest/doctest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "inspector/state/state_model.h"
#include "tests/unit/inspector_prog2.h"
#include "vm/cpu/cpu.h"
#include "vm/cpu/interp.h"
#include "vm/fs/tmpfs.h"
#include "vm/jit/compiler.h"
#include "vm/jit/jit.h"
#include "vm/linux/debug.h"
#include "vm/linux/inspect_state.h"
#include "vm/linux/kernel.h"
#include "vm/mem/address_space.h"

using namespace gb;

namespace {

// tests/jit/cases/loop.hex: mov ecx, 10; 1: add rax, rcx; sub ecx, 1; jnz 1b; int3
const uint8_t kLoop[] = {0xb9, 0x0a, 0x00, 0x00, 0x00, 0x48, 0x01, 0xc8, 0x83, 0xe9, 0x01, 0x75, 0xf8, 0xcc};
constexpr uint64_t kCode = 0x10000000;

// The region the JIT would form from kCode once the loop ran (its blocks decoded), as
// describe_region returns it: blocks, bytes, a module and the listing.
jit::RegionInfo loop_region(AddressSpace& as, BlockCache& bc) {
  as.set_code_watcher([&bc](uint64_t page) { bc.invalidate_page(page); });
  REQUIRE(as.map(kCode, PAGE, PROT_R | PROT_W | PROT_X, true, false, false, nullptr, 0, "code") == (int64_t)kCode);
  as.write_bytes(kCode, kLoop, sizeof kLoop);
  for (uint64_t a : {kCode, kCode + 5, kCode + 13}) REQUIRE(bc.get(as, a) != nullptr);
  const Block* entry = bc.find(kCode);
  REQUIRE(entry);
  const std::vector<const Block*> blocks = jit::form_region(bc, *entry);
  REQUIRE(blocks.size() == 3);
  jit::Abi abi = jit::host_layout();
  abi.bytes = [](uint64_t, uint32_t) { return std::string("..."); };
  const jit::Compiled c = jit::compile_region(blocks, abi, true);
  jit::RegionInfo r;
  r.start = kCode;
  r.end = blocks.back()->end;
  r.insns = c.insns;
  r.table_index = 77;
  for (const Block* b : blocks) {
    r.block_starts.push_back(b->start);
    r.block_ends.push_back(b->end);
    const size_t at = r.x86.size();
    r.x86.resize(at + (b->end - b->start));
    REQUIRE(as.copy_in(r.x86.data() + at, b->start, (uint32_t)(b->end - b->start)));
  }
  r.wasm = c.wasm;
  r.listing = c.listing;
  return r;
}

struct Machine2 {
  std::shared_ptr<FileSystem> root = make_tmpfs();
  std::unique_ptr<Kernel> k;
  Debugger d;
  Machine2() {
    InodeRef dir = root->root(), prog;
    REQUIRE(dir->create("prog", LS_IFREG | 0755, prog) == 0);
    REQUIRE(prog->write(0, testprog::kInspectorProg2, sizeof testprog::kInspectorProg2) ==
            (int64_t)sizeof testprog::kInspectorProg2);
    KernelOptions o;
    o.quiet = true;
    k.reset(new Kernel(root, o));
    k->debugger = &d;
    Task* init = k->create_init(100);
    std::string err;
    REQUIRE(init->execve("/prog", {"/prog"}, {}, err) == 0);
    d.target_pid = 100;
  }
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
  void apply(gbi::StateModel& s, const std::string& reply, int purpose = 0) {
    s.apply((const uint8_t*)reply.data(), reply.size(), purpose);
  }
};

}  // namespace

TEST_CASE("inspector JIT panel: a compiled region's x86 next to its wasm; a block not compiled says why") {
  AddressSpace as;
  BlockCache bc;
  Counters counted;
  bc.counters = &counted;
  const jit::RegionInfo r = loop_region(as, bc);
  std::string reply;
  put_region(r, reply);
  gbi::StateModel s;
  s.apply((const uint8_t*)reply.data(), reply.size(), 3);
  const gbi::RegionModel& m = s.region;
  REQUIRE(m.have);
  CHECK(m.start == kCode);
  CHECK(m.end == kCode + 14);
  CHECK(m.table_index == 77);
  CHECK(m.block_starts == std::vector<uint64_t>{kCode, kCode + 5, kCode + 13});
  CHECK(m.wasm.size() == r.wasm.size());
  CHECK(m.wasm_lines > 100);
  // rows: the prologue, then per block its header and one row per x86 instruction; the
  // loop body (a block of its own too) appears in blocks 0 and 1
  REQUIRE(m.rows.size() == 1 + 3 + 8);
  CHECK(m.rows[0].kind == gbi::RegionRow::Prologue);
  CHECK(m.rows[1].kind == gbi::RegionRow::Block);
  CHECK(m.rows[1].x86.find("block 0: 10000000..1000000d") == 0);
  CHECK(m.rows[1].block == 0);
  CHECK(m.rows[1].n == 4);
  CHECK(m.rows[2].kind == gbi::RegionRow::Insn);
  CHECK(m.rows[2].addr == kCode);
  CHECK(m.rows[2].x86 == "mov ecx, 0xa");
  CHECK(m.rows[3].addr == kCode + 5);
  CHECK(m.rows[3].x86 == "add rax, rcx");  // Capstone's text, not the compiler's "add Ev,Gv"
  bool add = false;
  for (const std::string& w : m.rows[3].wasm) add |= w.find("i64.add") != std::string::npos;
  CHECK(add);
  CHECK(m.rows[4].x86 == "sub ecx, 1");
  CHECK(m.rows[5].x86 == "jne 0x10000005");
  bool loop = false;
  for (const std::string& w : m.rows[0].wasm) loop |= w == "loop";
  CHECK(loop);  // the dispatcher
  // every line of the flattened view names its row; the x86 only on a row's first line
  size_t lines = 0;
  for (const gbi::RegionRow& row : m.rows) lines += row.wasm.empty() ? 1 : row.wasm.size();
  CHECK(m.lines.size() == lines);
  std::string text, json;
  s.to_text(text, "region");
  CHECK(text.find("region 0000000010000000..000000001000000e: 3 blocks, 8 x86 instructions") != std::string::npos);
  CHECK(text.find("  0000000010000005  add rax, rcx\n") != std::string::npos);
  CHECK(text.find("i64.add\n") != std::string::npos);
  CHECK(text.find("                        | loop\n") != std::string::npos);
  s.to_json(json, "region");
  CHECK(json.find("\"region\":{\"have\":true,\"start\":\"0x10000000\"") != std::string::npos);
  CHECK(json.find("{\"kind\":\"insn\",\"addr\":\"0x10000005\",\"x86\":\"add rax, rcx\",\"wasm\":[") != std::string::npos);
  CHECK(json.find("\"wasm\":\"0061736d") != std::string::npos);  // the module: "\0asm"
  // every cut of the section is refused or read, never a crash
  for (size_t n = 0; n < reply.size(); n += 7) {
    gbi::StateModel t;
    t.apply((const uint8_t*)reply.data(), n, 3);
    CHECK(t.region.rows.size() <= m.rows.size());
  }
  // a region request for a block the JIT did not compile: the reason, the old region gone
  std::string err;
  const std::string why = "0x401000 is not in a compiled region";
  state_put(err, StateTag::Error, why.data(), why.size());
  s.apply((const uint8_t*)err.data(), err.size(), 3);
  CHECK_FALSE(s.region.have);
  CHECK(s.region.error == "0x401000 is not in a compiled region");
  text.clear();
  s.to_text(text, "region");
  CHECK(text.find("not in a compiled region") != std::string::npos);

  // the blocks list: which blocks run as wasm, and the regions' entries
  BlockState b[2] = {};
  b[0].start = kCode;
  b[0].end = kCode + 13;
  b[0].flags = kBlockCompiled | kBlockRegionEntry;
  b[1].start = 0x401000;
  b[1].end = 0x401010;
  std::string blocks;
  state_put(blocks, StateTag::Blocks, b, sizeof b);
  const uint64_t entries[1] = {kCode};
  state_put(blocks, StateTag::Regions, entries, sizeof entries);
  s.apply((const uint8_t*)blocks.data(), blocks.size());
  CHECK(s.regions == std::vector<uint64_t>{kCode});
  json.clear();
  s.to_json(json, "blocks");
  CHECK(json.find("\"compiled\":true,\"entry\":true}") != std::string::npos);
  CHECK(json.find("\"compiled\":false,\"entry\":false}") != std::string::npos);
  CHECK(json.find("\"regions\":[\"0x10000000\"]") != std::string::npos);
  text.clear();
  s.to_text(text, "blocks");
  CHECK(text.find("1 compiled regions (JIT)") != std::string::npos);
  CHECK(text.find("wasm (region entry)") != std::string::npos);
}

TEST_CASE("inspector JIT panel: hovering an x86 row spans its wasm lines; the syntax switch redoes the region") {
  AddressSpace as;
  BlockCache bc;
  const jit::RegionInfo r = loop_region(as, bc);
  std::string reply;
  put_region(r, reply);
  gbi::StateModel s;
  s.apply((const uint8_t*)reply.data(), reply.size(), 3);
  const gbi::RegionModel& m = s.region;
  REQUIRE(m.have);
  // the hover: `add rax, rcx` (row 3) -> its lines in the flattened view, every one of them
  // naming row 3, the first holding the x86, together the wasm made from it (i64.add)
  const int row = m.row_at(kCode + 5);
  CHECK(row == 3);
  uint32_t first = 0, count = 0;
  m.row_lines(row, first, count);
  CHECK(count == m.rows[3].wasm.size());
  for (uint32_t i = first; i < first + count; i++) CHECK(m.lines[i].row == 3u);
  CHECK(m.lines[first].w == 0);
  CHECK((first == 0 || m.lines[first - 1].row != 3u));
  CHECK((first + count == m.lines.size() || m.lines[first + count].row != 3u));
  std::string hover;
  m.hover_json(kCode + 5, hover);
  CHECK(hover.find("{\"row\":3,") == 0);
  CHECK(hover.find("\"x86\":\"add rax, rcx\"") != std::string::npos);
  CHECK(hover.find("i64.add") != std::string::npos);
  CHECK(m.row_at(kCode + 1) == -1);  // not an instruction's start
  hover.clear();
  m.hover_json(kCode + 1, hover);
  CHECK(hover.find("{\"row\":-1,\"first\":0,\"count\":0,") == 0);
  // AT&T: the region shown is parsed again from the kept section, rows and wasm unchanged
  const size_t rows = m.rows.size(), lines = m.lines.size();
  s.set_syntax(true);
  CHECK(m.rows.size() == rows);
  CHECK(m.lines.size() == lines);
  CHECK(m.rows[3].x86 == "addq %rcx, %rax");
  CHECK(m.row_at(kCode + 5) == 3);
  s.set_syntax(false);
  CHECK(m.rows[3].x86 == "add rax, rcx");
}

TEST_CASE("inspector JIT panel: the region list (state) and the JIT's compiles and drops (records)") {
  gbi::StateModel s;
  // a RegionList section: the total, then the regions most run first
  RegionSummaryState l[2] = {};
  l[0].start = 0x401126;
  l[0].end = 0x401140;
  l[0].execs = 50000;
  l[0].compile_us = 812;
  l[0].blocks = 2;
  l[0].insns = 9;
  l[0].wasm_bytes = 420;
  l[0].table_index = 301;
  l[1].start = 0x401000;
  l[1].execs = 1000;
  std::string body(8, '\0');
  const uint32_t total = 7;
  memcpy(&body[0], &total, 4);
  body.append((const char*)l, sizeof l);
  std::string reply;
  state_put(reply, StateTag::RegionList, body.data(), body.size());
  s.apply((const uint8_t*)reply.data(), reply.size());
  REQUIRE(s.jit.list.size() == 2);
  CHECK(s.jit.total == 7);
  CHECK(s.jit.list[0].compile_us == 812);
  std::string json, text;
  s.to_json(json, "jit");
  CHECK(json.find("{\"start\":\"0x401126\",\"end\":\"0x401140\",\"blocks\":2,\"insns\":9,\"wasm_bytes\":420,"
                  "\"compile_us\":812,\"execs\":50000,\"table_index\":301}") != std::string::npos);
  // records: a region compiled (batch of 2, 900 us), one invalidated by a write, a
  // process's regions gone at its exit, one evicted
  std::vector<TraceRecord> recs(4);
  for (TraceRecord& r : recs) memset(&r, 0, sizeof r);
  recs[0].kind = RecKind::JitRegion;
  recs[0].pid = 42;
  recs[0].nr = 2;
  recs[0].ret = 2;
  recs[0].a[0] = 0x401126;
  recs[0].a[1] = 0x401140;
  recs[0].a[2] = 9;
  recs[0].a[3] = 900;
  recs[0].a[4] = 420;
  recs[1].kind = RecKind::JitDrop;
  recs[1].pid = 42;
  recs[1].nr = JitCodeWritten;
  recs[1].ret = 1;
  recs[1].a[0] = 0x401126;
  recs[1].a[1] = 0x401000;
  recs[1].a[2] = 0x401140;
  recs[1].a[3] = 9;
  recs[1].a[5] = 3000;
  recs[2] = recs[1];
  recs[2].nr = JitProcessGone;
  recs[2].ret = 5;
  recs[2].a[0] = 0;
  recs[2].a[3] = 40;
  recs[3] = recs[1];
  recs[3].nr = JitEvicted;
  recs[3].kind = RecKind::SysEnter;  // (other kinds are not the JIT's: ignored)
  std::vector<uint8_t> packed(recs.size() * sizeof(TraceRecord));
  memcpy(packed.data(), recs.data(), packed.size());
  s.jit.feed(packed.data(), recs.size());
  CHECK(s.jit.compiled == 1);
  CHECK(s.jit.compile_us == doctest::Approx(900));  // the region's own
  REQUIRE(s.jit.drops.size() == 2);
  CHECK(s.jit.dropped[JitCodeWritten] == 1);
  CHECK(s.jit.dropped[JitProcessGone] == 5);
  CHECK(s.jit.dropped[JitEvicted] == 0);
  json.clear();
  s.to_json(json, "jit");
  CHECK(json.find("\"dropped\":{\"written\":1,\"gone\":5,\"evicted\":0}") != std::string::npos);
  CHECK(json.find("\"reason\":\"its code was written, unmapped or reprotected\"") != std::string::npos);
  s.to_text(text, "jit");
  CHECK(text.find("compiled regions of the followed process: 7\n") != std::string::npos);
  CHECK(text.find("0000000000401126 0000000000401140      2          9         420         812       50000\n") != std::string::npos);
  CHECK(text.find("drop  process 42: region 0000000000401126..0000000000401140 (9 x86 insns, entry interpreted 3000 times): its code "
                  "was written") != std::string::npos);
  CHECK(text.find("drop  process 42: 5 regions (40 x86 insns, 0 wasm bytes): its process exited or exec'd") != std::string::npos);
  // the rows are bounded, the counts are not
  for (size_t i = 0; i < gbi::JitModel::kMaxDrops + 10; i++) s.jit.apply(recs[1]);
  CHECK(s.jit.drops.size() <= gbi::JitModel::kMaxDrops);
  CHECK(s.jit.dropped[JitCodeWritten] == gbi::JitModel::kMaxDrops + 11);
  CHECK(s.jit.discarded + s.jit.drops.size() == gbi::JitModel::kMaxDrops + 12);
}

TEST_CASE("inspector breakpoints: one list for the break box and the editor's dots; the engine counts every kind") {
  Machine2 m;
  gbi::StateModel s;
  std::string reply;
  StateRequest q;
  inspect_state(*m.k, m.d, false, q, reply);
  m.apply(s, reply);
  std::string err;
  // typed before the followed program's line table says it has that file (at the shell's
  // prompt, before ./prog runs): no program, the engine applies it to any program with it
  REQUIRE(s.add_break("prog2.c:7", "", err));
  REQUIRE(s.line_breaks.size() == 1);
  CHECK(s.line_breaks[0].path.empty());
  CHECK(s.commands.back().find("\"lines\":[{\"path\":\"\",\"file\":\"prog2.c\",\"line\":7}]") != std::string::npos);
  CHECK(s.break_lines("/home/student/prog2.c") == std::vector<uint32_t>{7});
  std::string bt;
  s.to_text(bt, "breaks");
  CHECK(bt.find("prog2.c:7  (any program built from it)") != std::string::npos);
  s.clear_breaks();
  reply.clear();
  inspect_symbols(*m.k, "/prog", reply);
  m.apply(s, reply);
  REQUIRE(s.symbols.path == "/prog");
  REQUIRE(!s.symbols.lines.empty());
  // once the followed program's line table has it: that program
  REQUIRE(s.add_break("prog2.c:7", "", err));
  CHECK(s.line_breaks.back().path == "/prog");
  s.clear_breaks();
  const uint64_t v0 = s.breaks_version;
  REQUIRE(s.add_break("prog2.c:7", "/prog", err));  // typed in the break box
  CHECK(s.breaks_version == v0 + 1);
  // the editor's file (its absolute path) shows the dot; another file does not
  CHECK(s.break_lines("/home/student/prog2.c") == std::vector<uint32_t>{7});
  CHECK(s.break_lines("/home/student/other.c").empty());
  // a symbol breakpoint shows on the line its address is on (leaf's first row)
  REQUIRE(s.add_break("leaf", "/prog", err));
  std::string f;
  uint32_t leaf_line = 0;
  REQUIRE(s.path_break_source(s.path_breaks[0], f, leaf_line));
  CHECK(f.size() >= 7);
  CHECK(f.compare(f.size() - 7, 7, "prog2.c") == 0);
  CHECK(leaf_line > 0);
  CHECK(leaf_line < 7);
  // (the editor's path of the source: the line table's own when it is absolute)
  const std::string src = f[0] == '/' ? f : "/home/student/" + f;
  CHECK(s.break_lines(src) == std::vector<uint32_t>{leaf_line, 7});
  std::string json;
  s.to_json(json, "breaks");
  CHECK(json.find("\"lines\":[{\"path\":\"/prog\",\"file\":\"prog2.c\",\"line\":7}]") != std::string::npos);
  CHECK(json.find("\"label\":\"leaf\"") != std::string::npos);
  CHECK(json.find("\"breaks\":2,") != std::string::npos);
  // a gutter click on the dot removes the breakpoint, whichever way it was set
  CHECK_FALSE(s.toggle_line_break("/prog", "/home/student/prog2.c", 7));
  CHECK(s.line_breaks.empty());
  CHECK_FALSE(s.toggle_line_break("/prog", src.c_str(), leaf_line));
  CHECK(s.path_breaks.empty());
  CHECK(s.break_lines("/home/student/prog2.c").empty());
  CHECK(s.toggle_line_break("/prog", "/home/student/prog2.c", 7));  // set again
  CHECK(s.break_lines("/home/student/prog2.c") == std::vector<uint32_t>{7});
  std::string code;
  s.to_text(code, "code");  // (the screen reader's view lists them)
  CHECK(code.find("\nbreakpoint /home/student/prog2.c:7  (/prog)\n") != std::string::npos);
  // symbols arriving move the version when symbol breakpoints may get their dots
  REQUIRE(s.add_break("leaf", "/prog", err));
  const uint64_t v1 = s.breaks_version;
  reply.clear();
  inspect_symbols(*m.k, "/prog", reply);
  m.apply(s, reply);
  CHECK(s.breaks_version > v1);
  CHECK(s.toggle_line_break("/prog", src.c_str(), leaf_line) == false);
  // the engine's count (the Status section) includes line and signal breakpoints
  m.d.line_breaks.push_back({"/prog", "prog2.c", 7});
  m.d.signal_breaks.push_back(11);
  reply.clear();
  inspect_state(*m.k, m.d, false, q, reply);
  m.apply(s, reply);
  CHECK(s.status.breaks == 2);
  REQUIRE(m.run());
  CHECK(m.d.reason == Debugger::Breakpoint);
}

TEST_CASE("inspector breakpoints survive a new machine: kept, queued for the new engine, symbols re-resolved") {
  Machine2 m;
  gbi::StateModel s;
  std::string reply;
  StateRequest q;
  q.blocks = 8;
  inspect_state(*m.k, m.d, false, q, reply);
  m.apply(s, reply);
  reply.clear();
  inspect_symbols(*m.k, "/prog", reply);
  m.apply(s, reply);
  std::string err;
  REQUIRE(s.add_break("prog2.c:7", "/prog", err));
  REQUIRE(s.add_break("leaf", "/prog", err));
  REQUIRE(s.add_break("SIGSEGV", "", err));
  REQUIRE(s.add_break("0x401000", "", err));
  s.add_syscall_break("write");
  s.code.att = true;
  const uint64_t leaf = s.path_breaks[0].vaddr;
  REQUIRE(s.regs.have);
  s.commands.clear();
  s.new_machine();  // gbi_reset: the engine restarted
  CHECK_FALSE(s.have_status);
  CHECK_FALSE(s.regs.have);
  CHECK(s.exe.empty());
  CHECK(s.symbols.syms.empty());
  CHECK(s.code.att);
  REQUIRE(s.line_breaks.size() == 1);
  REQUIRE(s.path_breaks.size() == 1);
  CHECK(s.path_breaks[0].label == "leaf");
  CHECK(s.signal_breaks.size() == 1);
  CHECK(s.addr_breaks.size() == 1);
  CHECK(s.syscall_breaks.size() == 1);
  CHECK(s.break_count() == 5);
  // queued for the new engine: the whole list in one break request
  REQUIRE(s.commands.size() == 1);
  const std::string& c = s.commands[0];
  CHECK(c.find("\"op\":\"break\"") != std::string::npos);
  CHECK(c.find("\"lines\":[{\"path\":\"/prog\",\"file\":\"prog2.c\",\"line\":7}]") != std::string::npos);
  CHECK(c.find("\"syscalls\":[\"write\"]") != std::string::npos);
  CHECK(c.find("\"signals\":[\"SIGSEGV\"]") != std::string::npos);
  CHECK(c.find("\"addrs\":[\"0x401000\"]") != std::string::npos);
  char want[80];
  snprintf(want, sizeof want, "\"vaddr\":\"0x%llx\"", (unsigned long long)leaf);
  CHECK(c.find(want) != std::string::npos);
  // the program rebuilt on the new machine: leaf moved; its symbols arrive, the breakpoint follows
  s.commands.clear();
  const char syms[] = "path /prog\nelf 2 400000\n400200 20 leaf\n400300 10 main\n";
  std::string r2;
  state_put(r2, StateTag::Symbols, syms, sizeof syms - 1);
  s.apply((const uint8_t*)r2.data(), r2.size());
  CHECK(s.path_breaks[0].vaddr == 0x400200);
  REQUIRE(s.commands.size() == 1);
  CHECK(s.commands[0].find("\"vaddr\":\"0x400200\"") != std::string::npos);
  // the same symbols again: nothing moved, nothing sent
  s.commands.clear();
  s.apply((const uint8_t*)r2.data(), r2.size());
  CHECK(s.commands.empty());
  // an empty model resets to nothing queued
  gbi::StateModel e;
  e.new_machine();
  CHECK(e.commands.empty());
}
