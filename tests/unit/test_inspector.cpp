// tests/unit/test_inspector.cpp — the inspector's models without a GPU (inspector/model/):
// the engine's record ring drops the oldest and counts; the page's stream counts seq gaps;
// the process tree from fork/exec/exit records (gcc's vfork + execve of cc1); syscall
// records decoded to strace's text (errno names from the engine's table); strace -c counts
// and the failed-only / call-name filters; the files model (reads by source, chunk map).
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "inspector/model/inspector_model.h"
#include "inspector/model/syscall_decode.h"
#include "inspector/model/text.h"
#include "tests/unit/inspector_shapes.h"
#include "vm/linux/rectrace.h"
#include "vm/base/abi.h"
#include "vm/base/lxerrno.h"
#include "vm/trace/record.h"

using namespace gb;
using namespace gbi;

namespace {

TraceRecord rec(RecKind k, int pid, int tid) {
  TraceRecord r;
  memset(&r, 0, sizeof r);
  r.kind = k;
  r.pid = pid;
  r.tid = tid;
  r.data_arg = REC_NO_ARG;
  return r;
}

TraceRecord exec_rec(int pid, const std::vector<std::string>& argv) {
  TraceRecord r = rec(RecKind::Exec, pid, pid);
  std::string j;
  for (const std::string& a : argv) { if (!j.empty()) j += '\0'; j += a; }
  r.set_data(j.data(), j.size());
  r.a[1] = argv.size();
  return r;
}

TraceRecord sys(RecKind k, int pid, unsigned nr, std::initializer_list<uint64_t> args, int64_t ret = 0) {
  TraceRecord r = rec(k, pid, pid);
  r.nr = (uint16_t)nr;
  int i = 0;
  for (uint64_t a : args) r.a[i++] = a;
  r.ret = ret;
  return r;
}

// Feeds records through a RecordRing (as the engine does), giving them seqs.
struct Feed {
  RecordRing ring;
  InspectorModel m;
  Feed() {
    ring.enable(64);
    m.syscalls.shapes = engine_shapes();  // (the attach snapshot, without its seqs)
  }
  void operator()(const TraceRecord& r) {
    ring.push(r);
    TraceRecord out[64];
    const size_t n = ring.take(out, 64);
    m.feed(reinterpret_cast<const uint8_t*>(out), n);
  }
};

}  // namespace

TEST_CASE("record ring: the oldest are dropped and counted, seqs stay in order") {
  RecordRing ring;
  CHECK(!ring.enabled());
  ring.push(rec(RecKind::Exit, 1, 1));  // off: ignored
  CHECK(ring.written() == 0);
  ring.enable(4);
  for (int i = 1; i <= 6; i++) ring.push(rec(RecKind::Exit, i, i));
  CHECK(ring.dropped() == 2);
  CHECK(ring.pending() == 4);
  TraceRecord out[8];
  REQUIRE(ring.take(out, 8) == 4);
  CHECK(out[0].seq == 3);
  CHECK(out[0].pid == 3);
  CHECK(out[3].seq == 6);
  CHECK(ring.take(out, 8) == 0);
  ring.push(rec(RecKind::Exit, 7, 7));
  REQUIRE(ring.take(out, 1) == 1);
  CHECK(out[0].seq == 7);
  CHECK(ring.dropped() == 2);

  // The page's stream sees the gap the ring left.
  RecordStream s;
  TraceRecord a = rec(RecKind::Exit, 1, 1), b = a, c = a;
  a.seq = 1; b.seq = 4; c.seq = 4;
  CHECK(s.accept(a));
  CHECK(s.accept(b));
  CHECK(!s.accept(c));  // a replay
  CHECK(s.dropped == 2);
  CHECK(s.received == 2);
}

TEST_CASE("record layout is what the TypeScript ring and the page read") {
  CHECK(sizeof(TraceRecord) == 256);
  CHECK(offsetof(TraceRecord, seq) == 0);
  CHECK(offsetof(TraceRecord, pid) == 24);
  CHECK(offsetof(TraceRecord, kind) == 32);
  CHECK(offsetof(TraceRecord, data_len) == 36);
  CHECK(offsetof(TraceRecord, a) == 48);
  TraceRecord r = rec(RecKind::Exec, 1, 1);
  std::string big(300, 'x');
  r.set_data(big.data(), big.size());
  CHECK(r.data_len == TraceRecord::kData);
  CHECK((r.flags & REC_TRUNCATED));
}

TEST_CASE("process model: gcc's children from fork/exec/exit records") {
  Feed f;
  f(exec_rec(100, {"bash", "--login"}));
  TraceRecord fk = rec(RecKind::Fork, 101, 101);  // bash forks gcc
  fk.ret = 100;
  fk.a[1] = 100;
  f(fk);
  f(exec_rec(101, {"gcc", "hello.c", "-o", "hello"}));
  TraceRecord vf = rec(RecKind::Fork, 102, 102);  // gcc vforks cc1
  vf.ret = 101;
  vf.a[0] = 0x4111;
  f(vf);
  TraceRecord w = sys(RecKind::SysExit, 102, 1, {1, 0, 6}, 6);  // instructions retired follow any record
  w.icount = 1234;
  f(w);
  f(exec_rec(102, {"/usr/lib/gcc/x86_64-linux-gnu/12/cc1", "-quiet", "hello.c"}));
  TraceRecord ex = rec(RecKind::Exit, 102, 102);
  ex.icount = 61000000;
  ex.a[1] = 61000000;  // the Exit payload: the task's own count (a vfork child starts at 0 here)
  f(ex);
  TraceRecord killed = rec(RecKind::Fork, 103, 103);
  killed.ret = 101;
  f(killed);
  TraceRecord kx = rec(RecKind::Exit, 103, 103);
  kx.ret = LSIGSEGV;
  f(kx);

  const ProcessModel& p = f.m.processes;
  REQUIRE(p.rows.size() == 4);
  const ProcRow* cc1 = p.find(102);
  REQUIRE(cc1);
  CHECK(cc1->parent == 101);
  CHECK(cc1->program == "cc1");
  CHECK(cc1->cmdline == "/usr/lib/gcc/x86_64-linux-gnu/12/cc1 -quiet hello.c");
  CHECK(cc1->state == ProcRow::Exited);
  CHECK(cc1->status == 0);
  CHECK(cc1->icount == 61000000);
  CHECK(cc1->execs == 1);
  CHECK(p.depth(*cc1) == 2);
  const ProcRow* gcc = p.find(101);
  CHECK(gcc->program == "gcc");
  CHECK(gcc->state == ProcRow::Running);
  const ProcRow* child = p.find(103);
  CHECK(child->program == "gcc");  // a fork inherits the parent's command line until exec
  CHECK(child->state == ProcRow::Killed);

  std::string json;
  p.to_json(json);
  CHECK(json.find("\"program\":\"cc1\",\"cmdline\":\"/usr/lib/gcc/x86_64-linux-gnu/12/cc1 -quiet hello.c\"") != std::string::npos);
  std::string text;
  p.to_text(text);
  CHECK(text.find("    102 (parent 101) exited with 0, 61000000 instructions, CPU 0.0 ms, interpreter, started") != std::string::npos);
  CHECK(text.find(": /usr/lib/gcc/x86_64-linux-gnu/12/cc1 -quiet hello.c\n") != std::string::npos);
  CHECK(text.find("103 (parent 101) killed by signal 11") != std::string::npos);
}

TEST_CASE("syscall decoding: strace's text from the record's numbers and bytes") {
  TraceRecord o = sys(RecKind::SysExit, 7, 257, {(uint64_t)(int64_t)LAT_FDCWD, 0x1000, LO_RDONLY | LO_CLOEXEC, 0}, 3);
  o.set_data("hello.c", 7, 1);
  std::string s;
  const SyscallShapes& sh = engine_shapes();
  CHECK(sh.known > 200);  // every call the engine implements
  format_call(s, o, sh);
  CHECK(s == "openat(AT_FDCWD, \"hello.c\", O_RDONLY|O_CLOEXEC) = 3");  // (the mode only with O_CREAT, as strace)

  TraceRecord e = sys(RecKind::SysExit, 7, 257, {(uint64_t)(int64_t)LAT_FDCWD, 0x1000, LO_WRONLY | LO_CREAT | LO_TRUNC, 0644}, -LX_ENOENT);
  e.set_data("/nope/x", 7, 1);
  s.clear();
  format_call(s, e, sh);
  CHECK(s == "openat(AT_FDCWD, \"/nope/x\", O_WRONLY|O_CREAT|O_TRUNC, 0644) = -1 ENOENT (No such file or directory)");

  TraceRecord w = sys(RecKind::SysExit, 7, 1, {1, 0x2000, 14}, 14);
  w.set_data("Hello, world!\n", 14, 1);
  s.clear();
  format_call(s, w, sh);
  CHECK(s == "write(1, \"Hello, world!\\n\", 14) = 14");

  TraceRecord m = sys(RecKind::SysExit, 7, 9, {0, 8192, 3, 0x22, (uint64_t)-1, 0}, 0x7f0000001000);
  s.clear();
  format_call(s, m, sh);
  CHECK(s == "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000001000");

  // calls the inspector's own table never had: the engine's kinds decode them
  auto line = [](const TraceRecord& r, const SyscallShapes& shapes) {
    std::string t;
    format_call(t, r, shapes);
    return t;
  };
  const TraceRecord q = sys(RecKind::SysExit, 7, 14, {2, 0x3000, 0, 8}, 0);
  CHECK(line(q, sh) == "rt_sigprocmask(SIG_SETMASK, 0x3000, NULL, 8) = 0");
  CHECK(line(sys(RecKind::SysExit, 7, 228, {1, 0x4000}, 0), sh) == "clock_gettime(CLOCK_MONOTONIC, 0x4000) = 0");
  CHECK(line(sys(RecKind::SysExit, 7, 8, {3, 0, 2}, 4096), sh) == "lseek(3, 0, SEEK_END) = 4096");
  CHECK(line(sys(RecKind::SysExit, 7, 158, {0x1002, 0x7f00}, 0), sh) == "arch_prctl(ARCH_SET_FS, 0x7f00) = 0");
  CHECK(line(sys(RecKind::SysExit, 7, 231, {0}, 0), sh) == "exit_group(0) = ?");  // it does not return
  // O_DIRECTORY is one of O_TMPFILE's bits, not O_TMPFILE: no mode (as strace)
  CHECK(line(sys(RecKind::SysExit, 7, 257, {(uint64_t)(int64_t)LAT_FDCWD, 0, LO_RDONLY | LO_DIRECTORY, 0}, 4), sh) ==
        "openat(AT_FDCWD, NULL, O_RDONLY|O_DIRECTORY) = 4");
  // without the shapes (none arrived yet): three arguments in hex
  CHECK(line(q, SyscallShapes()) == "rt_sigprocmask(0x2, 0x3000, 0) = 0");
  // a number Linux does not define
  CHECK(line(sys(RecKind::SysExit, 7, 500, {1, 2, 3}, -LX_ENOSYS), sh) == "syscall_500(0x1, 0x2, 0x3) = -1 ENOSYS (Function not implemented)");
  CHECK(std::string(syscall_name(59)) == "execve");
  CHECK(syscall_number("openat") == 257);
  CHECK(syscall_number("nope") == -1);
}

TEST_CASE("syscall model: durations, strace -c counts, filters, bounded rows") {
  Feed f;
  SyscallModel& m = f.m.syscalls;
  TraceRecord en = sys(RecKind::SysEnter, 5, 257, {0, 0, 0});
  en.time_ns = 1000;
  f(en);
  TraceRecord ex = sys(RecKind::SysExit, 5, 257, {(uint64_t)(int64_t)LAT_FDCWD, 0, 0}, -LX_ENOENT);
  ex.time_ns = 1600;
  f(ex);
  for (int i = 0; i < 3; i++) f(sys(RecKind::SysExit, 5, 0, {3, 0, 10}, 10));
  f(sys(RecKind::SysExit, 6, 3, {3}, 0));
  REQUIRE(m.rows.size() == 5);
  CHECK(m.dur_ns[0] == 600);
  CHECK(m.counts[257].calls == 1);
  CHECK(m.counts[257].errors == 1);
  CHECK(m.counts[0].calls == 3);
  std::vector<int> order;
  m.count_order(order);
  REQUIRE(order.size() == 3);
  CHECK(order[0] == 0);  // read: most calls first

  m.set_filter({true, -1, 0});
  CHECK(m.visible.size() == 1);
  f(sys(RecKind::SysExit, 5, 2, {0, 0, 0}, -LX_EACCES));  // new rows honour the filter
  CHECK(m.visible.size() == 2);
  m.set_filter({false, 0, 0});
  CHECK(m.visible.size() == 3);  // read only
  m.set_filter({false, -1, 6});
  CHECK(m.visible.size() == 1);  // pid 6 only
  m.set_filter({});

  std::string json;
  f.m.to_json(json, "syscalls");
  CHECK(json.find("\"name\":\"openat\",\"ret\":-2") != std::string::npos);
  CHECK(json.find("\"result\":\"-1 ENOENT (No such file or directory)\"") != std::string::npos);
  CHECK(json.find("\"read\":{\"calls\":3,\"errors\":0") != std::string::npos);

  m.max_rows = 8;
  for (int i = 0; i < 20; i++) f(sys(RecKind::SysExit, 5, 39, {}, 5));
  CHECK(m.rows.size() <= 8);
  CHECK(m.discarded + m.rows.size() == 26);
  CHECK(m.counts[39].calls == 20);  // counts keep everything
  CHECK(m.visible.size() == m.rows.size());
}

TEST_CASE("json of guest bytes is always valid: control and high bytes escaped") {
  std::string out;
  const char bytes[] = {'a', '"', '\\', '\n', 1, (char)0xff};
  json_string(out, bytes, sizeof bytes);
  CHECK(out == "\"a\\\"\\\\\\n\\u0001\\u00ff\"");
}

TEST_CASE("files model: reads by source, the chunk map, per-process totals") {
  Feed f;
  auto fs = [](int pid, uint8_t what, int64_t source, uint32_t ino, uint64_t pblk, uint64_t fetched, int64_t chunk) {
    TraceRecord r = rec(RecKind::FsRead, pid, pid);
    r.nr = what;
    r.ret = source;
    r.a[0] = ino;
    r.a[1] = 0;
    r.a[2] = pblk;
    r.a[3] = 4;
    r.a[4] = fetched;
    r.a[5] = (uint64_t)chunk;
    return r;
  };
  f(fs(105, 0, 2, 1234, 9000, 262144, 35));  // cc1's text: fetched now, chunk 35
  f(fs(105, 0, 0, 1234, 9004, 0, 35));       // the next blocks: from the chunk cache
  f(fs(105, 1, 1, 77, 120, 0, 0));           // an inode from the student's overlay
  f(fs(106, 0, 2, 555, 100, 131072, 3));
  f(fs(106, 0, 4, 556, 0, 0, -1));           // a hole: no chunk
  const FilesModel& m = f.m.files;
  REQUIRE(m.rows.size() == 5);
  CHECK(m.totals.reads[SRC_NETWORK] == 2);
  CHECK(m.totals.reads[SRC_CACHE] == 1);
  CHECK(m.totals.reads[SRC_OVERLAY] == 1);
  CHECK(m.totals.reads[SRC_ZERO] == 1);
  CHECK(m.totals.bytes_fetched == 262144 + 131072);
  CHECK(m.chunks_fetched == 2);
  REQUIRE(m.chunks.size() == 36);
  CHECK(m.chunks[35] == CHUNK_FETCHED);  // a later cache hit does not demote it
  CHECK(m.chunks[3] == CHUNK_FETCHED);
  CHECK(m.chunks[0] == CHUNK_OVERLAY);
  CHECK(m.chunks[1] == CHUNK_UNSEEN);
  FileTotals t;
  m.totals_of(105, t);
  CHECK(t.reads[SRC_NETWORK] == 1);
  CHECK(t.bytes_fetched == 262144);
  std::string json;
  f.m.to_json(json, "files");
  CHECK(json.find("{\"seq\":1,\"pid\":105,\"what\":\"data\",\"source\":\"network\",\"ino\":1234,\"lblk\":0,\"pblk\":9000,\"blocks\":4,\"bytes_fetched\":262144,\"chunk\":35}") != std::string::npos);
  CHECK(json.find("\"chunks_fetched\":2") != std::string::npos);
  std::string text;
  m.to_text(text, 10);
  CHECK(text.find("[105] data inode 1234 block 0 (disk 9000) x4 from network, chunk 35, 262144 bytes fetched") != std::string::npos);
  CHECK(text.find("[106] data inode 556 block 0 (disk 0) x4 from hole\n") != std::string::npos);
  // writes (FsWrite): the student's changes, in the chunk map as the overlay's
  TraceRecord w = fs(107, 0, 0, 900, 4000, 0, 1);
  w.kind = RecKind::FsWrite;
  f(w);
  TraceRecord w2 = fs(107, 4, 0, 901, 9004, 0, 35);  // a directory block written back
  w2.kind = RecKind::FsWrite;
  f(w2);
  CHECK(m.chunks[1] == CHUNK_OVERLAY);
  CHECK(m.chunks[35] == CHUNK_OVERLAY);  // the student's change wins over fetched
  CHECK(m.totals.reads[SRC_WRITTEN] == 2);
  CHECK(m.totals.blocks[SRC_WRITTEN] == 8);
  CHECK(m.totals.reads[SRC_NETWORK] == 2);  // reads unchanged
  m.totals_of(107, t);
  CHECK(t.blocks[SRC_WRITTEN] == 8);
  json.clear();
  f.m.to_json(json, "files");
  CHECK(json.find("\"source\":\"written\",\"ino\":900,") != std::string::npos);
  CHECK(json.find("\"writes\":2,\"blocks_written\":8,\"chunks_changed\":3}") != std::string::npos);  // 0, 1, 35
  text.clear();
  m.to_text(text, 10);
  CHECK(text.find("[107] data inode 900 block 0 (disk 4000) x4 written, chunk 1\n") != std::string::npos);
  CHECK(text.find("; 8 blocks written in 2 writes\n") != std::string::npos);
}

TEST_CASE("process model: a fork bomb keeps the table bounded, running tasks stay") {
  ProcessModel p;
  p.max_rows = 100;
  TraceRecord init = exec_rec(1, {"init"});
  p.apply(init);
  for (int i = 0; i < 1000; i++) {
    TraceRecord fk = rec(RecKind::Fork, 1000 + i, 1000 + i);
    fk.ret = 1;
    p.apply(fk);
    if (i % 25 != 0) p.apply(rec(RecKind::Exit, 1000 + i, 1000 + i));  // 40 of them keep running
  }
  CHECK(p.rows.size() <= 100);
  CHECK(p.discarded + p.rows.size() == 1001);
  CHECK(p.find(1));     // init is running: never dropped
  CHECK(p.find(1999));  // the newest
  size_t running = 0;
  for (const ProcRow& r : p.rows) running += r.state == ProcRow::Running;
  CHECK(running == 41);  // running tasks are never dropped (the kernel caps how many exist)
}

TEST_CASE("process model: CPU time, own instructions, tier and the timeline (Stat, Exit)") {
  Feed f;
  TraceRecord fk = rec(RecKind::Fork, 201, 201);
  fk.ret = 200;
  fk.a[1] = 200;
  fk.icount = 5000;  // the parent's count: the child is created with it
  fk.time_ns = 1000000;
  f(fk);
  TraceRecord w = sys(RecKind::SysExit, 201, 1, {1, 0, 2}, 2);
  w.icount = 7000;
  w.time_ns = 1500000;
  f(w);
  CHECK(f.m.processes.find(201)->icount == 2000);  // its own, not its parent's 5000
  TraceRecord st = rec(RecKind::Stat, 201, 201);
  st.icount = 7600;
  st.time_ns = 1800000;
  st.a[0] = 3000000;  // 3 ms of CPU
  st.a[1] = 2600;
  st.a[3] = 1;        // the JIT tier is on, nothing compiled yet
  f(st);
  const ProcRow* p = f.m.processes.find(201);
  CHECK(p->cpu_ns == 3000000);
  CHECK(p->icount == 2600);
  char tier[32];
  tier_text(*p, tier, sizeof tier);
  CHECK(std::string(tier) == "interpreter (JIT on)");
  TraceRecord ex = exec_rec(201, {"./loop"});
  ex.time_ns = 2000000;
  ex.icount = 8000;
  f(ex);
  TraceRecord x = rec(RecKind::Exit, 201, 201);
  x.time_ns = 5000000;
  x.icount = 15000;
  x.a[0] = 9000000;
  x.a[1] = 10000;
  x.a[2] = 7300;
  x.a[3] = 1;
  f(x);
  p = f.m.processes.find(201);
  CHECK(p->cpu_ns == 9000000);
  CHECK(p->icount == 10000);
  CHECK(p->jit_icount == 7300);
  tier_text(*p, tier, sizeof tier);
  CHECK(std::string(tier) == "JIT 73%");
  CHECK(p->start_ns == 1000000);
  CHECK(p->exec_ns[0] == 2000000);
  CHECK(p->end_ns == 5000000);
  const size_t n_rows = f.m.processes.rows.size();
  TraceRecord late = st;  // a Stat made after the Exit (the same slice): no new row
  late.time_ns = 5100000;
  f(late);
  CHECK(f.m.processes.rows.size() == n_rows);
  CHECK(f.m.processes.find(201)->state == ProcRow::Exited);
  std::string json;
  f.m.processes.to_json(json);
  CHECK(json.find("\"cpu_ns\":9000000,\"jit_icount\":7300,\"tier\":\"JIT 73%\",\"start_ms\":0.000,\"end_ms\":4.000,\"exec_ms\":[1.000]") !=
        std::string::npos);
  std::string text;
  f.m.processes.to_text(text, 201);
  CHECK(text.find("201 (parent 200) exited with 0, 10000 instructions, CPU 9.0 ms, JIT 73%, started 0.0, exec 1.0, ended 4.0: ./loop") !=
        std::string::npos);
  TraceRecord other = rec(RecKind::Fork, 202, 202);
  other.ret = 200;
  other.time_ns = 5500000;
  f(other);
  text.clear();
  f.m.processes.to_text(text, 202);  // the followed process is marked
  CHECK(text.find("* 202 (parent 200) running") != std::string::npos);
}

TEST_CASE("fd origins: the attach snapshot, openat, dup2, a fork, close, pipe2, close-on-exec") {
  Feed f;
  const SyscallModel& m = f.m.syscalls;
  auto exit_with = [&](int pid, unsigned nr, std::initializer_list<uint64_t> args, int64_t ret, const char* data = nullptr) {
    TraceRecord r = sys(RecKind::SysExit, pid, nr, args, ret);
    if (data) r.set_data(data, strlen(data), 1);
    f(r);
    return f.m.stream.last_seq;
  };
  TraceRecord snap = rec(RecKind::Fd, 100, 100);  // fd 0 was open before the trace
  snap.a[0] = 0;
  snap.set_data("/dev/pts/0", 10);
  f(snap);
  const uint64_t attach_seq = f.m.stream.last_seq;
  const uint64_t open_seq = exit_with(100, 257, {(uint64_t)-100, 0x1000, 01101, 0644}, 3, "out.txt");  // openat -> 3
  const uint64_t dup_seq = exit_with(100, 33, {3, 1}, 1);                                              // dup2(3, 1)
  CHECK(m.fd_used.back() == 3);
  CHECK(m.fd_origin.back() == open_seq);  // dup2's own fd 3 came from the openat
  TraceRecord fk = rec(RecKind::Fork, 101, 101);
  fk.ret = 100;
  fk.a[1] = 100;
  f(fk);
  exit_with(101, 1, {1, 0x2000, 2}, 2);  // the child writes to its inherited fd 1
  CHECK(m.fd_used.back() == 1);
  CHECK(m.fd_origin.back() == dup_seq);
  std::string o;
  m.describe_origin(o, m.fd_origin.back());
  INFO(o);
  CHECK(o.find("dup2(3, 1) = 1 [#") == 0);
  exit_with(101, 0, {0, 0x3000, 10}, 0);  // read(0): open before the trace
  CHECK(m.fd_origin.back() == attach_seq);
  o.clear();
  m.describe_origin(o, attach_seq);
  CHECK(o == "open when the inspector attached (pid 100): /dev/pts/0");
  exit_with(101, 3, {3}, 0);              // close(3)
  exit_with(101, 0, {3, 0x3000, 10}, -LX_EBADF);
  CHECK(m.fd_used.back() == 3);
  CHECK(m.fd_origin.back() == 0);         // closed: no origin
  o.clear();
  m.describe_origin(o, 0);
  CHECK(o == "not seen (opened before the trace began)");
  TraceRecord pp = sys(RecKind::SysExit, 101, 293, {0x4000, 0}, 0);  // pipe2 -> [4, 5]
  const int32_t fds[2] = {4, 5};
  pp.set_data(fds, sizeof fds, 0);
  f(pp);
  const uint64_t pipe_seq = f.m.stream.last_seq;
  exit_with(101, 1, {5, 0x2000, 2}, 2);
  CHECK(m.fd_origin.back() == pipe_seq);
  exit_with(101, 257, {(uint64_t)-100, 0x1000, 02000000}, 6, "/etc/passwd");  // O_CLOEXEC
  CHECK(m.fds.lookup(101, 6) != nullptr);
  CHECK(m.fds.lookup(101, 6)->path == "/etc/passwd");
  f(exec_rec(101, {"cat"}));
  CHECK(m.fds.lookup(101, 6) == nullptr);   // gone at exec
  CHECK(m.fds.lookup(101, 5) != nullptr);   // kept
  CHECK(m.fds.lookup(100, 1)->path == "out.txt");  // dup2 gave fd 1 the file's name
  CHECK(m.row_of_seq(dup_seq) == 1);
  CHECK(m.row_of_seq(attach_seq) == -1);   // not a call
  std::string json;
  m.to_json(json, 100);
  CHECK(json.find("\"fd\":1,\"fd_origin\":" + std::to_string(dup_seq) + ",\"origin\":\"dup2(3, 1) = 1 [#") != std::string::npos);
  std::string text;
  m.to_text(text, 100);
  CHECK(text.find("(fd 1 from #" + std::to_string(dup_seq) + ")") != std::string::npos);
  text.clear();
  m.detail_text(text, (size_t)m.row_of_seq(dup_seq) + 1);  // the child's write(1, ...)
  CHECK(text.find("fd 1 came from: dup2(3, 1) = 1") != std::string::npos);
  TraceRecord ex = rec(RecKind::Exit, 101, 101);
  f(ex);
  CHECK(m.fds.tables.count(101) == 0);  // an ended process's table goes
}

TEST_CASE("hex formatting: the detail view's dump and the JSON hex") {
  const unsigned char b[] = {'h', 'e', 'l', 'l', 'o', '\n', 0, 0xff, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'};
  std::string out;
  hex_dump(out, b, sizeof b);
  CHECK(out == "0000  68 65 6c 6c 6f 0a 00 ff 61 62 63 64 65 66 67 68  hello...abcdefgh\n"
               "0010  69 6a                                            ij\n");
  out.clear();
  hex_string(out, b, 6);
  CHECK(out == "68656c6c6f0a");
  Feed f;
  TraceRecord w = sys(RecKind::SysExit, 100, 1, {1, 0x1000, 6}, 6);
  w.set_data("hello\n", 6, 1);
  f(w);
  std::string text;
  f.m.syscalls.detail_text(text, 0);
  CHECK(text.find("text: \"hello\\n\"\nhex:\n0000  68 65 6c 6c 6f 0a") != std::string::npos);
  std::string json;
  f.m.syscalls.to_json(json, 10);
  CHECK(json.find("\"hex\":\"68656c6c6f0a\"") != std::string::npos);
}

TEST_CASE("files model: a read's inode gets the path of the fd or the execve") {
  Feed f;
  auto fsread = [&](int pid, uint8_t what, uint32_t ino) {
    TraceRecord r = rec(RecKind::FsRead, pid, pid);
    r.nr = what;
    r.a[0] = ino;
    r.a[3] = 1;
    r.a[5] = (uint64_t)-1;
    f(r);
  };
  TraceRecord e = sys(RecKind::SysEnter, 105, 257, {(uint64_t)-100, 0x1000, 0});
  e.set_data("hello.c", 7, 1);
  f(e);
  fsread(105, 4, 12);  // the directory, while openat walks the path: not named
  TraceRecord x = sys(RecKind::SysExit, 105, 257, {(uint64_t)-100, 0x1000, 0}, 3);
  x.set_data("hello.c", 7, 1);
  f(x);
  f(sys(RecKind::SysEnter, 105, 0, {3, 0x2000, 4096}));
  fsread(105, 0, 1234);  // read(3): hello.c's data
  f(sys(RecKind::SysExit, 105, 0, {3, 0x2000, 4096}, 80));
  fsread(105, 0, 1234);  // later, outside any call (a page fault on a mapping)
  TraceRecord ee = sys(RecKind::SysEnter, 106, 59, {0x1000, 0x2000, 0x3000});
  const char* cc1 = "/usr/lib/gcc/x86_64-linux-gnu/12/cc1";
  ee.set_data(cc1, strlen(cc1), 0);
  f(ee);
  fsread(106, 0, 900);  // the program's header
  fsread(106, 0, 901);  // then its interpreter: not named after the program
  f(exec_rec(106, {cc1}));
  const FilesModel& m = f.m.files;
  REQUIRE(m.path_of(1234));
  CHECK(*m.path_of(1234) == "hello.c");
  CHECK(m.path_of(12) == nullptr);
  REQUIRE(m.path_of(900));
  CHECK(*m.path_of(900) == cc1);
  CHECK(m.path_of(901) == nullptr);
  std::string json;
  m.to_json(json, 100);
  CHECK(json.find("\"ino\":1234,\"lblk\":0,\"pblk\":0,\"blocks\":1,\"bytes_fetched\":0,\"chunk\":-1,\"path\":\"hello.c\"}") != std::string::npos);
  std::string text;
  m.to_text(text, 100, 106);  // one process only
  CHECK(text.find("inode 900 block 0 (disk 0) x1 from cache (/usr/lib/gcc/x86_64-linux-gnu/12/cc1)") != std::string::npos);
  CHECK(text.find("inode 1234") == std::string::npos);
}

TEST_CASE("files model: the chunk cache's state when the inspector attached (Chunks records)") {
  RecordRing ring;
  ring.enable(16);
  record_chunk_state(ring, 2000, [](uint64_t i) { return i % 7 == 0; });  // the engine's producer
  REQUIRE(ring.pending() == 2);  // 1280 chunks a record
  TraceRecord out[4];
  REQUIRE(ring.take(out, 4) == 2);
  CHECK(out[0].a[0] == 0);
  CHECK(out[0].a[1] == 1280);
  CHECK(out[1].a[0] == 1280);
  CHECK(out[1].a[1] == 720);
  CHECK(out[1].data_len == 90);
  InspectorModel m;
  m.feed(reinterpret_cast<const uint8_t*>(out), 2);
  CHECK(m.files.chunks_total == 2000);
  CHECK(m.files.chunks.size() == 2000);
  CHECK(m.files.chunks_earlier == 286);  // 0, 7, ..., 1995
  CHECK(m.files.chunks[7] == CHUNK_EARLIER);
  CHECK(m.files.chunks[8] == CHUNK_UNSEEN);
  TraceRecord r;
  memset(&r, 0, sizeof r);
  r.seq = 3;
  r.kind = RecKind::FsRead;
  r.pid = r.tid = 100;
  r.ret = SRC_CACHE;
  r.a[5] = 7;  // read again now: from memory
  m.apply(r);
  r.seq = 4;
  r.ret = SRC_NETWORK;
  r.a[5] = 8;  // a new one fetched
  m.apply(r);
  CHECK(m.files.chunks[7] == CHUNK_CACHED);
  CHECK(m.files.chunks[8] == CHUNK_FETCHED);
  std::string json;
  m.to_json(json, "files");
  CHECK(json.find("\"chunks_earlier\":286,\"chunks_total\":2000") != std::string::npos);
  std::string text;
  m.files.to_text(text, 10);
  CHECK(text.find("286 in the cache before the inspector opened (of 2000)") != std::string::npos);
}
