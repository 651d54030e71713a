// tests/unit/test_inspector_engine.cpp — the engine's record producers (vm/linux/rectrace.cpp)
// on a real kernel, read through the inspector's models (inspector/model/): a static guest
// program forks, its child execs the program again and writes "hi\n" (to an fd that does
// not exist: EBADF) and exits 3; the parent waits, opens "/nope" (ENOENT) and exits 0.
// With the ring off the same run produces nothing.
//
// The program: tests/unit/inspector_prog.h.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/unit/inspector_shapes.h"
#include "inspector/model/inspector_model.h"
#include "inspector/model/syscall_decode.h"
#include "vm/fs/tmpfs.h"
#include "vm/linux/kernel.h"
#include "tests/unit/inspector_prog.h"
#include "tests/unit/signal_prog.h"

using namespace gb;

namespace {

using testprog::kInspectorProg;

// Runs the program to its end with the record ring of `capacity` (0: off); returns the
// records the ring holds, oldest first.
std::vector<TraceRecord> run_prog(size_t capacity, uint64_t* dropped = nullptr, const uint8_t* image = kInspectorProg,
                                  size_t image_size = sizeof kInspectorProg, int* status = nullptr) {
  std::shared_ptr<FileSystem> root = make_tmpfs();
  InodeRef dir = root->root(), prog;
  REQUIRE(dir->create("prog", LS_IFREG | 0755, prog) == 0);
  REQUIRE(prog->write(0, image, image_size) == (int64_t)image_size);
  KernelOptions o;
  o.quiet = true;
  Kernel k(root, o);
  if (capacity) k.records.enable(capacity);
  Task* init = k.create_init(100);
  std::string err;
  REQUIRE(init->execve("/prog", {"/prog"}, {}, err) == 0);
  bool done = false;
  for (int i = 0; i < 10000 && !done; i++) {
    const Kernel::RunResult r = k.run(1000);
    if (r.state == Kernel::RunResult::Done) done = true;
    else if (r.state == Kernel::RunResult::Idle) k.idle_wait(r.wake_at_ns);
  }
  REQUIRE(done);
  if (status) *status = k.init_status;
  else CHECK(k.init_status == 0);
  std::vector<TraceRecord> out(k.records.pending());
  if (!out.empty()) out.resize(k.records.take(out.data(), out.size()));
  if (dropped) *dropped = k.records.dropped();
  return out;
}

}  // namespace

TEST_CASE("engine records: fork, exec, syscalls and exits of a real run, decoded by the inspector") {
  const std::vector<TraceRecord> recs = run_prog(256);
  gbi::InspectorModel m;
  m.syscalls.shapes = engine_shapes();  // (the attach snapshot)
  m.feed(reinterpret_cast<const uint8_t*>(recs.data()), recs.size());
  CHECK(m.stream.dropped == 0);
  CHECK(m.stream.received == recs.size());
  for (size_t i = 1; i < recs.size(); i++) CHECK(recs[i].seq == recs[i - 1].seq + 1);

  // The tree: init (exec'd by the host) and its child, which exec'd /prog child.
  const gbi::ProcessModel& p = m.processes;
  REQUIRE(p.rows.size() == 2);
  CHECK(p.rows[0].tid == 100);
  CHECK(p.rows[0].cmdline == "/prog");
  CHECK(p.rows[0].state == gbi::ProcRow::Exited);
  CHECK(p.rows[0].status == 0);
  const gbi::ProcRow& c = p.rows[1];
  CHECK(c.parent == 100);
  CHECK(c.cmdline == "/prog child");
  CHECK(c.program == "prog");
  CHECK(c.execs == 1);
  CHECK(c.state == gbi::ProcRow::Exited);
  CHECK(c.status == 3 << 8);
  CHECK(c.icount > 0);
  CHECK(p.rows[0].icount > c.icount);  // the parent ran longer (it waited, then opened)
  // The Exit records' figures: the task's own instructions (the child does not count the
  // parent's before the fork), CPU time, the tier (natively: the interpreter).
  for (const TraceRecord& r : recs)
    if (r.kind == RecKind::Exit && r.tid == c.tid) {
      CHECK(r.a[1] == c.icount);
      CHECK(r.a[1] < r.icount);  // the header's count includes the parent's before the fork
      CHECK(r.a[2] == 0);
    }
  CHECK(c.figures);
  char tier[32];
  gbi::tier_text(c, tier, sizeof tier);
  CHECK(std::string(tier) == "interpreter");

  // The calls, decoded from numbers and the guest bytes the engine copied.
  std::vector<std::string> lines;
  for (const TraceRecord& r : m.syscalls.rows) {
    std::string s;
    gbi::format_call(s, r, m.syscalls.shapes);
    lines.push_back(std::to_string(r.tid == 100 ? 0 : 1) + " " + s);
  }
  REQUIRE(lines.size() == 7);
  CHECK(lines[0] == "0 fork() = " + std::to_string(c.tid));
  // After a successful execve the old memory is gone: the engine copies the path at entry
  // only; the model joins it to the exit
  CHECK(lines[1].rfind("1 execve(\"/prog\", 0x", 0) == 0);
  CHECK(lines[1].find(", NULL) = 0") != std::string::npos);
  size_t execve_exit_with_data = 0;
  for (const TraceRecord& r : recs)
    if (r.kind == RecKind::SysExit && r.nr == 59 && r.data_len) execve_exit_with_data++;
  CHECK(execve_exit_with_data == 0);
  CHECK(lines[2] == "1 write(1, \"hi\\n\", 3) = -1 EBADF (Bad file descriptor)");
  CHECK(lines[3] == "1 exit_group(3) = ?");
  CHECK(lines[4] == "0 wait4(-1, 0x400140, 0, NULL) = " + std::to_string(c.tid));
  CHECK(lines[5] == "0 openat(AT_FDCWD, \"/nope\", O_RDONLY) = -1 ENOENT (No such file or directory)");
  CHECK(lines[6] == "0 exit_group(0) = ?");
  CHECK(m.syscalls.counts[257].errors == 1);
  CHECK(m.syscalls.fd_used[2] == 1);    // write(1, ...) on an fd never opened:
  CHECK(m.syscalls.fd_origin[2] == 0);  // no origin
}

TEST_CASE("engine records: off by default; a small ring keeps the newest and counts the rest") {
  CHECK(run_prog(0).empty());
  uint64_t dropped = 0;
  const std::vector<TraceRecord> all = run_prog(256);
  const std::vector<TraceRecord> last = run_prog(4, &dropped);
  REQUIRE(last.size() == 4);
  CHECK(dropped == all.size() - 4);
  CHECK(last.back().seq == all.size());
  CHECK(last.back().kind == RecKind::Exit);
  CHECK(last.back().tid == 100);
}

TEST_CASE("engine records: Signal records — a handler runs, then a fault with no handler kills") {
  int status = -1;
  const std::vector<TraceRecord> recs = run_prog(256, nullptr, testprog::kSignalProg, sizeof testprog::kSignalProg, &status);
  CHECK(status == (LSIGSEGV | 0x80));  // killed by SIGSEGV, core dumped (as natively: 139)
  std::vector<TraceRecord> sigs;
  for (const TraceRecord& r : recs)
    if (r.kind == RecKind::Signal) sigs.push_back(r);
  REQUIRE(sigs.size() == 2);
  // SIGUSR1 from kill(): its handler ran
  CHECK(sigs[0].nr == LSIGUSR1);
  CHECK(sigs[0].ret == SigHandled);
  CHECK((int64_t)sigs[0].a[0] == 0);  // SI_USER
  CHECK(sigs[0].a[1] == 100);         // sent by itself
  CHECK(sigs[0].a[3] == 0x4000b4);    // the handler
  // SIGSEGV in the handler (load from 0x10): no handler, killed
  CHECK(sigs[1].nr == LSIGSEGV);
  CHECK(sigs[1].ret == SigKilled);
  CHECK(sigs[1].a[0] == 1);  // SEGV_MAPERR
  CHECK(sigs[1].a[1] == 0x10);
  CHECK(sigs[1].a[4] == 0x4000b4);  // rip: the faulting load
  // the inspector: rows between the calls, strace's text, not counted as calls
  gbi::InspectorModel m;
  m.syscalls.shapes = engine_shapes();  // (the attach snapshot)
  m.feed(reinterpret_cast<const uint8_t*>(recs.data()), recs.size());
  std::string text;
  m.syscalls.to_text(text, 100);
  CHECK(text.find("--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=100, si_uid=0} --- (handler 0x4000b4)") !=
        std::string::npos);
  CHECK(text.find("--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10} --- (killed)") != std::string::npos);
  const size_t kill_at = text.find("kill(");
  CHECK(kill_at != std::string::npos);
  CHECK(kill_at < text.find("--- SIGUSR1"));  // after the kill() call that sent it
  std::string json;
  m.syscalls.to_json(json, 100);
  CHECK(json.find("\"signal\":\"SIGSEGV\",\"text\":\"--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10} ---\",\"action\":\"killed\"") !=
        std::string::npos);
  // filters: failed-only and one call hide signal rows; one process keeps its own
  gbi::SyscallFilter f;
  f.failed_only = true;
  m.syscalls.set_filter(f);
  for (uint32_t i : m.syscalls.visible) CHECK(m.syscalls.rows[i].kind != RecKind::Signal);
  f = {};
  f.pid = 100;
  m.syscalls.set_filter(f);
  size_t shown = 0;
  for (uint32_t i : m.syscalls.visible) shown += m.syscalls.rows[i].kind == RecKind::Signal;
  CHECK(shown == 2);
}
