// tools/cli/main.cpp — the glassbox command line (native and node builds).
//
//   glassbox run [--root DIR | --image IMAGE] [--cwd DIR] [--env K=V]... [--jit off|on|always]
//                [--strace] [--stats] [--records] -- PROGRAM [ARGS...]
//
// Runs one guest program with the host's stdin/stdout/stderr and exits with the guest's
// status (128 + signal when it was killed). See usage() for the details.
#include "vm/fs/ext2_vfs.h"
#include "vm/fs/hostfs.h"
#include "tools/cli/host_terminal.h"
#include "vm/jit/jit.h"
#include "vm/base/host_env.h"
#include "vm/linux/kernel.h"
#include "vm/linux/net_out.h"
#include "vm/linux/rectrace.h"
#include "vm/linux/tty.h"
#include "vm/linux/syscall.h"
#include "vm/trace/trace.h"

#include <signal.h>
#include <unistd.h>
#include <malloc.h>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>
// tools/cli/node_host.js: -1 not asked, 0 the linear memory has huge pages, else errno.
EM_JS(int, cli_hugepages, (), { return typeof gbHugePages === 'number' ? gbHugePages : -1; });
// tools/cli/node_code_cache.js: what became of V8's cached code for the engine's module.
EM_JS(void, cli_code_cache, (char* out, int size), {
  var s = typeof gbCodeCache !== 'object' ? 'off'
        : gbCodeCache.state === 'loaded' ? (gbCodeCache.bytes >> 10) + ' KiB loaded' : gbCodeCache.state;
  stringToUTF8(s, out, size);
});
#endif

using namespace gb;

namespace {

const char* kUsage =
    "usage: glassbox run [options] -- PROGRAM [ARGS...]\n"
    "\n"
    "Runs an x86-64 Linux program inside the Glassbox engine.\n"
    "\n"
    "options:\n"
    "  --root DIR          guest root directory (a host directory, e.g. a debootstrap'd Debian)\n"
    "  --image IMAGE       guest root from an ext2 image: a raw .ext2 file, a chunk manifest.json\n"
    "                      (or its directory), or an http:// URL of one\n"
    "  --overlay FILE      keep the guest's writes to --image in FILE (default: in memory only)\n"
    "  --cwd DIR           working directory inside the guest (default /)\n"
    "  --env K=V           set an environment variable (repeatable; overrides the defaults\n"
    "                      PATH=/usr/local/bin:/usr/bin:/bin HOME=/root TERM=<host's> LANG=C.UTF-8)\n"
    "  --jit off|on|always execution tier (node/browser builds; natively the interpreter):\n"
    "                      on compiles a block's region to wasm after 4000 runs, always at its\n"
    "                      first run; default off, or $GLASSBOX_JIT\n"
    "  --jit-threshold N   on: block runs before a region is compiled (default 4000; the\n"
    "                      threshold rises by itself while compiling costs over 5%)\n"
    "  --jit-grow N|off    a region whose exits went on in other regions N times is compiled\n"
    "                      again, bigger, along blocks as hot as its entry (default 1048576)\n"
    "  --jit-dump DIR      write each compiled region's .wasm and .txt listing into DIR\n"
    "  --jit-cache SIZE[,N] the code cache's budget: wasm bytes (K, M suffixes) and regions;\n"
    "                      the oldest regions are evicted past it (default 32M,8192)\n"
    "  --tty auto|off      auto (default): when stdin and stdout are a terminal, the guest gets\n"
    "                      a pty (/dev/pts/0, job control, ^C) and the host terminal goes raw\n"
    "  --strace            print every syscall to stderr, strace style\n"
    "  --stats             print instructions, time, MIPS and the machine's counters to stderr\n"
    "  --records           produce the inspector's binary trace records (an 8192-record ring\n"
    "                      nobody reads: what tracing costs the engine; counted by --stats)\n"
    "  --quiet             no engine messages (unimplemented syscalls, faults) on stderr\n"
    "  --reuse-code on|off a program's next process starts with the code its last one decoded\n"
    "                      (and compiled), checked page by page (default on; docs/interpreter.md)\n"
    "  --mem-limit SIZE    the machine's guest memory (bytes, or with K, M or G): mmap/brk past it\n"
    "                      get ENOMEM, page faults past it kill the largest process (OOM killer).\n"
    "                      Default: $GLASSBOX_MEM_LIMIT, else half the host's RAM up to 16G\n"
    "                      natively, 2G in node\n"
    "  --relay URL         outbound network through a Wisp relay (ws://host:port/; node also\n"
    "                      wss://); default $GLASSBOX_RELAY, else none: outside addresses get\n"
    "                      ENETUNREACH. $GLASSBOX_NET_TIMEOUT_MS: connect timeout (20000).\n"
    "                      See docs/networking.md\n"
    "\n"
    "PROGRAM is a guest path; without a '/', it is searched in the guest's PATH.\n"
    "The exit status is the guest's, or 128 + signal number when the guest was killed.\n";

// "512M", "2G", "1048576": bytes, or 0 if malformed.
uint64_t parse_size(const std::string& s) {
  if (s.empty() || s[0] < '0' || s[0] > '9') return 0;
  char* end = nullptr;
  const unsigned long long v = strtoull(s.c_str(), &end, 10);
  const std::string suf = end ? std::string(end) : "";
  uint64_t mul = 1;
  if (suf == "K" || suf == "k") mul = 1ull << 10;
  else if (suf == "M" || suf == "m") mul = 1ull << 20;
  else if (suf == "G" || suf == "g") mul = 1ull << 30;
  else if (!suf.empty()) return 0;
  if (v > (~0ull) / mul) return 0;
  return v * mul;
}

int usage_error(const std::string& msg) {
  fprintf(stderr, "glassbox: %s\n\n%s", msg.c_str(), kUsage);
  return 2;
}

struct Options {
  std::string root, image, overlay, cwd = "/", jit = "off", tty = "auto", jit_dump, relay;
  uint64_t jit_cache_bytes = 0;
  uint32_t jit_cache_regions = 0;
  uint64_t jit_threshold = 0;
  uint32_t jit_grow = jit::kGrowAt;  // --jit-grow (0: off)
  std::vector<std::string> env;
  bool strace = false, stats = false, quiet = false, records = false;
  uint64_t mem_limit = 0;  // --mem-limit / GLASSBOX_MEM_LIMIT; 0: the default budget
  bool reuse_code = true;  // --reuse-code
  std::vector<std::string> prog;
};

// Takes the value of --opt VALUE or --opt=VALUE.
bool take(const std::vector<std::string>& args, size_t& i, const char* name, std::string& out) {
  const std::string& a = args[i];
  const size_t n = strlen(name);
  if (a == name) {
    if (i + 1 >= args.size()) return false;
    out = args[++i];
    return true;
  }
  if (a.compare(0, n, name) == 0 && a.size() > n && a[n] == '=') {
    out = a.substr(n + 1);
    return true;
  }
  return false;
}

void set_env(std::vector<std::string>& env, const std::string& kv) {
  const size_t eq = kv.find('=');
  const std::string key = kv.substr(0, eq);
  for (auto& e : env) {
    if (e.compare(0, key.size() + 1, key + "=") == 0) {
      e = kv;
      return;
    }
  }
  env.push_back(kv);
}

std::string env_get(const std::vector<std::string>& env, const std::string& key) {
  for (auto& e : env)
    if (e.compare(0, key.size() + 1, key + "=") == 0) return e.substr(key.size() + 1);
  return "";
}

// Finds PROGRAM in the guest PATH (if it has no '/').
std::string find_program(Task& p, const std::string& prog, const std::string& path) {
  if (prog.find('/') != std::string::npos) return prog;
  size_t s = 0;
  while (s <= path.size()) {
    size_t e = path.find(':', s);
    if (e == std::string::npos) e = path.size();
    std::string dir = path.substr(s, e - s);
    if (dir.empty()) dir = ".";
    const std::string cand = dir + "/" + prog;
    Loc l;
    if (p.resolve_at(LAT_FDCWD, cand, true, l) == 0 && l.node->is_reg()) {
      Stat st;
      if (l.node->getattr(st) == 0 && (st.mode & 0111)) return cand;
    }
    s = e + 1;
  }
  return "";
}

std::string quote_arg(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (c == '\n') { o += "\\n"; continue; }
    o += c;
  }
  return o + "\"";
}

}  // namespace


static int cmd_run(const std::vector<std::string>& args, uint32_t host_ignored) {
  Options o;
  // host_getenv, not getenv: in node Emscripten's getenv sees none of process.env (until
  // December 2026 GLASSBOX_JIT=always in the jit layer's node runs silently meant "off")
  if (const char* m = host_getenv("GLASSBOX_MEM_LIMIT"); m && parse_size(m) >= (16ull << 20))
    o.mem_limit = parse_size(m);
  if (const char* j = host_getenv("GLASSBOX_JIT"); j && *j) o.jit = j;  // the test scripts' switch
  if (const char* r = host_getenv("GLASSBOX_RELAY"); r && *r) o.relay = r;
  size_t i = 0;
  for (; i < args.size(); i++) {
    const std::string& a = args[i];
    std::string v;
    if (a == "--") { i++; break; }
    if (take(args, i, "--root", v)) o.root = v;
    else if (take(args, i, "--image", v)) o.image = v;
    else if (take(args, i, "--overlay", v)) o.overlay = v;
    else if (take(args, i, "--relay", v)) o.relay = v;
    else if (take(args, i, "--cwd", v)) o.cwd = v;
    else if (take(args, i, "--env", v)) {
      if (v.find('=') == std::string::npos || v[0] == '=') return usage_error("--env wants K=V, got '" + v + "'");
      o.env.push_back(v);
    } else if (take(args, i, "--jit", v)) {
      if (v != "off" && v != "on" && v != "always") return usage_error("--jit wants off, on or always");
      o.jit = v;
    } else if (take(args, i, "--jit-threshold", v)) {
      char* end = nullptr;
      o.jit_threshold = strtoull(v.c_str(), &end, 10);
      if (v.empty() || *end || o.jit_threshold == 0) return usage_error("--jit-threshold wants a count of runs, got '" + v + "'");
    } else if (take(args, i, "--jit-grow", v)) {
      char* end = nullptr;
      const unsigned long long g = v == "off" ? 0 : strtoull(v.c_str(), &end, 10);
      if (v != "off" && (v.empty() || *end || g == 0 || g > 0xffffffffull))
        return usage_error("--jit-grow wants a count of exits or off, got '" + v + "'");
      o.jit_grow = (uint32_t)g;
    } else if (take(args, i, "--jit-dump", v)) {
      o.jit_dump = v;
    } else if (take(args, i, "--jit-cache", v)) {
      const size_t comma = v.find(',');
      o.jit_cache_bytes = parse_size(v.substr(0, comma));
      if (comma != std::string::npos) o.jit_cache_regions = (uint32_t)strtoul(v.c_str() + comma + 1, nullptr, 10);
      if (o.jit_cache_bytes < 4096 || (comma != std::string::npos && o.jit_cache_regions == 0))
        return usage_error("--jit-cache wants SIZE[,REGIONS] (SIZE at least 4K), got '" + v + "'");
    } else if (take(args, i, "--tty", v)) {
      if (v != "auto" && v != "off") return usage_error("--tty wants auto or off");
      o.tty = v;
    } else if (take(args, i, "--reuse-code", v)) {
      if (v != "on" && v != "off") return usage_error("--reuse-code wants on or off, got '" + v + "'");
      o.reuse_code = v == "on";
    } else if (take(args, i, "--mem-limit", v)) {
      const uint64_t b = parse_size(v);
      if (b < (16ull << 20)) return usage_error("--mem-limit wants a size of at least 16M, got '" + v + "'");
      o.mem_limit = b;
    } else if (a == "--strace") o.strace = true;
    else if (a == "--stats") o.stats = true;
    else if (a == "--records") o.records = true;
    else if (a == "--quiet" || a == "-q") o.quiet = true;
    else if (a == "--help" || a == "-h") { fputs(kUsage, stdout); return 0; }
    else if (a.size() > 1 && a[0] == '-') return usage_error("unknown option " + a);
    else break;  // PROGRAM without "--"
  }
  for (; i < args.size(); i++) o.prog.push_back(args[i]);
  if (o.prog.empty()) return usage_error("no PROGRAM given");
  if (!o.image.empty() && !o.root.empty()) return usage_error("give --root or --image, not both");
  if (o.root.empty() && o.image.empty()) return usage_error("no guest root: give --root DIR or --image IMAGE");
  if (!o.overlay.empty() && o.image.empty()) return usage_error("--overlay needs --image");

  std::string err;
  std::shared_ptr<FileSystem> fs;
  std::shared_ptr<Ext2Fs> ext2;
  if (!o.image.empty()) {
    Ext2FsOptions eo;
    eo.overlay = o.overlay;
    ext2 = Ext2Fs::open(o.image, eo, err);
    if (!ext2) {
      fprintf(stderr, "glassbox: --image %s: %s\n", o.image.c_str(), err.c_str());
      return 2;
    }
    fs = ext2;
  } else {
    fs = HostFs::open(o.root, err);
    if (!fs) {
      fprintf(stderr, "glassbox: --root %s\n", err.c_str());
      return 2;
    }
  }
  jit::Mode jit_mode = jit::Mode::Off;
  if (!jit::parse_mode(o.jit, jit_mode)) return usage_error("--jit wants off, on or always");
  const bool jit_on = jit_mode != jit::Mode::Off && jit::available();
  jit::configure(jit_on ? jit_mode : jit::Mode::Off, o.jit_dump);
  jit::set_cache_limits(o.jit_cache_bytes, o.jit_cache_regions);
  jit::set_threshold(o.jit_threshold);
  jit::set_grow(o.jit_grow);
  KernelOptions ko;
  ko.quiet = o.quiet;
  ko.mem_limit_bytes = o.mem_limit;
  ko.reuse_code = o.reuse_code;
  Kernel k(fs, ko);
  if (!o.relay.empty()) {  // outbound network (docs/networking.md)
    NetOptions no;
    no.relay = o.relay;
    if (const char* t = host_getenv("GLASSBOX_NET_TIMEOUT_MS"); t && atoi(t) > 0) no.connect_timeout_ms = atoi(t);
    k.enable_net(no);
  }
  if (ext2) {
    Kernel* kp = &k;
    ext2->set_creds([kp](uint32_t* uid, uint32_t* gid) {
      *uid = kp->current ? kp->current->euid : 0;
      *gid = kp->current ? kp->current->egid : 0;
    });
    attach_ext2_trace(k, *ext2);
  }
  for (auto& w : k.mount_standard())
    if (!o.quiet) fprintf(stderr, "glassbox: warning: %s\n", w.c_str());

  int status;
  {
    Task& proc = *k.create_init(100);
    // A terminal on both ends: the guest gets a pty (job control, ^C, raw mode for vim)
    // and the host terminal goes raw while it runs. Otherwise the host's stdio is kept.
    HostTerminal term;
    std::shared_ptr<Tty> console;
    if (o.tty != "off" && HostTerminal::usable() && term.start()) {
      console = attach_console(proc, term.rows(), term.cols());
      if (console) term.apply_host_keys(*console);
      else term.restore();
    }
    if (!console) proc.attach_host_stdio();
    // Like execve: signals our own caller ignored (nohup, a background job) stay ignored.
    // The set was taken in main() before the CLI ignored SIGPIPE for itself, so a guest
    // started from a shell gets SIGPIPE's default action, as natively (and as in node).
    for (int sig = 1; sig < 32; sig++)
      if (host_ignored & (1u << sig)) proc.sigact[sig].handler = 1;  // SIG_IGN (numbers agree below 32)

    // Working directory.
    Loc cwd;
    int e = proc.resolve_at(LAT_FDCWD, o.cwd, true, cwd);
    if (e < 0 || !cwd.node->is_dir()) {
      fprintf(stderr, "glassbox: --cwd %s: %s\n", o.cwd.c_str(), e < 0 ? errno_message(-e) : "Not a directory");
      return 2;
    }
    proc.cwd = cwd;

    // Environment.
    std::vector<std::string> env = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root"};
    if (const char* term = host_getenv("TERM")) env.push_back(std::string("TERM=") + term);
    env.push_back("LANG=C.UTF-8");
    for (auto& kv : o.env) set_env(env, kv);

    // Tracing.
    if (o.records) {  // as the browser's worker does (ide/src/worker/machine.ts)
      k.records.enable(8192);
      record_syscall_shapes(k.records);
    }
    int strace_id = 0;
    if (o.strace) {
      strace_id = k.trace.subscribe([](const TraceEvent& ev) {
        std::string line;
        switch (ev.kind) {
          case TraceKind::SyscallExit: line = ev.text; break;
          case TraceKind::Exit:
            line = std::string("+++ ") + ev.text + " +++";
            break;
          case TraceKind::Fault: {
            const char* n = signal_name(ev.nr);
            char b[160];
            snprintf(b, sizeof b, "--- %s {si_addr=%#" PRIx64 "} (at %#" PRIx64 ") ---", n ? n : "signal", ev.args[0],
                     ev.args[1]);
            line = b;
            break;
          }
          default: return;
        }
        line += '\n';
        (void)!::write(2, line.data(), line.size());
      });
    }

    const std::string path = find_program(proc, o.prog[0], env_get(env, "PATH"));
    if (path.empty()) {
      fprintf(stderr, "glassbox: %s: command not found in the guest PATH\n", o.prog[0].c_str());
      return 127;
    }
    std::vector<std::string> argv = o.prog;
    e = proc.execve(path, argv, env, err);
    if (e < 0) {
      fprintf(stderr, "glassbox: %s\n", err.c_str());
      return e == -LX_ENOENT ? 127 : 126;
    }
    if (o.strace) {
      std::string line = "execve(" + quote_arg(path) + ", [";
      for (size_t j = 0; j < argv.size(); j++) line += (j ? ", " : "") + quote_arg(argv[j]);
      line += "], /* " + std::to_string(env.size()) + " vars */) = 0\n";
      (void)!::write(2, line.data(), line.size());
    }

    const uint64_t t0 = trace_now_ns();
    if (!console) {
      status = k.run_to_exit();
    } else {
      k.add_host_fds = [&term](std::vector<std::pair<int, short>>& fds) {
        for (const struct pollfd& pf : term.poll_fds()) fds.push_back({pf.fd, pf.events});
      };
      for (;;) {
        Kernel::RunResult r = k.run(1ull << 22);
        term.pump_input(*console);
        term.sync_winsize(*console);
        term.pump_output(*console);
        if (r.state == Kernel::RunResult::Done) break;
        if (term.input_eof() && !console->hung_up()) console->close_master();
        if (r.state == Kernel::RunResult::Idle) {
          k.idle_wait(r.wake_at_ns);
          term.pump_input(*console);
          term.sync_winsize(*console);
        }
      }
      term.pump_output(*console);
      console->close_master();
      term.restore();
      const int st = k.init_status;
      status = st < 0 ? 1 : (st & 0x7f) ? 128 + (st & 0x7f) : (st >> 8) & 0xff;
    }
    const uint64_t t1 = trace_now_ns();
    if (o.stats) {
      // "N instructions in T s (M MIPS)" first (bench/run.py reads it), then every other
      // counter of the machine (vm/base/counters.inc), then the first task's resident size.
      const double secs = (double)(t1 - t0) / 1e9;
      const uint64_t n = k.counters.instructions;
      char head[128];
      snprintf(head, sizeof head, "glassbox: stats: %" PRIu64 " instructions in %.3f s (%.1f MIPS)", n, secs,
               secs > 0 ? (double)n / secs / 1e6 : 0.0);
      std::string line = head;
      k.counters.each([&](const char* label, uint64_t v) {
        if (strcmp(label, "instructions") != 0) line += ", " + std::to_string(v) + " " + label;
      });
      if (jit_on) {
        char share[64];
        snprintf(share, sizeof share, ", jit compile share %.1f%%",
                 secs > 0 ? (double)k.counters.jit_compile_us / 1e4 / secs : 0.0);
        line += share;
        const jit::CacheUse cu = jit::cache_use();
        char cache[160];
        snprintf(cache, sizeof cache, ", jit cache %" PRIu64 " bytes in %u regions (peak %" PRIu64 " bytes; budget %" PRIu64
                 " bytes, %u regions), %" PRIu64 " jit evicted", cu.bytes, cu.regions, cu.peak_bytes, cu.limit_bytes,
                 cu.limit_regions, cu.evicted);
        line += cache;
      }
      char pool[128];
      snprintf(pool, sizeof pool, ", code pool %zu programs, %" PRIu64 " KiB of blocks (peak %" PRIu64 " KiB)",
               k.code_pool.size(), k.code_pool.bytes() >> 10, k.code_pool.peak_bytes() >> 10);
      line += pool;
      // The engine's own memory: its heap in use (malloc) and, in wasm, the linear memory
      // the module has grown to (every page of it touched once is a host page fault).
#ifdef __EMSCRIPTEN__
      line += ", " + std::to_string((uint64_t)mallinfo().uordblks >> 10) + " KiB malloc'd";
      line += ", " + std::to_string((uint64_t)__builtin_wasm_memory_size(0) * 64) + " KiB linear memory";
      {
        const int huge = cli_hugepages();  // tools/cli/node_host.js
        line += huge == 0 ? " (huge pages)" : huge < 0 ? " (4 KiB pages)" : " (4 KiB pages: madvise errno " + std::to_string(huge) + ")";
        char code_cache[160];
        cli_code_cache(code_cache, sizeof code_cache);
        line += std::string(", engine code cache ") + code_cache;
      }
#else
      line += ", " + std::to_string((uint64_t)mallinfo2().uordblks >> 10) + " KiB malloc'd";  // (mallinfo's ints wrap past 2 GB)
#endif
      line += ", " + std::to_string(proc.mem->resident_pages() * 4) + " KiB resident, tier: " +
              (jit_on ? std::string("jit") : std::string("interpreter")) + " (--jit=" + o.jit + ")";
      if (o.records) line += ", " + std::to_string(k.records.written()) + " trace records";
      line += "\n";
      fputs(line.c_str(), stderr);
    }
    if (strace_id) k.trace.unsubscribe(strace_id);
  }
  // Everything the guest wrote reaches the overlay before we go.
  if (ext2) {
    const int se = ext2->sync();
    if (se < 0) fprintf(stderr, "glassbox: writing the overlay failed: %s\n", errno_message(-se));
  }
  host_restore_terminal();
#if !defined(__SANITIZE_ADDRESS__)
  // The machine is not taken apart on the way out (its address spaces, the code pool's
  // blocks and compiled regions: 20-50 ms of frees on python3 -c pass and gcc, for memory
  // the process gives back whole). The overlay is synced and the terminal restored above;
  // the one destructor that would still write, Ext2Fs's storage stats line
  // (GLASSBOX_STORAGE_STATS), is printed here instead. The sanitizer build keeps the
  // teardown, so LeakSanitizer still sees it.
  if (ext2 && ext2->options().print_stats) {
    const std::string line = "glassbox: " + ext2->stats_line() + "\n";
    (void)!::write(2, line.data(), line.size());
  }
  fflush(nullptr);
  _exit(status);
#endif
  return status;
}

// The signals our caller left ignored (bit N: signal N), read before we change any.
static uint32_t caller_ignored_signals() {
  uint32_t set = 0;
  for (int sig = 1; sig < 32; sig++) {
    struct sigaction old;
    if (sig != SIGKILL && sig != SIGSTOP && sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN)
      set |= 1u << sig;
  }
  return set;
}

int main(int argc, char** argv) {
  const uint32_t host_ignored = caller_ignored_signals();
#ifndef __EMSCRIPTEN__
  signal(SIGPIPE, SIG_IGN);  // a closed host pipe becomes EPIPE (and the guest's SIGPIPE)
#endif
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "run") return cmd_run(std::vector<std::string>(args.begin() + 1, args.end()), host_ignored);
  return usage_error("unknown command '" + args[0] + "'");
}
