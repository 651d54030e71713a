// vm/linux/procfs.cpp — /proc: self and <pid> directories (exe, cwd, root, fd/, maps,
// cmdline, environ, status, stat), cpuinfo (from our CPUID), meminfo, uptime, version,
// loadavg, mounts. Enough for single programs; the storage issue extends it.
#include <cinttypes>
#include <ctime>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "vm/linux/kernel.h"
#include "vm/linux/pseudofs.h"
#include "vm/trace/trace.h"

namespace gb {

namespace {

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, f);
  int n = vsnprintf(buf, sizeof buf, f, ap);
  va_end(ap);
  if (n < 0) return "";
  if ((size_t)n < sizeof buf) return std::string(buf, (size_t)n);
  std::string s((size_t)n + 1, '\0');
  va_start(ap, f);
  vsnprintf(&s[0], s.size(), f, ap);
  va_end(ap);
  s.resize((size_t)n);
  return s;
}

void run_cpuid(uint32_t leaf, uint32_t sub, uint32_t out[4]) { guest_cpuid(leaf, sub, out); }

std::string cpuinfo() {
  uint32_t l0[4], l1[4], e0[4], e1[4] = {0, 0, 0, 0}, e8[4] = {0, 0, 0, 0};
  run_cpuid(0, 0, l0);
  run_cpuid(1, 0, l1);
  run_cpuid(0x80000000u, 0, e0);
  if (e0[0] >= 0x80000001u) run_cpuid(0x80000001u, 0, e1);
  if (e0[0] >= 0x80000008u) run_cpuid(0x80000008u, 0, e8);
  char vendor[13];
  memcpy(vendor, &l0[1], 4);
  memcpy(vendor + 4, &l0[3], 4);
  memcpy(vendor + 8, &l0[2], 4);
  vendor[12] = 0;
  char brand[49] = {0};
  if (e0[0] >= 0x80000004u) {
    for (uint32_t i = 0; i < 3; i++) {
      uint32_t r[4];
      run_cpuid(0x80000002u + i, 0, r);
      memcpy(brand + 16 * i, r, 16);
    }
  }
  std::string b = brand;
  while (!b.empty() && b.back() == ' ') b.pop_back();
  const uint32_t fam = ((l1[0] >> 8) & 0xf) + (((l1[0] >> 8) & 0xf) == 0xf ? ((l1[0] >> 20) & 0xff) : 0);
  const uint32_t model = ((l1[0] >> 4) & 0xf) | ((((l1[0] >> 8) & 0xf) >= 6) ? ((l1[0] >> 12) & 0xf0) : 0);
  // Linux's names for the CPUID bits (arch/x86/include/asm/cpufeatures.h).
  static const char* const kEdx[32] = {"fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", nullptr,
                                       "sep", "mtrr", "pge", "mca", "cmov", "pat", "pse36", "pn", "clflush", nullptr,
                                       "dts", "acpi", "mmx", "fxsr", "sse", "sse2", "ss", "ht", "tm", "ia64", "pbe"};
  static const char* const kEcx[32] = {"pni", "pclmulqdq", "dtes64", "monitor", "ds_cpl", "vmx", "smx", "est", "tm2",
                                       "ssse3", "cid", "sdbg", "fma", "cx16", "xtpr", "pdcm", nullptr, "pcid", "dca",
                                       "sse4_1", "sse4_2", "x2apic", "movbe", "popcnt", "tsc_deadline_timer", "aes",
                                       "xsave", "osxsave", "avx", "f16c", "rdrand", "hypervisor"};
  static const char* const kE1edx[32] = {nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                                         nullptr, nullptr, nullptr, "syscall", nullptr, nullptr, nullptr, nullptr,
                                         nullptr, nullptr, nullptr, "mp", "nx", nullptr, "mmxext", nullptr,
                                         nullptr, "fxsr_opt", "pdpe1gb", "rdtscp", nullptr, "lm", "3dnowext", "3dnow"};
  static const char* const kE1ecx[32] = {"lahf_lm", "cmp_legacy", "svm", "extapic", "cr8_legacy", "abm", "sse4a",
                                         "misalignsse", "3dnowprefetch"};
  std::string flags;
  auto add = [&](const char* const* names, uint32_t bits, int n) {
    for (int i = 0; i < n; i++)
      if ((bits >> i) & 1 && names[i]) { if (!flags.empty()) flags += ' '; flags += names[i]; }
  };
  add(kEdx, l1[3], 32);
  add(kEcx, l1[2], 32);
  add(kE1edx, e1[3], 32);
  add(kE1ecx, e1[2], 9);
  std::string s;
  s += "processor\t: 0\n";
  s += fmt("vendor_id\t: %s\n", vendor);
  s += fmt("cpu family\t: %u\n", fam);
  s += fmt("model\t\t: %u\n", model);
  s += fmt("model name\t: %s\n", b.c_str());
  s += fmt("stepping\t: %u\n", l1[0] & 0xf);
  s += "cpu MHz\t\t: 1000.000\n";
  s += "cache size\t: 8192 KB\n";
  s += "physical id\t: 0\nsiblings\t: 1\ncore id\t\t: 0\ncpu cores\t: 1\napicid\t\t: 0\ninitial apicid\t: 0\n";
  s += "fpu\t\t: yes\nfpu_exception\t: yes\n";
  s += fmt("cpuid level\t: %u\n", l0[0]);
  s += "wp\t\t: yes\n";
  s += "flags\t\t: " + flags + "\n";
  s += "bugs\t\t:\n";
  s += "bogomips\t: 2000.00\n";
  s += fmt("clflush size\t: %u\n", ((l1[1] >> 8) & 0xff) * 8);
  s += "cache_alignment\t: 64\n";
  s += fmt("address sizes\t: %u bits physical, %u bits virtual\n", e8[0] & 0xff ? e8[0] & 0xff : 48,
           (e8[0] >> 8) & 0xff ? (e8[0] >> 8) & 0xff : 48);
  s += "power management:\n\n";
  return s;
}

Task* find_proc(Kernel& k, int pid) {
  for (Task* p : k.procs)
    if (p->tid == pid) return p;
  return nullptr;
}

std::string maps(Task& p) {
  std::string s;
  for (auto& [start, v] : p.mem->vmas()) {
    uint64_t ino = 0, dev = 0;
    if (auto* ib = dynamic_cast<InodeBacking*>(v.file.get())) {
      Stat st;
      if (ib->node()->getattr(st) == 0) { ino = st.ino; dev = st.dev; }
    }
    std::string line = fmt("%08" PRIx64 "-%08" PRIx64 " %c%c%c%c %08" PRIx64 " %02x:%02x %" PRIu64 " ", v.start, v.end,
                           (v.prot & PROT_R) ? 'r' : '-', (v.prot & PROT_W) ? 'w' : '-', (v.prot & PROT_X) ? 'x' : '-',
                           v.shared ? 's' : 'p', v.file ? v.file_off : 0, (unsigned)((dev >> 8) & 0xfff),
                           (unsigned)(dev & 0xff), ino);
    if (!v.name.empty()) {
      while (line.size() < 73) line += ' ';
      line += v.name;
    }
    s += line + "\n";
  }
  return s;
}

// The one-letter state ps and top show.
char state_letter(const Task& p) {
  if (p.tg->zombie) return 'Z';
  if (p.pt.stop != PtStop::None || p.pt.listening) return 't';
  if (p.tg->stopped) return 'T';
  if (p.state == Task::State::Blocked) return 'S';
  return 'R';
}
const char* state_name(char c) {
  switch (c) {
    case 'Z': return "Z (zombie)";
    case 'T': return "T (stopped)";
    case 't': return "t (tracing stop)";
    case 'S': return "S (sleeping)";
    default: return "R (running)";
  }
}

std::string status(Task& p) {
  std::string name = p.exe.substr(p.exe.rfind('/') + 1);
  if (name.size() > 15) name.resize(15);
  uint64_t vm = 0;
  for (auto& [start, v] : p.mem->vmas()) vm += v.end - v.start;
  std::string s;
  s += "Name:\t" + name + "\n";
  s += fmt("Umask:\t%04o\n", p.umask);
  s += std::string("State:\t") + state_name(state_letter(p)) + "\n";
  s += fmt("Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t%d\n", p.pid, p.pid, p.ppid, p.pt.tracer);
  s += fmt("Uid:\t%u\t%u\t%u\t%u\n", p.uid, p.euid, p.suid, p.euid);
  s += fmt("Gid:\t%u\t%u\t%u\t%u\n", p.gid, p.egid, p.sgid, p.egid);
  s += fmt("FDSize:\t%d\nGroups:\t\n", 64);
  s += fmt("VmSize:\t%8" PRIu64 " kB\n", vm / 1024);
  s += fmt("VmRSS:\t%8" PRIu64 " kB\n", p.mem->resident_pages() * 4);
  s += "Threads:\t1\n";
  uint64_t ign = 0, cgt = 0;
  for (int i = 1; i <= LNSIG; i++) {
    if (p.sigact[i].handler == 1) ign |= 1ull << (i - 1);
    else if (p.sigact[i].handler > 1) cgt |= 1ull << (i - 1);
  }
  s += fmt("SigQ:\t0/%d\nSigPnd:\t%016" PRIx64 "\nShdPnd:\t0000000000000000\nSigBlk:\t%016" PRIx64
           "\nSigIgn:\t%016" PRIx64 "\nSigCgt:\t%016" PRIx64 "\n",
           63322, p.sigpending, p.sigmask, ign, cgt);
  s += "CapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n";
  s += "Cpus_allowed:\t1\nCpus_allowed_list:\t0\n";
  s += "voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n";
  return s;
}

std::string stat_line(Kernel& k, Task& p) {
  std::string name = p.exe.substr(p.exe.rfind('/') + 1);
  if (name.size() > 15) name.resize(15);
  uint64_t vm = 0;
  for (auto& [start, v] : p.mem->vmas()) vm += v.end - v.start;
  const uint64_t start_ticks = (p.start_ns - k.boot_mono_ns) / 10000000ull;
  const uint64_t utime = p.tg->cpu_ns / 10000000ull, cutime = p.tg->child_cpu_ns / 10000000ull;
  return fmt("%d (%s) %c %d %d %d 34816 %d 4194304 0 0 0 0 %" PRIu64 " 0 %" PRIu64 " 0 20 0 %zu 0 %" PRIu64
             " %" PRIu64 " %" PRIu64 " 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
             p.pid, name.c_str(), state_letter(p), p.ppid, p.pgid, p.sid, p.pgid, utime, cutime,
             p.tg->threads.size() ? p.tg->threads.size() : (size_t)1, start_ticks, vm, p.mem->resident_pages());
}

std::string join0(const std::vector<std::string>& v) {
  std::string s;
  for (auto& a : v) { s += a; s += '\0'; }
  return s;
}

// /proc/<pid>/mem: the process's memory at file offset = address. Opening needs the
// ptrace access check (Linux's PTRACE_MODE_ATTACH); writes are forced like POKETEXT
// (read-only private mappings get a private copy; decoded code on the page is dropped).
// An unmapped address gives EIO (or the bytes before it).
class ProcMem : public PseudoNode {
 public:
  ProcMem(PseudoFs* fs, uint64_t ino, Kernel& k, int pid) : PseudoNode(fs, ino, LS_IFREG | 0600), k_(k), pid_(pid) {}
  int on_open(uint32_t) override {
    Task* t = find_proc(k_, pid_);
    if (!t) return -LX_ENOENT;
    Task* me = k_.current;
    if (me && me->tg != t->tg && !ptrace_may_access(*me, *t)) return -LX_EACCES;
    return 0;
  }
  int64_t read(uint64_t off, void* buf, uint64_t n, uint32_t) override { return rw(off, buf, n, false); }
  int64_t write(uint64_t off, const void* buf, uint64_t n, uint32_t) override {
    return rw(off, const_cast<void*>(buf), n, true);
  }
  int truncate(uint64_t) override { return -LX_EACCES; }
  std::shared_ptr<FileBacking> backing(const std::string&) override { return nullptr; }

 private:
  int64_t rw(uint64_t off, void* buf, uint64_t n, bool write) {
    Task* t = find_proc(k_, pid_);
    if (!t || t->tg->zombie || !t->mem) return 0;  // the memory is gone: end of file
    uint8_t* b = (uint8_t*)buf;
    uint64_t done = 0;
    while (done < n) {
      const uint64_t a = off + done;
      const uint64_t k = std::min<uint64_t>(n - done, PAGE - (a & (PAGE - 1)));
      const bool ok = write ? ptrace_write_mem(*t, a, b + done, k) : t->mem->copy_in(b + done, a, k);
      if (!ok) break;
      done += k;
    }
    return done ? (int64_t)done : -LX_EIO;
  }
  Kernel& k_;
  int pid_;
};

// The /proc/<pid> directory of process `pid`.
InodeRef pid_dir(Kernel& k, PseudoFs* f, const std::weak_ptr<Inode>& parent, int pid, bool thread = false) {
  // Stable inode numbers per pid: 0x10000 * pid + n.
  uint64_t base = 0x10000ull * (uint64_t)pid;
  auto dir = std::make_shared<PseudoDir>(f, base, 0555, parent);
  std::weak_ptr<Inode> wdir = dir;
  Kernel* kp = &k;
  auto file = [&](const char* name, uint64_t n, uint32_t perm, std::function<std::string(Task&)> g) {
    dir->add(name, std::make_shared<PseudoFile>(f, base + n, perm, [kp, pid, g]() -> std::string {
      Task* p = find_proc(*kp, pid);
      return p ? g(*p) : std::string();
    }));
  };
  file("maps", 1, 0444, [](Task& p) { return maps(p); });
  file("cmdline", 2, 0444, [](Task& p) { return join0(p.cmdline); });
  file("environ", 3, 0400, [](Task& p) { return join0(p.environ); });
  file("status", 4, 0444, [](Task& p) { return status(p); });
  file("stat", 5, 0444, [kp](Task& p) { return stat_line(*kp, p); });
  file("comm", 6, 0644, [](Task& p) {
    std::string name = p.exe.substr(p.exe.rfind('/') + 1);
    if (name.size() > 15) name.resize(15);
    return name + "\n";
  });
  file("mounts", 7, 0444, [kp](Task&) {
    std::string s;
    for (auto& m : kp->vfs.mounts()) s += fmt("%s %s %s rw,relatime 0 0\n", m.fs->type_name(), m.path.c_str(), m.fs->type_name());
    return s;
  });
  file("statm", 8, 0444, [](Task& p) {
    uint64_t vm = 0;
    for (auto& [start, v] : p.mem->vmas()) vm += v.end - v.start;
    return fmt("%" PRIu64 " %" PRIu64 " 0 0 0 0 0\n", vm / PAGE, p.mem->resident_pages());
  });
  file("auxv", 13, 0400, [](Task& p) {
    return std::string((const char*)p.saved_auxv.data(), p.saved_auxv.size() * 8);
  });
  dir->add("mem", std::make_shared<ProcMem>(f, base + 14, k, pid));
  auto link = [&](const char* name, uint64_t n, std::function<Loc(Task&)> where) {
    dir->add(name, std::make_shared<PseudoLink>(
                       f, base + n,
                       [kp, pid, where]() -> std::string {
                         Task* p = find_proc(*kp, pid);
                         return p ? where(*p).path : std::string();
                       },
                       [kp, pid, where](Loc& out) {
                         Task* p = find_proc(*kp, pid);
                         if (!p) return false;
                         out = where(*p);
                         return (bool)out.node;
                       }));
  };
  link("exe", 9, [kp](Task& p) {
    Loc l;
    ResolveOpts o;
    if (kp->vfs.resolve(p.root, p.root, p.exe, o, l) < 0) l = Loc{nullptr, p.exe};
    return l;
  });
  link("cwd", 10, [](Task& p) { return p.cwd; });
  link("root", 11, [](Task& p) { return p.root; });
  // fd/: one magic link per open fd
  auto fddir = std::make_shared<PseudoDir>(f, base + 12, 0500, wdir);
  fddir->dynamic = [kp, pid, f, base](PseudoList& v) {
    Task* p = find_proc(*kp, pid);
    if (!p) return;
    for (int fd : p->fds.list()) {
      v.emplace_back(std::to_string(fd),
                     std::make_shared<PseudoLink>(
                         f, base + 0x100 + (uint64_t)fd,
                         [kp, pid, fd]() -> std::string {
                           Task* q = find_proc(*kp, pid);
                           FileRef file = q ? q->fds.get(fd) : nullptr;
                           return file ? file->describe() : std::string();
                         },
                         [kp, pid, fd](Loc& out) {
                           Task* q = find_proc(*kp, pid);
                           FileRef file = q ? q->fds.get(fd) : nullptr;
                           if (!file) return false;
                           out = Loc{file->node, file->loc.path};
                           return true;
                         }));
    }
  };
  dir->add("fd", fddir);
  if (!thread) {
    // task/: one directory per thread of the process (gdb reads task/TID/mem).
    auto taskdir = std::make_shared<PseudoDir>(f, base + 15, 0555, wdir);
    std::weak_ptr<Inode> wtask = taskdir;
    taskdir->dynamic = [kp, pid, f, wtask](PseudoList& v) {
      for (Task* q : kp->procs)
        if (q->pid == pid && !q->exited) v.emplace_back(std::to_string(q->tid), pid_dir(*kp, f, wtask, q->tid, true));
    };
    dir->add("task", taskdir);
  }
  return dir;
}

}  // namespace

std::shared_ptr<PseudoFs> make_procfs(Kernel& k) {
  auto fs = std::make_shared<PseudoFs>("proc", 0x16);
  PseudoFs* f = fs.get();
  auto root = std::make_shared<PseudoDir>(f, 1, 0555, std::weak_ptr<Inode>());
  fs->root_dir = root;
  f->alloc_ino();
  std::weak_ptr<Inode> wroot = root;
  Kernel* kp = &k;
  auto file = [&](const char* name, std::function<std::string()> g) {
    root->add(name, std::make_shared<PseudoFile>(f, f->alloc_ino() + 0x1000, 0444, std::move(g)));
  };
  file("cpuinfo", [] { return cpuinfo(); });
  file("version", [] {
    return std::string("Linux version 6.1.0 (glassbox@glassbox) (gcc (Debian 12.2.0-14) 12.2.0) #1 SMP PREEMPT_DYNAMIC Glassbox\n");
  });
  file("uptime", [kp] {
    const double up = (double)(trace_now_ns() - kp->boot_mono_ns) / 1e9;
    return fmt("%.2f %.2f\n", up, up);
  });
  file("stat", [kp] {
    // Totals since boot in 10 ms ticks: the guest's CPU time as user time, the rest idle.
    uint64_t busy = 0;
    for (Task* q : kp->procs)
      if (q->is_leader()) busy += q->tg->cpu_ns;
    const uint64_t up = (trace_now_ns() - kp->boot_mono_ns) / 10000000ull;
    const uint64_t user = busy / 10000000ull, idle = up > user ? up - user : 0;
    int running = 0, blocked = 0;
    for (Task* q : kp->procs) {
      if (q->state == Task::State::Runnable) running++;
      else if (q->state == Task::State::Blocked) blocked++;
    }
    const uint64_t btime = (uint64_t)time(nullptr) - up / 100;
    return fmt("cpu  %" PRIu64 " 0 0 %" PRIu64 " 0 0 0 0 0 0\ncpu0 %" PRIu64 " 0 0 %" PRIu64
               " 0 0 0 0 0 0\nintr 0\nctxt 0\nbtime %" PRIu64 "\nprocesses %zu\nprocs_running %d\nprocs_blocked 0\n",
               user, idle, user, idle, btime, kp->procs.size(), running ? running : 1) ;
  });
  file("loadavg", [kp] { return fmt("0.00 0.00 0.00 1/%zu %d\n", kp->procs.size(), kp->procs.empty() ? 1 : kp->procs.back()->pid); });
  file("meminfo", [kp] {  // the machine's memory is its guest-memory budget (FramePool)
    const FramePool& fp = kp->phys->frames;
    const uint64_t total = fp.limit_bytes() >> 10, used = fp.in_use() * (PAGE >> 10);
    const uint64_t free_kb = total > used ? total - used : 0;
    return fmt("MemTotal:       %8" PRIu64 " kB\nMemFree:        %8" PRIu64 " kB\nMemAvailable:   %8" PRIu64
               " kB\nBuffers:               0 kB\nCached:                0 kB\nSwapCached:            0 kB\n"
               "SwapTotal:             0 kB\nSwapFree:              0 kB\n",
               total, free_kb, free_kb);
  });
  file("filesystems", [] { return std::string("nodev\tproc\nnodev\tdevtmpfs\n\text2\n"); });
  root->add("mounts", std::make_shared<PseudoLink>(f, f->alloc_ino() + 0x1000, [] { return std::string("self/mounts"); }));
  root->add("self", std::make_shared<PseudoLink>(f, f->alloc_ino() + 0x1000, [kp] {
    return std::to_string(kp->current ? kp->current->pid : 1);
  }));
  root->dynamic = [kp, f, wroot](PseudoList& v) {
    for (Task* p : kp->procs) v.emplace_back(std::to_string(p->pid), pid_dir(*kp, f, wroot, p->pid));
  };
  return fs;
}

}  // namespace gb
