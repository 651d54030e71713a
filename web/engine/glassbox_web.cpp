// web/engine/glassbox_web.cpp — the engine's browser module: the gb_* exports that
// the engine worker (ide/src/worker/) drives (docs/ide.md, "The engine module"), over the real engine.
//
// Index
//   1. Host imports (web/engine-host.lib.js) and module state
//   2. gb_init: manifest -> ChunkedDevice (JsFetcher) -> OverlayDevice (memory)
//   3. The overlay <-> IndexedDB: gb_overlay_load / take_dirty / reply / settle
//   4. gb_boot: ext2 + Kernel + the login command on the console pty
//   5. gb_run / gb_next_timer_ms / gb_exit_status, the console (tty input, resize, output)
//   6. gb_fs: the editor's file operations, as the login user
//   7. gb_trace_*: the inspector's binary trace records (docs/inspector.md)
//   8. gb_spawn_*: a command run beside the terminal's, output and events collected (the
//      lessons' checks, docs/lessons.md)
//   9. gb_inspect: the inspector's state requests and control (pause, step, breakpoints)
//  10. gb_port_*: connections from the page to servers listening in the machine (the
//      preview, docs/preview.md), and the list of listening TCP ports
//
// Design notes
//   * This file lives outside vm/ (vm/ never includes web/ or ide/); it only uses the
//     engine's public headers, like tools/cli/main.cpp does.
//   * Chunks are fetched synchronously: ChunkedDevice calls JsFetcher, which calls the
//     worker's Module.glassboxFetchBatch (synchronous XMLHttpRequest). A page fault or an
//     ELF load in the middle of an instruction cannot park a task, so the engine thread
//     simply waits for the bytes; verification and gunzip stay in ChunkedDevice.
//     gb_chunk_arrived / gb_chunk_failed remain as no-ops for the protocol's shape.
//   * The ext2 file system is mounted in gb_boot, not gb_init, because the blocks a
//     previous session kept (gb_overlay_load) must be in the overlay before ext2 reads
//     its superblock and group descriptors.
//   * Persistence: the overlay runs in memory mode; its flush sink copies the blocks
//     changed since the last flush into `pending` (block -> bytes). Each sink call is one
//     whole Ext2Fs::sync(), so `pending` always holds the union of complete syncs: stored
//     together, it moves the disk from one consistent state to a later one. The worker
//     takes every pending block (gb_overlay_take_dirty moves them to `inflight`), writes
//     them in ONE IndexedDB transaction, and then calls gb_overlay_settle: committed ->
//     `inflight` is dropped; failed (quota, abort) -> its blocks go back to `pending`
//     (a newer copy already there wins), to be retried. Nothing leaves the engine before
//     its transaction has committed. Ext2Fs::sync() (metadata cache -> overlay -> sink)
//     runs when the guest goes idle, every ~2 s while it runs, after every mutating gb_fs,
//     and when the login shell exits.
//   * The numbers shared with the worker (gb_run bits, gb_fs op codes and flags) come from
//     web/engine/abi.json through the generated web_abi.h; errno names from gb_errno_name.
//   * TTY_WAIT is "idle with no unread console input": every task sleeps and the line
//     discipline holds nothing for the guest to read, so someone is waiting for the
//     keyboard (the shell's prompt). The kernel has no per-file wait reason to ask.
#include "vm/fs/chunked.h"
#include "vm/fs/ext2_vfs.h"
#include "vm/fs/json.h"
#include "vm/fs/overlay.h"
#include "vm/jit/jit.h"
#include "vm/linux/debug.h"
#include "vm/linux/inspect_state.h"
#include "vm/linux/kernel.h"
#include "vm/linux/net_inbound.h"
#include "vm/linux/net_out.h"
#include "vm/linux/rectrace.h"
#include "vm/linux/spawn.h"
#include "vm/linux/syscall.h"
#include "vm/linux/tty.h"
#include "web_abi.h"  // generated from web/engine/abi.json (web/engine/abi.cmake)

#include <emscripten.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace gb;
using namespace gb::web_abi;

// ---- 1. host imports and state ---------------------------------------------------------
extern "C" {
void gb_host_tty_output(const uint8_t* data, uint32_t len);
void gb_host_fs_changed(const char* dir);
}

namespace {

struct Login {
  std::vector<std::string> cmd{"/bin/bash", "--login"};
  std::vector<std::string> env;
  std::string cwd = "/";
  uint32_t uid = 0, gid = 0;
};

struct Engine {
  fs::Manifest manifest;
  std::string image_base;  // URL of the manifest's directory, ending in '/'
  Login login;
  uint16_t rows = 24, cols = 80;
  uint64_t mem_limit_bytes = 0;                // config mem_limit_mb; 0: the default budget
  std::string relay;                           // config relay: the Wisp relay (docs/networking.md)
  fs::OverlayDevice* overlay = nullptr;        // owned by `dev` until boot, then by ext2
  std::unique_ptr<fs::BlockDevice> dev;        // overlay over chunks, until gb_boot mounts it
  fs::ChunkedDevice* chunked = nullptr;        // under the overlay (its cache: the inspector's chunk map)
  std::shared_ptr<Ext2Fs> ext2;
  std::unique_ptr<Kernel> kernel;
  std::shared_ptr<Tty> console;
  std::string pending_input;                   // keyboard bytes the line discipline had no room for
  std::map<uint64_t, std::vector<uint8_t>> pending;   // overlay blocks to persist
  std::map<uint64_t, std::vector<uint8_t>> inflight;  // taken by the worker, not yet committed
  std::vector<uint8_t> overlay_reply, fs_reply;
  bool booted = false, exited = false, fs_as_user = false;
  int exit_status = 0;
  uint64_t wake_at_ns = 0;  // the last Idle result's deadline (0 = none)
  double last_sync_ms = 0;
  bool ran_since_sync = false;
  size_t trace_capacity = 0;  // gb_trace_enable before the kernel exists: applied at boot
  std::map<int, std::unique_ptr<Spawned>> spawns;  // gb_spawn handles
  int next_spawn = 1;
  std::string spawn_reply;
  Debugger dbg;               // the inspector's control (vm/linux/debug.h)
  int pinned_pid = 0;         // the process the student pinned (0: follow the terminal's foreground)
  std::string inspect_reply;  // gb_inspect's reply (vm/trace/state.h sections)
};
Engine* E = nullptr;

// The inspector attached: what was there before its records began (vm/trace/record.h):
// the syscall table's argument kinds, every process's open fds, and which chunks of the
// image the cache holds.
void record_attach_state() {
  Kernel& k = *E->kernel;
  if (!k.records.enabled()) return;
  record_syscall_shapes(k.records);
  record_fd_snapshot(k);
  if (const fs::ChunkedDevice* c = E->chunked)
    record_chunk_state(k.records, c->manifest().chunks.size(), [c](uint64_t i) { return c->cached(i); });
}

void log_err(const std::string& s) { fprintf(stderr, "glassbox: %s\n", s.c_str()); }

// Serialises a parsed JSON value back to text (Manifest::parse takes text).
void to_json(const fs::JsonValue& v, std::string& o) {
  switch (v.kind) {
    case fs::JsonValue::Null: o += "null"; break;
    case fs::JsonValue::Bool: o += v.b ? "true" : "false"; break;
    case fs::JsonValue::Number: {
      char b[40];
      if (v.is_int) snprintf(b, sizeof b, "%lld", (long long)v.i);
      else snprintf(b, sizeof b, "%.17g", v.num);
      o += b;
      break;
    }
    case fs::JsonValue::String: {
      o += '"';
      for (unsigned char c : v.str) {
        if (c == '"' || c == '\\') { o += '\\'; o += (char)c; }
        else if (c < 0x20) { char b[8]; snprintf(b, sizeof b, "\\u%04x", c); o += b; }
        else o += (char)c;
      }
      o += '"';
      break;
    }
    case fs::JsonValue::Array:
      o += '[';
      for (size_t i = 0; i < v.arr.size(); i++) { if (i) o += ','; to_json(v.arr[i], o); }
      o += ']';
      break;
    case fs::JsonValue::Object:
      o += '{';
      for (size_t i = 0; i < v.obj.size(); i++) {
        if (i) o += ',';
        fs::JsonValue k; k.kind = fs::JsonValue::String; k.str = v.obj[i].first;
        to_json(k, o);
        o += ':';
        to_json(v.obj[i].second, o);
      }
      o += '}';
      break;
  }
}

std::string json_str(const std::string& s) {
  fs::JsonValue v; v.kind = fs::JsonValue::String; v.str = s;
  std::string o; to_json(v, o); return o;
}

double now_ms() { return emscripten_get_now(); }

// Ext2 metadata -> overlay -> sink (-> E->pending).
void sync_fs() {
  if (!E || !E->ext2) return;
  const int rc = E->ext2->sync();
  if (rc < 0) log_err("syncing the file system failed: errno " + std::to_string(-rc));
  E->last_sync_ms = now_ms();
  E->ran_since_sync = false;
}

// Drains the console's output to the page.
bool drain_console() {
  if (!E || !E->console) return false;
  bool any = false;
  uint8_t buf[16384];
  for (;;) {
    const size_t n = E->console->master_read(buf, sizeof buf);
    if (n == 0) break;
    any = true;
    gb_host_tty_output(buf, (uint32_t)n);
  }
  return any;
}

void feed_input() {
  if (!E || !E->console || E->pending_input.empty()) return;
  const size_t n = E->console->master_write(E->pending_input.data(), E->pending_input.size());
  E->pending_input.erase(0, n);
}

// The followed process: the pinned one while it lives, else the leader of the terminal's
// foreground process group (the job the student is running; the shell at the prompt).
void update_target() {
  if (!E || !E->kernel) return;
  Kernel& k = *E->kernel;
  int pid = 0;
  if (E->pinned_pid) {
    Task* t = k.find_leader(E->pinned_pid);
    if (t && !t->exited) pid = t->pid;
  }
  if (!pid && E->console) {
    const int pg = E->console->fg_pgrp();
    if (Task* t = pg > 0 ? k.find_leader(pg) : nullptr) pid = t->pid;
  }
  E->dbg.target_pid = pid;
}

}  // namespace

extern "C" {

// ---- 2. gb_init ------------------------------------------------------------------------
// config: {"manifest": {...manifest.json...}, "image_base": "https://host/image/", "rows": R, "cols": C}
EMSCRIPTEN_KEEPALIVE int gb_init(const char* config_json) {
  if (E) return -LX_EBUSY;
  fs::JsonValue cfg;
  std::string err;
  if (!config_json || !fs::json_parse(config_json, &cfg, &err) || !cfg.is_object()) {
    log_err("gb_init: bad config: " + err);
    return -LX_EINVAL;
  }
  std::unique_ptr<Engine> e(new Engine());
  const fs::JsonValue* m = cfg.get("manifest");
  if (!m || !m->is_object()) { log_err("gb_init: no manifest"); return -LX_EINVAL; }
  std::string mtext;
  to_json(*m, mtext);
  if (!fs::Manifest::parse(mtext, &e->manifest, &err)) { log_err("gb_init: manifest: " + err); return -LX_EINVAL; }
  if (const fs::JsonValue* b = cfg.get("image_base"); b && b->is_string()) e->image_base = b->str;
  if (e->image_base.empty()) { log_err("gb_init: no image_base"); return -LX_EINVAL; }
  int64_t v;
  if (const fs::JsonValue* r = cfg.get("rows"); r && r->as_int(1, 1000, &v)) e->rows = (uint16_t)v;
  if (const fs::JsonValue* c = cfg.get("cols"); c && c->as_int(1, 1000, &v)) e->cols = (uint16_t)v;
  // The machine's guest memory in MiB (what the tab can hold; default 2 GiB): past it
  // mmap gets ENOMEM and page faults call the OOM killer (vm/linux/oom.cpp).
  if (const fs::JsonValue* c = cfg.get("mem_limit_mb"); c && c->as_int(16, 3072, &v))
    e->mem_limit_bytes = (uint64_t)v << 20;
  // Outbound network through a relay: the worker provides Module.glassboxNet (net_link.cpp).
  if (const fs::JsonValue* r = cfg.get("relay"); r && r->is_string()) e->relay = r->str;
  // The execution tier ("jit": "off" | "on"; docs/jit.md): the compiled modules are
  // instantiated by vm/jit/jit_host.cpp's EM_JS functions, part of this module as of the
  // node build (they use the module's own wasmMemory and wasmTable).
  if (const fs::JsonValue* j = cfg.get("jit"); j && j->is_string()) {
    jit::Mode mode;
    if (jit::parse_mode(j->str, mode) && mode != jit::Mode::Always) jit::configure(mode);
  }

  // The login command (manifest "login").
  if (const fs::JsonValue* l = m->get("login"); l && l->is_object()) {
    if (const fs::JsonValue* c = l->get("cmd"); c && c->is_array() && !c->arr.empty()) {
      e->login.cmd.clear();
      for (auto& a : c->arr)
        if (a.is_string()) e->login.cmd.push_back(a.str);
    }
    if (const fs::JsonValue* c = l->get("cwd"); c && c->is_string()) e->login.cwd = c->str;
    if (const fs::JsonValue* c = l->get("uid"); c && c->as_int(0, 0xffffffffll, &v)) e->login.uid = (uint32_t)v;
    if (const fs::JsonValue* c = l->get("gid"); c && c->as_int(0, 0xffffffffll, &v)) e->login.gid = (uint32_t)v;
    if (const fs::JsonValue* c = l->get("env"); c && c->is_object())
      for (auto& kv : c->obj)
        if (kv.second.is_string()) e->login.env.push_back(kv.first + "=" + kv.second.str);
  }
  if (e->login.env.empty()) e->login.env = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/", "TERM=xterm-256color", "LANG=C.UTF-8"};

  // chunks (fetched through the worker's synchronous Module.glassboxFetchBatch) -> overlay
  fs::ChunkedOptions co;
  co.cache_bytes = 96u << 20;
  std::unique_ptr<fs::ChunkedDevice> chunked;
  int rc = fs::ChunkedDevice::from_manifest(e->manifest, std::make_unique<fs::JsFetcher>(e->image_base), co, &chunked);
  if (rc != 0 || !chunked) { log_err("gb_init: chunked device: errno " + std::to_string(-rc)); return -LX_EINVAL; }
  uint32_t bs = e->manifest.fs_block_size ? e->manifest.fs_block_size : 4096;
  e->chunked = chunked.get();
  auto ov = fs::OverlayDevice::memory(std::move(chunked), bs);
  e->overlay = ov.get();
  Engine* ep = e.get();
  ov->set_flush_sink([ep](const std::vector<std::pair<uint64_t, const uint8_t*>>& blocks) {
    const uint32_t n = ep->overlay->block_size();
    for (auto& b : blocks) ep->pending[b.first].assign(b.second, b.second + n);
    return 0;
  });
  e->dev = std::move(ov);
  E = e.release();
  return 0;
}

// ---- 3. overlay <-> IndexedDB ---------------------------------------------------------
EMSCRIPTEN_KEEPALIVE uint32_t gb_overlay_block_size(void) { return E && E->overlay ? E->overlay->block_size() : 0; }

EMSCRIPTEN_KEEPALIVE int gb_overlay_load(uint32_t block_lo, uint32_t block_hi, const uint8_t* data) {
  if (!E || !E->overlay) return -LX_EINVAL;
  if (E->booted) return -LX_EBUSY;
  const uint64_t blk = (uint64_t)block_hi << 32 | block_lo;
  if ((blk + 1) * E->overlay->block_size() > E->overlay->size()) return -LX_EINVAL;
  const int rc = E->overlay->put_block(blk, data);
  return rc < 0 ? rc : 0;
}

// Copies up to max_blocks pending blocks into the reply buffer and moves them to
// `inflight`. The worker calls it until it returns 0 (every pending block taken), stores
// what it got in one transaction, then calls gb_overlay_settle with the outcome.
EMSCRIPTEN_KEEPALIVE int gb_overlay_take_dirty(uint32_t max_blocks) {
  if (!E || !E->overlay) return 0;
  if (E->pending.empty() && E->inflight.empty()) sync_fs();
  const uint32_t bs = E->overlay->block_size();
  const size_t n = std::min<size_t>(max_blocks, E->pending.size());
  E->overlay_reply.resize(n * (kOverlayRecordHeader + bs));
  uint8_t* o = E->overlay_reply.data();
  auto it = E->pending.begin();
  for (size_t i = 0; i < n; i++) {
    const uint32_t lo = (uint32_t)it->first, hi = (uint32_t)(it->first >> 32);
    memcpy(o, &lo, 4);
    memcpy(o + 4, &hi, 4);
    memcpy(o + kOverlayRecordHeader, it->second.data(), bs);
    o += kOverlayRecordHeader + bs;
    E->inflight[it->first] = std::move(it->second);
    it = E->pending.erase(it);
  }
  return (int)n;
}

// The outcome of the transaction holding every block taken since the last settle:
// committed (1) drops them; failed (0) puts them back into `pending` unless a newer copy
// of the block is already there. Returns the number of blocks still to persist.
EMSCRIPTEN_KEEPALIVE int gb_overlay_settle(int committed) {
  if (!E) return 0;
  if (!committed)
    for (auto& b : E->inflight) E->pending.emplace(b.first, std::move(b.second));
  E->inflight.clear();
  return (int)std::min<size_t>(E->pending.size(), 0x7fffffff);
}

// Linux's name for an errno value ("ENOENT"), or NULL: the worker's error codes.
EMSCRIPTEN_KEEPALIVE const char* gb_errno_name(int e) { return errno_name(e < 0 ? -e : e); }

EMSCRIPTEN_KEEPALIVE const uint8_t* gb_overlay_reply(void) { return E ? E->overlay_reply.data() : nullptr; }

// ---- 4. gb_boot -------------------------------------------------------------------------
EMSCRIPTEN_KEEPALIVE int gb_boot(void) {
  if (!E || !E->dev) return -LX_EINVAL;
  if (E->booted) return -LX_EBUSY;
  std::string err;
  Ext2FsOptions eo;
  E->ext2 = Ext2Fs::mount(std::move(E->dev), eo, err);
  if (!E->ext2) { log_err("mounting the image failed: " + err); return -LX_EIO; }
  E->booted = true;

  KernelOptions ko;
  ko.mem_limit_bytes = E->mem_limit_bytes;
  E->kernel.reset(new Kernel(E->ext2, ko));
  Kernel& k = *E->kernel;
  if (!E->relay.empty()) {
    NetOptions no;
    no.relay = E->relay;
    k.enable_net(no);
  }
  Kernel* kp = &k;
  Engine* ep = E;
  E->ext2->set_creds([kp, ep](uint32_t* uid, uint32_t* gid) {
    if (ep->fs_as_user) { *uid = ep->login.uid; *gid = ep->login.gid; return; }
    *uid = kp->current ? kp->current->euid : 0;
    *gid = kp->current ? kp->current->egid : 0;
  });
  attach_ext2_trace(k, *E->ext2);
  for (auto& w : k.mount_standard()) log_err("warning: " + w);

  // The login process: a session leader with the console pty (/dev/pts/0) as fds 0-2 and
  // controlling terminal; the kernel's TtyHost does job control and signals.
  Task& p = *k.create_init(100);
  p.uid = p.euid = p.suid = E->login.uid;
  p.gid = p.egid = p.sgid = E->login.gid;
  E->console = attach_console(p, E->rows, E->cols);
  if (E->trace_capacity) {
    k.records.enable(E->trace_capacity);
    record_attach_state();
  }
  k.debugger = &E->dbg;
  k.console = E->console;  // Kernel::alert (the OOM killer) prints to the student's terminal
  if (!E->console) { log_err("opening the console failed"); return -LX_EIO; }
  int rc;

  Loc cwd;
  rc = p.resolve_at(LAT_FDCWD, E->login.cwd, true, cwd);
  if (rc == 0 && cwd.node->is_dir()) p.cwd = cwd;
  else log_err("login cwd " + E->login.cwd + " not found; starting in /");

  rc = p.execve(E->login.cmd[0], E->login.cmd, E->login.env, err);
  if (rc < 0) {
    log_err("starting " + E->login.cmd[0] + " failed: " + err);
    const std::string msg = "glassbox: cannot start " + E->login.cmd[0] + ": " + err + "\r\n";
    gb_host_tty_output((const uint8_t*)msg.data(), (uint32_t)msg.size());
    return rc;
  }
  E->last_sync_ms = now_ms();
  return 0;
}

// ---- 5. running, the console ---------------------------------------------------------------
EMSCRIPTEN_KEEPALIVE int gb_run(uint32_t slice_ms) {
  if (!E || !E->kernel) return kRunIdle;
  if (E->exited) return kRunExited | kRunIdle;
  Kernel& k = *E->kernel;
  const double t0 = now_ms();
  int bits = 0;
  for (;;) {
    feed_input();
    // Stopped by the inspector: nothing runs; keyboard bytes wait in the line discipline
    // (and in pending_input beyond its room) until the machine resumes.
    if (E->dbg.halted) { drain_console(); bits |= kRunIdle | kRunPaused; break; }
    update_target();
    const Kernel::RunResult r = k.run(Kernel::kSlice * 5);
    E->ran_since_sync = true;
    const bool out = drain_console();
    if (r.state == Kernel::RunResult::Done) {
      drain_console();
      E->exited = true;
      const int st = k.init_status;
      E->exit_status = st < 0 ? 0 : (st & 0x7f) == 0 ? (st >> 8) & 0xff : 128 + (st & 0x7f);
      sync_fs();
      bits |= kRunExited | kRunIdle;
      break;
    }
    if (E->dbg.halted) { bits |= kRunIdle | kRunPaused; break; }  // a breakpoint or a step ended
    if (r.state == Kernel::RunResult::Idle) {
      // Draining output or feeding input may have let a parked task continue.
      if (out || !E->pending_input.empty()) {
        const size_t before = E->pending_input.size();
        feed_input();
        if (out || E->pending_input.size() != before) {
          if (now_ms() - t0 < slice_ms) continue;
          break;  // not idle: come back soon
        }
      }
      E->wake_at_ns = r.wake_at_ns;
      bits |= kRunIdle;
      if (E->console && E->console->input_available() == 0) bits |= kRunTtyWait;
      if (E->ran_since_sync) sync_fs();
      break;
    }
    if (now_ms() - t0 >= slice_ms) break;
  }
  if (!(bits & kRunIdle) && E->ran_since_sync && now_ms() - E->last_sync_ms > 2000) sync_fs();
  if (!E->pending.empty()) bits |= kRunOverlayDirty;
  return bits;
}

EMSCRIPTEN_KEEPALIVE int gb_next_timer_ms(void) {
  if (!E || !E->wake_at_ns || E->dbg.halted) return -1;  // paused: only the page wakes it
  const uint64_t now = Task::now_ns();
  if (E->wake_at_ns <= now) return 0;
  const uint64_t ms = (E->wake_at_ns - now + 999999) / 1000000;
  return ms > 0x7fffffff ? 0x7fffffff : (int)ms;
}

EMSCRIPTEN_KEEPALIVE int gb_exit_status(void) { return E ? E->exit_status : 0; }

EMSCRIPTEN_KEEPALIVE void gb_tty_input(const uint8_t* data, uint32_t len) {
  if (!E || !E->console || !len) return;
  E->pending_input.append((const char*)data, len);
  feed_input();
}

EMSCRIPTEN_KEEPALIVE void gb_tty_resize(uint32_t rows, uint32_t cols) {
  if (!E) return;
  E->rows = (uint16_t)std::min<uint32_t>(rows, 0xffff);
  E->cols = (uint16_t)std::min<uint32_t>(cols, 0xffff);
  if (E->console) E->console->set_winsize(E->rows, E->cols);
}

// Chunks are fetched synchronously (see the design notes): nothing to do.
EMSCRIPTEN_KEEPALIVE void gb_chunk_arrived(uint32_t, const uint8_t*, uint32_t) {}
EMSCRIPTEN_KEEPALIVE void gb_chunk_failed(uint32_t, int) {}

// ---- 7. the inspector's trace records -------------------------------------------------
// The worker enables the record ring when the page opens the inspector, then after every
// gb_run copies the records out (gb_trace_take) into the page's shared ring. Off (the
// default) the engine pays one branch per producer.
EMSCRIPTEN_KEEPALIVE int gb_trace_enable(uint32_t capacity) {
  if (!E) return -LX_EINVAL;
  if (capacity > (1u << 16)) return -LX_EINVAL;
  E->trace_capacity = capacity;
  if (E->kernel) {
    E->kernel->records.enable(capacity);
    record_attach_state();
  }
  return 0;
}

// Copies up to `max` records (256 bytes each) into `out`; returns how many.
EMSCRIPTEN_KEEPALIVE uint32_t gb_trace_take(uint8_t* out, uint32_t max) {
  if (!E || !E->kernel) return 0;
  return (uint32_t)E->kernel->records.take(reinterpret_cast<TraceRecord*>(out), max);
}

// Records the engine's ring overwrote before the worker took them.
EMSCRIPTEN_KEEPALIVE uint32_t gb_trace_dropped(void) {
  return E && E->kernel ? (uint32_t)E->kernel->records.dropped() : 0;
}

// ---- 9. the inspector's state requests and control ------------------------------------
// gb_inspect(request JSON) -> reply length; the reply (gb_inspect_reply) is tagged
// sections (vm/trace/state.h). Requests (addresses are strings: "0x401000", JSON numbers
// lose bits past 2^53):
//   {"op":"state", "tid":0, "code_before":64, "code_after":192, "mem_addr":"0x..", "mem_len":256,
//    "maps":true, "blocks":64, "regions":500}                    registers, code, memory, maps, blocks, regions
//   {"op":"memory", "tid":0, "addr":"0x..", "len":N}              a Memory section
//   {"op":"symbols", "path":"/home/student/hello"}                a program's symbols
//   {"op":"region", "tid":0, "addr":"0x.."}                       the compiled region holding that
//                                                                 block (x86, wasm, listing) or an Error
//   {"op":"pause"} {"op":"resume"} {"op":"step","tid":0} {"op":"over","tid":0} {"op":"out","tid":0}
//   {"op":"syscall","tid":0}
//   {"op":"follow", "pid":N}                                      pin a process (0: the foreground job)
//   {"op":"break", "addrs":["0x.."], "paths":[{"path":"..","vaddr":"0x..","pie":true}], "syscalls":["write"],
//    "lines":[{"path":"/home/student/hello","file":"hello.c","line":5}], "signals":["SIGSEGV"]}
//                                                                 replaces every breakpoint
// Control requests answer with the state of the task they concern (as "state").
EMSCRIPTEN_KEEPALIVE int gb_inspect(const char* req_json) {
  if (!E || !E->kernel) return -LX_EAGAIN;
  Kernel& k = *E->kernel;
  Debugger& d = E->dbg;
  fs::JsonValue q;
  if (!req_json || !fs::json_parse(req_json, &q) || !q.is_object()) return -LX_EINVAL;
  const fs::JsonValue* opv = q.get("op");
  if (!opv || !opv->is_string()) return -LX_EINVAL;
  const std::string& op = opv->str;
  auto num = [&](const char* key, int64_t lo, int64_t hi, int64_t dflt) {
    int64_t v;
    const fs::JsonValue* x = q.get(key);
    return x && x->as_int(lo, hi, &v) ? v : dflt;
  };
  auto addr_of = [](const fs::JsonValue* x, uint64_t* out) {
    if (!x) return false;
    if (x->is_string()) { char* end = nullptr; *out = strtoull(x->str.c_str(), &end, 0); return end && *end == 0 && !x->str.empty(); }
    int64_t v;
    if (x->as_int(0, INT64_MAX, &v)) { *out = (uint64_t)v; return true; }
    return false;
  };
  update_target();
  StateRequest sr;
  sr.tid = (int)num("tid", 0, 1 << 30, 0);
  std::string& out = E->inspect_reply;
  out.clear();
  int rc = 0;
  try {
    if (op == "memory") {
      uint64_t a = 0;
      if (!addr_of(q.get("addr"), &a)) return -LX_EINVAL;
      inspect_memory(k, d, sr.tid, a, (uint32_t)num("len", 0, 65536, 256), out);
      return (int)out.size();
    }
    if (op == "region") {
      uint64_t a = 0;
      if (!addr_of(q.get("addr"), &a)) return -LX_EINVAL;
      inspect_region(k, d, sr.tid, a, out);
      return (int)out.size();
    }
    if (op == "symbols") {
      const fs::JsonValue* p = q.get("path");
      if (!p || !p->is_string()) return -LX_EINVAL;
      inspect_symbols(k, p->str, out);
      return (int)out.size();
    }
    if (op == "pause") {
      if (!d.halted) {
        Task* t = k.find_leader(d.target_pid);
        d.pause(t ? t->pid : 0, t ? t->tid : 0);
      }
    } else if (op == "resume") {
      d.resume(k);
    } else if (op == "step" || op == "over" || op == "out" || op == "syscall") {
      Task* t = inspect_task(k, d, sr.tid);
      if (!t) { rc = -LX_ESRCH; }
      else if (op == "step") d.step(k, t->tid);
      else if (op == "over") d.step_over(k, t->tid);
      else if (op == "out") d.step_out(k, t->tid);
      else d.run_to_syscall(k, t->tid);
      sr.tid = t ? t->tid : 0;
    } else if (op == "follow") {
      E->pinned_pid = (int)num("pid", 0, 1 << 30, 0);
      update_target();
    } else if (op == "break") {
      d.addr_breaks.clear();
      d.path_breaks.clear();
      d.syscall_breaks.clear();
      d.line_breaks.clear();
      d.signal_breaks.clear();
      d.breakpoints_changed();
      if (const fs::JsonValue* a = q.get("lines"); a && a->is_array())
        for (auto& x : a->arr) {
          const fs::JsonValue* p = x.get("path");
          const fs::JsonValue* f = x.get("file");
          int64_t line = 0;
          const fs::JsonValue* l = x.get("line");
          if (!p || !p->is_string() || !f || !f->is_string() || !l || !l->as_int(1, 1 << 24, &line)) continue;
          d.line_breaks.push_back({p->str, f->str, (uint32_t)line});
        }
      if (const fs::JsonValue* a = q.get("signals"); a && a->is_array())
        for (auto& x : a->arr) {
          if (!x.is_string()) continue;
          for (int sig = 1; sig < 32; sig++) {
            const char* n = signal_name(sig);
            if (n && x.str == n) { d.signal_breaks.push_back(sig); break; }
          }
        }
      if (const fs::JsonValue* a = q.get("addrs"); a && a->is_array())
        for (auto& x : a->arr) { uint64_t v; if (addr_of(&x, &v)) d.addr_breaks.push_back(v); }
      if (const fs::JsonValue* a = q.get("paths"); a && a->is_array())
        for (auto& x : a->arr) {
          const fs::JsonValue* p = x.get("path");
          Debugger::PathBreak b;
          if (!p || !p->is_string() || !addr_of(x.get("vaddr"), &b.vaddr)) continue;
          b.path = p->str;
          const fs::JsonValue* pie = x.get("pie");
          b.pie = pie && pie->is_bool() && pie->b;
          d.path_breaks.push_back(b);
        }
      if (const fs::JsonValue* a = q.get("syscalls"); a && a->is_array())
        for (auto& x : a->arr) {
          if (!x.is_string()) continue;
          for (uint32_t nr = 0; nr < 512; nr++) {
            const char* n = SyscallTable::name(nr);
            if (n && x.str == n) { d.syscall_breaks.push_back(nr); break; }
          }
        }
    } else if (op != "state") {
      return -LX_EINVAL;
    }
    if (rc < 0) return rc;
    // the state of the task concerned
    sr.code_before = (uint32_t)num("code_before", 0, 2048, 64);
    sr.code_after = (uint32_t)num("code_after", 0, 2048, 192);
    addr_of(q.get("mem_addr"), &sr.mem_addr);
    sr.mem_len = (uint32_t)num("mem_len", 0, 65536, 0);
    const fs::JsonValue* m = q.get("maps");
    sr.maps = !m || !m->is_bool() || m->b;
    sr.blocks = (uint32_t)num("blocks", 0, 4096, 0);
    sr.regions = (uint32_t)num("regions", 0, 4096, 0);
    inspect_state(k, d, E->pinned_pid != 0, sr, out);
  } catch (...) {
    return -LX_EIO;
  }
  return (int)out.size();
}

EMSCRIPTEN_KEEPALIVE const uint8_t* gb_inspect_reply(void) {
  return E ? (const uint8_t*)E->inspect_reply.data() : nullptr;
}

}  // extern "C"

// ---- 6. gb_fs ---------------------------------------------------------------------------------
namespace {

const char* type_of(uint32_t mode) {
  switch (mode & LS_IFMT) {
    case LS_IFREG: return "file";
    case LS_IFDIR: return "dir";
    case LS_IFLNK: return "symlink";
    default: return "other";
  }
}

// The login user's access to an inode: `want` = 4 read, 2 write, 1 search/exec.
bool may(const InodeRef& n, int want) {
  Stat st;
  if (n->getattr(st) < 0) return false;
  const uint32_t uid = E->login.uid, gid = E->login.gid;
  if (uid == 0) return true;
  int bits;
  if (st.uid == uid) bits = (st.mode >> 6) & 7;
  else if (st.gid == gid) bits = (st.mode >> 3) & 7;
  else bits = st.mode & 7;
  return (bits & want) == want;
}

int resolve(const std::string& path, bool follow, Loc& out) {
  if (path.empty() || path[0] != '/') return -LX_EINVAL;
  Kernel& k = *E->kernel;
  ResolveOpts o;
  o.follow = follow;
  const Loc root = k.vfs.root();
  return k.vfs.resolve(root, root, path, o, out);
}

int resolve_parent(const std::string& path, Loc& dir, std::string& last) {
  if (path.empty() || path[0] != '/') return -LX_EINVAL;
  Kernel& k = *E->kernel;
  const Loc root = k.vfs.root();
  int rc = k.vfs.resolve_parent(root, root, path, dir, last);
  if (rc < 0) return rc;
  if (last.empty() || last == "." || last == "..") return -LX_EINVAL;
  if (!dir.node->is_dir()) return -LX_ENOTDIR;
  return 0;
}

std::string stat_json(const Stat& st, bool full) {
  char b[256];
  if (full)
    snprintf(b, sizeof b, "{\"type\":\"%s\",\"size\":%lld,\"mode\":%u,\"mtime\":%lld,\"uid\":%u,\"gid\":%u}",
             type_of(st.mode), (long long)st.size, st.mode & 07777, (long long)st.mtime.sec, st.uid, st.gid);
  else
    snprintf(b, sizeof b, "\"type\":\"%s\",\"size\":%lld,\"mode\":%u,\"mtime\":%lld", type_of(st.mode),
             (long long)st.size, st.mode & 07777, (long long)st.mtime.sec);
  return b;
}

int reply_text(const std::string& s) {
  E->fs_reply.assign(s.begin(), s.end());
  return (int)s.size();
}

int remove_tree(const Loc& dir, const std::string& name, int depth) {
  InodeRef n;
  int rc = dir.node->lookup(name, n);
  if (rc < 0) return rc;
  if (!n->is_dir()) return dir.node->unlink(name);
  if (depth > 64) return -LX_ELOOP;
  if (!may(n, 3)) return -LX_EACCES;
  std::vector<DirEntry> ents;
  rc = n->readdir(ents);
  if (rc < 0) return rc;
  Loc sub{n, Vfs::join(dir.path, name)};
  for (auto& d : ents) {
    if (d.name == "." || d.name == "..") continue;
    rc = remove_tree(sub, d.name, depth + 1);
    if (rc < 0) return rc;
  }
  return dir.node->rmdir(name);
}

int fs_op(uint32_t op, const std::string& path, const std::string& path2, const uint8_t* data, uint32_t len,
          uint32_t flags) {
  Loc l;
  int rc;
  switch (op) {
    case kFsOpList: {
      if ((rc = resolve(path, true, l)) < 0) return rc;
      if (!l.node->is_dir()) return -LX_ENOTDIR;
      if (!may(l.node, 5)) return -LX_EACCES;
      std::vector<DirEntry> ents;
      if ((rc = l.node->readdir(ents)) < 0) return rc;
      std::string o = "[";
      bool first = true;
      for (auto& d : ents) {
        if (d.name == "." || d.name == "..") continue;
        InodeRef c;
        Stat st;
        if (l.node->lookup(d.name, c) < 0 || c->getattr(st) < 0) continue;
        if (!first) o += ',';
        first = false;
        o += "{\"name\":" + json_str(d.name) + "," + stat_json(st, false) + "}";
      }
      return reply_text(o + "]");
    }
    case kFsOpStat: {
      if ((rc = resolve(path, false, l)) < 0) return rc;
      Stat st;
      if ((rc = l.node->getattr(st)) < 0) return rc;
      return reply_text(stat_json(st, true));
    }
    case kFsOpRead: {
      if ((rc = resolve(path, true, l)) < 0) return rc;
      if (l.node->is_dir()) return -LX_EISDIR;
      if (!l.node->is_reg()) return -LX_EINVAL;
      if (!may(l.node, 4)) return -LX_EACCES;
      Stat st;
      if ((rc = l.node->getattr(st)) < 0) return rc;
      if (st.size > (256ll << 20)) return -LX_EFBIG;
      E->fs_reply.resize((size_t)st.size);
      uint64_t off = 0;
      while (off < E->fs_reply.size()) {
        const int64_t n = l.node->read(off, E->fs_reply.data() + off, E->fs_reply.size() - off);
        if (n < 0) return (int)n;
        if (n == 0) break;
        off += (uint64_t)n;
      }
      E->fs_reply.resize(off);
      return (int)off;
    }
    case kFsOpWrite: {
      Loc dir;
      std::string last;
      if ((rc = resolve_parent(path, dir, last)) < 0) return rc;
      InodeRef n;
      rc = dir.node->lookup(last, n);
      if (rc == 0) {
        if (n->is_dir()) return -LX_EISDIR;
        if (!n->is_reg()) {  // a symlink: write through it
          Loc t;
          if ((rc = resolve(path, true, t)) < 0) return rc;
          n = t.node;
          if (n->is_dir()) return -LX_EISDIR;
          if (!n->is_reg()) return -LX_EINVAL;
        }
        if (!may(n, 2)) return -LX_EACCES;
        if ((rc = n->truncate(0)) < 0) return rc;
      } else if (rc == -LX_ENOENT) {
        if (!may(dir.node, 3)) return -LX_EACCES;
        const uint32_t mode = (flags & kFsFlagModeMask) ? (flags & kFsFlagModeMask) : 0644;
        if ((rc = dir.node->create(last, LS_IFREG | mode, n)) < 0) return rc;
      } else {
        return rc;
      }
      uint64_t off = 0;
      while (off < len) {
        const int64_t w = n->write(off, data + off, len - off);
        if (w < 0) return (int)w;
        if (w == 0) return -LX_EIO;
        off += (uint64_t)w;
      }
      E->fs_reply.clear();
      return 0;
    }
    case kFsOpMkdir: {
      Loc dir;
      std::string last;
      if ((rc = resolve_parent(path, dir, last)) < 0) return rc;
      if (!may(dir.node, 3)) return -LX_EACCES;
      const uint32_t mode = (flags & kFsFlagModeMask) ? (flags & kFsFlagModeMask) : 0755;
      if ((rc = dir.node->mkdir(last, LS_IFDIR | mode)) < 0) return rc;
      E->fs_reply.clear();
      return 0;
    }
    case kFsOpDelete: {
      Loc dir;
      std::string last;
      if ((rc = resolve_parent(path, dir, last)) < 0) return rc;
      if (!may(dir.node, 3)) return -LX_EACCES;
      InodeRef n;
      if ((rc = dir.node->lookup(last, n)) < 0) return rc;
      if (n->is_dir()) rc = (flags & kFsFlagRecursive) ? remove_tree(dir, last, 0) : dir.node->rmdir(last);
      else rc = dir.node->unlink(last);
      if (rc < 0) return rc;
      E->fs_reply.clear();
      return 0;
    }
    case kFsOpRename: {
      Loc d1, d2;
      std::string n1, n2;
      if ((rc = resolve_parent(path, d1, n1)) < 0) return rc;
      if ((rc = resolve_parent(path2, d2, n2)) < 0) return rc;
      if (d1.node->fs() != d2.node->fs()) return -LX_EXDEV;
      if (!may(d1.node, 3) || !may(d2.node, 3)) return -LX_EACCES;
      if ((rc = d1.node->rename(n1, *d2.node, n2, 0)) < 0) return rc;
      E->fs_reply.clear();
      return 0;
    }
  }
  return -LX_EINVAL;
}

}  // namespace

extern "C" {

EMSCRIPTEN_KEEPALIVE int gb_fs(uint32_t op, const char* path, const char* path2, const uint8_t* data, uint32_t len,
                               uint32_t flags) {
  if (!E || !E->kernel) return -LX_EAGAIN;
  E->fs_reply.clear();
  E->fs_as_user = true;
  int rc;
  try {
    rc = fs_op(op, path ? path : "", path2 ? path2 : "", data, len, flags);
  } catch (...) {
    rc = -LX_EIO;
  }
  E->fs_as_user = false;
  if (rc >= 0 && (op == kFsOpWrite || op == kFsOpMkdir || op == kFsOpDelete || op == kFsOpRename)) {
    E->kernel->waits.wake();  // a guest poll on the directory may care
    sync_fs();
    const std::string p = path ? path : "";
    const std::string dir = Vfs::dirname(p);
    gb_host_fs_changed(dir.c_str());
  }
  return rc;
}

EMSCRIPTEN_KEEPALIVE const uint8_t* gb_fs_reply(void) {
  static uint8_t empty = 0;
  return E && !E->fs_reply.empty() ? E->fs_reply.data() : &empty;
}

}  // extern "C"

// ---- 8. gb_spawn: commands beside the terminal's ---------------------------------------------
// A lesson's check runs a command in a fresh process of the student's machine (their uid,
// files and environment), not on their terminal: gb_spawn starts it (vm/linux/spawn.h),
// gb_run runs it with every other task, and the worker calls gb_spawn_poll after each
// slice until the reply (JSON) is ready; the worker owns the timeout (gb_spawn_kill).
//
//   spec:  {"argv": [...], "env": [...]?, "cwd": "..."?, "stdin": "..."?, "cap": N?,
//           "events": bool?, "uid": N?, "gid": N?}  (env, cwd, uid and gid default to
//           the login's; a uid alone sets the gid to the same number)
//   gb_spawn_take: the output so far, for callers that stream it (the JavaScript API)
//   reply: {"status": WAIT_STATUS, "code": N|null, "signal": "SIGSEGV"|null,
//           "stdout": "...", "stderr": "...", "stdoutTruncated": b, "stderrTruncated": b,
//           "events": [{"kind", "pid", "nr", "ret", "text"}], "eventsTruncated": b}
namespace {

std::string spawn_reply_json(const Spawned& s) {
  const int st = s.wait_status;
  const bool sig = (st & 0x7f) != 0;
  std::string o = "{\"status\":" + std::to_string(st);
  o += ",\"code\":" + (sig ? std::string("null") : std::to_string((st >> 8) & 0xff));
  const char* sn = sig ? signal_name(st & 0x7f) : nullptr;
  o += ",\"signal\":" + (sig ? json_str(sn ? sn : std::to_string(st & 0x7f)) : std::string("null"));
  o += ",\"stdout\":" + json_str(s.out) + ",\"stderr\":" + json_str(s.err);
  o += std::string(",\"stdoutTruncated\":") + (s.out_truncated ? "true" : "false");
  o += std::string(",\"stderrTruncated\":") + (s.err_truncated ? "true" : "false");
  o += ",\"events\":[";
  for (size_t i = 0; i < s.events.size(); i++) {
    const SpawnEvent& e = s.events[i];
    if (i) o += ',';
    o += "{\"kind\":" + json_str(e.kind) + ",\"pid\":" + std::to_string(e.pid) + ",\"nr\":" + std::to_string(e.nr) +
         ",\"ret\":" + std::to_string(e.ret) + ",\"text\":" + json_str(e.text) + "}";
  }
  o += std::string("],\"eventsTruncated\":") + (s.events_truncated ? "true" : "false") + "}";
  return o;
}

}  // namespace

extern "C" {

// Starts a command. Returns a handle (> 0), or -errno with the reason in gb_spawn_reply
// ({"error": "..."}).
EMSCRIPTEN_KEEPALIVE int gb_spawn(const char* spec_json) {
  if (!E) return -LX_EINVAL;
  E->spawn_reply.clear();
  const auto fail = [](int e, const std::string& why) {
    E->spawn_reply = "{\"error\":" + json_str(why) + "}";
    return e;
  };
  if (!E->kernel) return fail(-LX_EAGAIN, "the machine has not started");
  if (E->spawns.size() >= 16) return fail(-LX_EAGAIN, "too many commands running");
  fs::JsonValue v;
  std::string err;
  if (!spec_json || !fs::json_parse(spec_json, &v, &err) || !v.is_object()) return fail(-LX_EINVAL, "bad spec: " + err);
  SpawnSpec spec;
  spec.uid = E->login.uid;
  spec.gid = E->login.gid;
  spec.cwd = E->login.cwd;
  spec.env = E->login.env;
  const fs::JsonValue* a = v.get("argv");
  if (!a || !a->is_array() || a->arr.empty()) return fail(-LX_EINVAL, "spec: argv must be a non-empty array");
  for (auto& x : a->arr) {
    if (!x.is_string()) return fail(-LX_EINVAL, "spec: argv must hold strings");
    spec.argv.push_back(x.str);
  }
  if (const fs::JsonValue* e = v.get("env"); e && e->is_array()) {
    spec.env.clear();
    for (auto& x : e->arr)
      if (x.is_string()) spec.env.push_back(x.str);
  }
  if (const fs::JsonValue* c = v.get("cwd"); c && c->is_string()) spec.cwd = c->str;
  int64_t id;
  if (const fs::JsonValue* c = v.get("uid"); c && c->as_int(0, 65535, &id)) spec.uid = spec.gid = (uint32_t)id;
  if (const fs::JsonValue* c = v.get("gid"); c && c->as_int(0, 65535, &id)) spec.gid = (uint32_t)id;
  if (const fs::JsonValue* c = v.get("stdin"); c && c->is_string()) spec.stdin_data = c->str;
  int64_t n;
  if (const fs::JsonValue* c = v.get("cap"); c && c->as_int(0, 16 << 20, &n)) spec.out_cap = (size_t)n;
  if (const fs::JsonValue* c = v.get("events"); c && c->is_bool()) spec.capture_events = c->b;
  auto s = Spawned::start(*E->kernel, spec, err);
  if (!s) return fail(-LX_ENOENT, err);
  const int h = E->next_spawn++;
  E->spawns[h] = std::move(s);
  return h;
}

// 0 while the command runs; when it has ended, the length of its reply (gb_spawn_reply)
// and the handle is gone. -EINVAL for an unknown handle.
EMSCRIPTEN_KEEPALIVE int gb_spawn_poll(int h) {
  if (!E) return -LX_EINVAL;
  auto it = E->spawns.find(h);
  if (it == E->spawns.end()) return -LX_EINVAL;
  Spawned& s = *it->second;
  s.pump();
  if (!s.done()) return 0;
  E->spawn_reply = spawn_reply_json(s);
  E->spawns.erase(it);
  return (int)E->spawn_reply.size();
}

// Streaming: the output collected since the last take, as {"pid": N, "stdout": "...",
// "stderr": "..."}, and forgets it (the cap then bounds only what nobody took yet).
// Returns the reply's length (gb_spawn_reply), or -EINVAL for an unknown handle.
EMSCRIPTEN_KEEPALIVE int gb_spawn_take(int h) {
  if (!E) return -LX_EINVAL;
  auto it = E->spawns.find(h);
  if (it == E->spawns.end()) return -LX_EINVAL;
  Spawned& s = *it->second;
  s.pump();
  E->spawn_reply = "{\"pid\":" + std::to_string(s.pid) + ",\"stdout\":" + json_str(s.out) + ",\"stderr\":" + json_str(s.err) + "}";
  s.out.clear();
  s.err.clear();
  return (int)E->spawn_reply.size();
}

// SIGKILL to the command's process group (a timeout); gb_spawn_poll then reports it.
EMSCRIPTEN_KEEPALIVE int gb_spawn_kill(int h) {
  if (!E) return -LX_EINVAL;
  auto it = E->spawns.find(h);
  if (it == E->spawns.end()) return -LX_EINVAL;
  it->second->kill();
  return 0;
}

EMSCRIPTEN_KEEPALIVE const char* gb_spawn_reply(void) { return E ? E->spawn_reply.c_str() : ""; }

}  // extern "C"

// ---- 10. gb_port_*: the preview's connections into the machine ---------------------------------
// The worker's preview service (ide/src/worker/preview.ts) opens a connection to a guest
// TCP port as a loopback client would (vm/linux/net_inbound.h), writes the HTTP request,
// half-closes, and reads the response between gb_run slices. Everything returns at once:
// -EAGAIN / 0 bytes mean "later", and the worker owns the timeouts.
namespace {
std::map<int, std::unique_ptr<InboundConn>> port_conns;
int next_port_conn = 1;
std::string ports_reply;
constexpr size_t kMaxPortConns = 64;
InboundConn* port_conn(int h) {
  auto it = port_conns.find(h);
  return it == port_conns.end() ? nullptr : it->second.get();
}
}  // namespace

extern "C" {

// A connection to `port` on the guest's loopback: a handle (> 0) or -errno
// (ECONNREFUSED: nothing listens; EAGAIN: the listener's backlog is full; EMFILE: too many).
EMSCRIPTEN_KEEPALIVE int gb_port_open(uint32_t port) {
  if (!E || !E->kernel) return -LX_EAGAIN;
  if (port == 0 || port > 65535) return -LX_EINVAL;
  if (port_conns.size() >= kMaxPortConns) return -LX_EMFILE;
  std::unique_ptr<InboundConn> c;
  const int e = InboundConn::open(*E->kernel, (uint16_t)port, c);
  if (e < 0) return e;
  const int h = next_port_conn++;
  port_conns[h] = std::move(c);
  return h;
}

// Request bytes: how many the guest's queue took (0: full now), or -errno (EPIPE, ECONNRESET).
EMSCRIPTEN_KEEPALIVE int gb_port_write(int h, const uint8_t* data, uint32_t len) {
  InboundConn* c = port_conn(h);
  if (!c) return -LX_EBADF;
  return (int)c->write(data, len);
}

// Response bytes into buf: > 0 bytes, 0 end of stream, -EAGAIN nothing yet, -errno.
EMSCRIPTEN_KEEPALIVE int gb_port_read(int h, uint8_t* buf, uint32_t cap) {
  InboundConn* c = port_conn(h);
  if (!c) return -LX_EBADF;
  return (int)c->read(buf, cap);
}

// No more request bytes: the guest reads EOF after them.
EMSCRIPTEN_KEEPALIVE int gb_port_shutdown(int h) {
  InboundConn* c = port_conn(h);
  return c ? c->shutdown_write() : -LX_EBADF;
}

// poll(2) bits of the connection (POLLIN 1, POLLOUT 4, POLLERR 8, POLLHUP 16).
EMSCRIPTEN_KEEPALIVE int gb_port_poll(int h) {
  InboundConn* c = port_conn(h);
  return c ? (int)c->poll() : -LX_EBADF;
}

// Closes the connection (the guest sees EOF, or a reset if it had sent bytes not read).
EMSCRIPTEN_KEEPALIVE int gb_port_close(int h) { return port_conns.erase(h) ? 0 : -LX_EBADF; }

// The listening TCP ports as JSON, [{"port","address","pid","command"}], in gb_ports_reply;
// returns its length.
EMSCRIPTEN_KEEPALIVE int gb_ports_list(void) {
  ports_reply = "[";
  if (E && E->kernel)
    for (const ListeningPort& p : listening_tcp_ports(*E->kernel)) {
      if (ports_reply.size() > 1) ports_reply += ',';
      ports_reply += "{\"port\":" + std::to_string(p.port) + ",\"address\":" + json_str(p.address) +
                     ",\"pid\":" + std::to_string(p.pid) + ",\"command\":" + json_str(p.command) + "}";
    }
  ports_reply += "]";
  return (int)ports_reply.size();
}

EMSCRIPTEN_KEEPALIVE const char* gb_ports_reply(void) { return ports_reply.c_str(); }

}  // extern "C"
