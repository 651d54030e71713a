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

void ProcessModel::apply(const TraceRecord& r) {
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
      p.execs++;
      p.icount = r.icount;
      return;
    }
    case RecKind::Exit: {
      ProcRow& p = ensure(r.tid, r.pid);
      p.state = (r.ret & 0x7f) ? ProcRow::Killed : ProcRow::Exited;
      p.status = (int)r.ret;
      p.icount = r.icount;
      p.end_ns = r.time_ns;
      return;
    }
    default:
      if (r.tid > 0) {
        ProcRow& p = ensure(r.tid, r.pid);
        if (r.icount > p.icount) p.icount = r.icount;
      }
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
    out += "\"program\":";
    json_string(out, p.program.data(), p.program.size());
    out += ",\"cmdline\":";
    json_string(out, p.cmdline.data(), p.cmdline.size());
    out += '}';
  }
  out += ']';
}

void ProcessModel::to_text(std::string& out) const {
  out += "Processes\n";
  for (const ProcRow& p : rows) {
    char buf[160];
    const int d = depth(p);
    snprintf(buf, sizeof buf, "%*s%d (parent %d) %s", d * 2, "", p.tid, p.parent, proc_state_name(p.state));
    out += buf;
    if (p.state != ProcRow::Running) {
      snprintf(buf, sizeof buf, (p.status & 0x7f) ? " by signal %d" : " with %d", (p.status & 0x7f) ? p.status & 0x7f : (p.status >> 8) & 0xff);
      out += buf;
    }
    snprintf(buf, sizeof buf, ", %llu instructions: ", (unsigned long long)p.icount);
    out += buf;
    out += p.cmdline;
    out += '\n';
  }
}

}  // namespace gbi
