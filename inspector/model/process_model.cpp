// inspector/model/process_model.cpp — the task tree from fork/exec/exit records.
#include "inspector/model/process_model.h"

#include <cstdio>
#include <utility>

#include "inspector/model/text.h"

namespace gbi {

const char* proc_state_name(ProcRow::State s) {
  switch (s) {
    case ProcRow::Running: return "running";
    case ProcRow::Exited: return "exited";
    case ProcRow::Killed: return "killed";
  }
  return "?";
}

ProcRow* ProcessModel::find(int tid) {
  for (size_t i = rows.size(); i-- > 0;)  // newest first: tids are reused only after exit
    if (rows[i].tid == tid) return &rows[i];
  return nullptr;
}

const ProcRow* ProcessModel::find(int tid) const { return const_cast<ProcessModel*>(this)->find(tid); }

// Drops the oldest quarter of the ended tasks (running ones always stay).
void ProcessModel::trim() {
  size_t drop = max_rows / 4 ? max_rows / 4 : 1;
  size_t out = 0;
  for (size_t i = 0; i < rows.size(); i++) {
    if (drop && rows[i].state != ProcRow::Running) {
      drop--;
      discarded++;
      continue;
    }
    if (out != i) rows[out] = std::move(rows[i]);
    out++;
  }
  rows.resize(out);
}

ProcRow& ProcessModel::ensure(int tid, int pid) {
  ProcRow* p = find(tid);
  if (p && p->state == ProcRow::Running) return *p;
  if (rows.size() >= max_rows) trim();
  rows.emplace_back();
  ProcRow& n = rows.back();
  n.tid = tid;
  n.pid = pid;
  n.start_ns = last_ns;  // first seen now (it began before the trace, or its fork was lost)
  return n;
}

int ProcessModel::depth(const ProcRow& row) const {
  int d = 0;
  for (const ProcRow* p = &row; p->parent && d < 64; d++) {
    const ProcRow* up = nullptr;
    for (const ProcRow& q : rows)
      if (q.tid == p->parent && &q < p) up = &q;  // the parent row created before this one
    if (!up) break;
    p = up;
  }
  return d;
}

static std::string basename_of(const std::string& s) {
  const size_t slash = s.rfind('/');
  return slash == std::string::npos ? s : s.substr(slash + 1);
}

void tier_text(const ProcRow& p, char* buf, size_t n) {
  if (p.jit_icount && p.icount) snprintf(buf, n, "JIT %d%%", (int)(p.jit_icount * 100 / p.icount));
  else snprintf(buf, n, p.jit_tier ? "interpreter (JIT on)" : "interpreter");
}

static void take_figures(ProcRow& p, const TraceRecord& r) {
  p.cpu_ns = r.a[0];
  p.icount = r.a[1];
  p.jit_icount = r.a[2];
  p.jit_tier = r.a[3] & 1;
  p.icount_base = r.icount >= r.a[1] ? r.icount - r.a[1] : 0;  // exact now (a task from before the trace)
  p.figures = true;
}

// The task's own count from a record's header (the count it was forked with taken off).
static void take_icount(ProcRow& p, uint64_t icount) {
  if (p.figures && p.state != ProcRow::Running) return;
  const uint64_t own = icount >= p.icount_base ? icount - p.icount_base : 0;
  if (own > p.icount) p.icount = own;
}

void ProcessModel::apply(const TraceRecord& r) {
  if (r.kind == RecKind::Chunks || r.kind == RecKind::Fd) return;  // the attach snapshot: not about a task
  if (!first_ns) first_ns = r.time_ns;
  if (r.time_ns > last_ns) last_ns = r.time_ns;
  switch (r.kind) {
    case RecKind::Fork: {
      const int parent = (int)r.ret;
      if (rows.size() >= max_rows) trim();
      rows.emplace_back();
      ProcRow& c = rows.back();
      c.tid = r.tid;
      c.pid = r.pid;
      c.parent = parent;
      c.start_ns = r.time_ns;
      c.icount_base = r.icount;  // the parent's count: the child starts from it
      c.thread = r.pid != r.tid;
      if (const ProcRow* p = find(parent)) {  // find() sees the newest row first: skip the child
        c.cmdline = p->cmdline;
        c.program = p->program;
      }
      return;
    }
    case RecKind::Exec: {
      ProcRow& p = ensure(r.tid, r.pid);
      std::string cmd((const char*)r.data, r.data_len);
      const size_t nul = cmd.find('\0');
      p.program = basename_of(cmd.substr(0, nul));
      for (char& ch : cmd)
        if (ch == '\0') ch = ' ';
      if (r.flags & gb::REC_TRUNCATED) cmd += "...";
      p.cmdline = cmd;
      if (p.execs < 4) p.exec_ns[p.execs] = r.time_ns;
      p.execs++;
      take_icount(p, r.icount);
      return;
    }
    case RecKind::Exit: {
      ProcRow& p = ensure(r.tid, r.pid);
      p.state = (r.ret & 0x7f) ? ProcRow::Killed : ProcRow::Exited;
      p.status = (int)r.ret;
      p.end_ns = r.time_ns;
      take_figures(p, r);
      return;
    }
    case RecKind::Stat: {
      const ProcRow* seen = find(r.tid);
      if (seen && seen->state != ProcRow::Running) return;  // late: its Exit came first (a new task forks first)
      take_figures(ensure(r.tid, r.pid), r);
      return;
    }
    default:
      if (r.tid > 0) take_icount(ensure(r.tid, r.pid), r.icount);
      return;
  }
}

void ProcessModel::to_json(std::string& out) const {
  out += '[';
  for (size_t i = 0; i < rows.size(); i++) {
    const ProcRow& p = rows[i];
    char buf[200];
    snprintf(buf, sizeof buf, "%s{\"tid\":%d,\"pid\":%d,\"parent\":%d,\"state\":\"%s\",\"status\":%d,\"icount\":%llu,\"execs\":%u,\"thread\":%s,",
             i ? "," : "", p.tid, p.pid, p.parent, proc_state_name(p.state), p.status, (unsigned long long)p.icount,
             p.execs, p.thread ? "true" : "false");
    out += buf;
    char tier[32];
    tier_text(p, tier, sizeof tier);
    const double t0 = (double)first_ns;
    snprintf(buf, sizeof buf, "\"cpu_ns\":%llu,\"jit_icount\":%llu,\"tier\":\"%s\",\"start_ms\":%.3f,\"end_ms\":%.3f,\"exec_ms\":[",
             (unsigned long long)p.cpu_ns, (unsigned long long)p.jit_icount, tier, ((double)p.start_ns - t0) / 1e6,
             p.state == ProcRow::Running ? -1.0 : ((double)p.end_ns - t0) / 1e6);
    out += buf;
    for (uint32_t e = 0; e < p.execs && e < 4; e++) {
      snprintf(buf, sizeof buf, "%s%.3f", e ? "," : "", ((double)p.exec_ns[e] - t0) / 1e6);
      out += buf;
    }
    out += "],";
    out += "\"program\":";
    json_string(out, p.program.data(), p.program.size());
    out += ",\"cmdline\":";
    json_string(out, p.cmdline.data(), p.cmdline.size());
    out += '}';
  }
  out += ']';
}

void ProcessModel::to_text(std::string& out, int followed_pid) const {
  out += "Processes (* followed; times in ms since the first record)\n";
  for (const ProcRow& p : rows) {
    char buf[160];
    const int d = depth(p);
    snprintf(buf, sizeof buf, "%*s%s%d (parent %d) %s", d * 2, "", p.pid == followed_pid && p.tid == p.pid ? "* " : "", p.tid, p.parent,
             proc_state_name(p.state));
    out += buf;
    if (p.state != ProcRow::Running) {
      snprintf(buf, sizeof buf, (p.status & 0x7f) ? " by signal %d" : " with %d", (p.status & 0x7f) ? p.status & 0x7f : (p.status >> 8) & 0xff);
      out += buf;
    }
    char tier[32];
    tier_text(p, tier, sizeof tier);
    snprintf(buf, sizeof buf, ", %llu instructions, CPU %.1f ms, %s, started %.1f", (unsigned long long)p.icount, (double)p.cpu_ns / 1e6,
             tier, ((double)p.start_ns - (double)first_ns) / 1e6);
    out += buf;
    for (uint32_t e = 0; e < p.execs && e < 4; e++) {
      snprintf(buf, sizeof buf, ", exec %.1f", ((double)p.exec_ns[e] - (double)first_ns) / 1e6);
      out += buf;
    }
    if (p.state != ProcRow::Running) {
      snprintf(buf, sizeof buf, ", ended %.1f", ((double)p.end_ns - (double)first_ns) / 1e6);
      out += buf;
    }
    out += ": ";
    out += p.cmdline;
    out += '\n';
  }
}

}  // namespace gbi
