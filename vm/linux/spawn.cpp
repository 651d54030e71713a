// vm/linux/spawn.cpp — a process started by the embedder, with its stdio in buffers
// (see spawn.h).
#include "vm/linux/spawn.h"

#include "vm/base/lxerrno.h"
#include "vm/linux/kernel.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace gb {

std::unique_ptr<Spawned> Spawned::start(Kernel& k, const SpawnSpec& spec, std::string& err) {
  if (spec.argv.empty()) { err = "no command"; return nullptr; }
  std::unique_ptr<Spawned> s(new Spawned(k));
  s->cap_ = spec.out_cap;
  s->in_ = spec.stdin_data;

  Task* const was_current = k.current;  // the Task constructor makes itself current
  auto owned = std::make_unique<Task>(k, k.alloc_pid());
  Task& t = *owned;
  k.current = was_current;
  t.uid = t.euid = t.suid = spec.uid;
  t.gid = t.egid = t.sgid = spec.gid;
  // ppid 1 (outside): reaped at once when it exits; its own session, no terminal.
  t.sid = t.pgid = t.pid;

  InodeRef r[3], w[3];
  FileRef task_end[3];
  for (int i = 0; i < 3; i++) make_pipe(k.anon, r[i], w[i]);
  int rc = 0;
  rc |= open_inode(k.phys->shared, Loc{r[0], ""}, LO_RDONLY, task_end[0]);
  rc |= open_inode(k.phys->shared, Loc{w[1], ""}, LO_WRONLY, task_end[1]);
  rc |= open_inode(k.phys->shared, Loc{w[2], ""}, LO_WRONLY, task_end[2]);
  rc |= open_inode(k.phys->shared, Loc{w[0], ""}, LO_WRONLY | LO_NONBLOCK, s->in_w_);
  rc |= open_inode(k.phys->shared, Loc{r[1], ""}, LO_RDONLY | LO_NONBLOCK, s->out_r_);
  rc |= open_inode(k.phys->shared, Loc{r[2], ""}, LO_RDONLY | LO_NONBLOCK, s->err_r_);
  if (rc != 0) { err = "cannot open the pipes"; return nullptr; }
  for (int i = 0; i < 3; i++) t.fds.install(i, task_end[i], false);

  Loc cwd;
  const int crc = t.resolve_at(LAT_FDCWD, spec.cwd, true, cwd);
  if (crc < 0 || !cwd.node->is_dir()) {
    err = "working directory " + spec.cwd + ": " + (crc < 0 ? errno_name(-crc) : "ENOTDIR");
    return nullptr;
  }
  t.cwd = cwd;
  if (spec.capture_events) {
    Spawned* sp = s.get();
    sp->tree_.push_back(t.pid);
    sp->max_events_ = spec.max_events;
    sp->listener_ = k.trace.subscribe([sp](const TraceEvent& e) { sp->on_event(e); });
  }
  std::string why;
  const int erc = t.execve(spec.argv[0], spec.argv, spec.env, why);
  if (erc < 0) {
    const char* name = errno_name(-erc);
    err = spec.argv[0] + ": " + (why.empty() ? std::string(name ? name : "error") : why);
    return nullptr;
  }
  s->pid = t.pid;
  k.watched_exits[t.pid] = -1;
  k.adopt(std::move(owned));
  if (s->in_.empty()) s->in_w_.reset();  // EOF at once
  return s;
}

Spawned::~Spawned() {
  if (pid) k_.watched_exits.erase(pid);
  if (listener_) k_.trace.unsubscribe(listener_);
}

// A fork's event carries the child's pid and "fork CHILD of PARENT" (sys_task.cpp).
void Spawned::on_event(const TraceEvent& e) {
  const auto in_tree = [this](int id) { return std::find(tree_.begin(), tree_.end(), id) != tree_.end(); };
  if (e.kind == TraceKind::Exec && (!strncmp(e.text, "fork ", 5) || !strncmp(e.text, "thread ", 7))) {
    const char* of = strstr(e.text, " of ");
    if (!of || !in_tree(atoi(of + 4))) return;
    tree_.push_back(e.pid);
    tree_.push_back(e.tid);
  } else if (!in_tree(e.pid)) {
    return;
  }
  if (e.kind == TraceKind::SyscallEnter) return;  // the exit event has the whole call
  // System calls and disk reads count against max_events; the few process events (exec,
  // fork, exit, signal, fault) are always kept, so a busy gcc never hides its linker.
  const bool bulk = e.kind == TraceKind::SyscallExit || e.kind == TraceKind::FsRead;
  if (bulk ? bulk_events_ >= max_events_ : events.size() - bulk_events_ >= kMaxProcessEvents) {
    events_truncated = true;
    return;
  }
  if (bulk) bulk_events_++;
  events.push_back({trace_kind_name(e.kind), e.pid, e.nr, e.ret, e.text});
}

bool Spawned::drain(FileRef& f, std::string& buf, bool& truncated, bool& eof) {
  if (eof || !f) return false;
  bool moved = false;
  char tmp[8192];
  for (;;) {
    const int64_t n = f->node->read(0, tmp, sizeof tmp, LO_NONBLOCK);
    if (n == 0) { eof = true; f.reset(); return true; }
    if (n < 0) return moved;  // EAGAIN: nothing now
    moved = true;
    const size_t keep = buf.size() < cap_ ? std::min<size_t>((size_t)n, cap_ - buf.size()) : 0;
    buf.append(tmp, keep);
    if (keep < (size_t)n) truncated = true;
  }
}

bool Spawned::pump() {
  bool moved = false;
  if (in_w_) {
    while (in_pos_ < in_.size()) {
      const int64_t n = in_w_->node->write(0, in_.data() + in_pos_, in_.size() - in_pos_, LO_NONBLOCK);
      if (n <= 0) {
        if (n == -LX_EPIPE) in_pos_ = in_.size();  // the program closed its stdin
        break;
      }
      in_pos_ += (size_t)n;
      moved = true;
    }
    if (in_pos_ >= in_.size()) { in_w_.reset(); moved = true; }
  }
  moved |= drain(out_r_, out, out_truncated, out_eof_);
  moved |= drain(err_r_, err, err_truncated, err_eof_);
  if (!exited_) {
    auto it = k_.watched_exits.find(pid);
    if (it != k_.watched_exits.end() && it->second >= 0) {
      exited_ = true;
      wait_status = it->second;
      if (listener_) { k_.trace.unsubscribe(listener_); listener_ = 0; }
      moved = true;
    }
  }
  return moved;
}

void Spawned::kill() {
  if (exited_) return;
  killed_ = true;
  k_.signal_pgrp(pid, LSIGKILL, make_siginfo(LSIGKILL, 0 /* SI_USER */, 0, 0));
}

}  // namespace gb
