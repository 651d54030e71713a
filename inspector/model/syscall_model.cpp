// inspector/model/syscall_model.cpp — see syscall_model.h.
#include "inspector/model/syscall_model.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "inspector/model/syscall_decode.h"
#include "inspector/model/text.h"

namespace gbi {

bool SyscallModel::passes(const TraceRecord& r) const {
  if (r.kind == RecKind::Signal) {  // (a signal row: shown unless the filter picks calls)
    if (filter.failed_only || filter.nr >= 0) return false;
    return !filter.pid || r.pid == filter.pid;
  }
  if (filter.failed_only && !syscall_failed(r.ret)) return false;
  if (filter.nr >= 0 && r.nr != filter.nr) return false;
  if (filter.pid && r.pid != filter.pid) return false;
  return true;
}

void SyscallModel::apply(const TraceRecord& r) {
  if (r.kind == RecKind::SysShapes) {
    shapes.apply(r);
    return;
  }
  if (r.kind == RecKind::Fork || r.kind == RecKind::Exec || r.kind == RecKind::Exit || r.kind == RecKind::Fd) {
    fds.apply(r);
    if (r.kind == RecKind::Exit)  // a killed task's call never exits
      for (size_t i = 0; i < pending_.size(); i++)
        if (pending_[i].tid == r.tid) { pending_[i] = pending_.back(); pending_.pop_back(); break; }
    return;
  }
  if (r.kind == RecKind::SysEnter) {
    for (TraceRecord& p : pending_)
      if (p.tid == r.tid) { p = r; return; }
    pending_.push_back(r);
    return;
  }
  if (r.kind == RecKind::Signal) {  // a row of its own, between the calls (as strace shows it)
    if (rows.size() >= max_rows) trim();
    push_row(r, 0, -1, 0);
    return;
  }
  if (r.kind != RecKind::SysExit) return;
  uint64_t dur = 0;
  TraceRecord row = r;
  for (size_t i = 0; i < pending_.size(); i++) {
    const TraceRecord& e = pending_[i];
    if (e.tid == r.tid) {
      if (e.nr == r.nr) {
        if (r.time_ns >= e.time_ns) dur = r.time_ns - e.time_ns;
        if (r.data_arg == gb::REC_NO_ARG && e.data_arg != gb::REC_NO_ARG) {  // execve: the bytes were read at entry
          memcpy(row.data, e.data, e.data_len);
          row.data_len = e.data_len;
          row.data_arg = e.data_arg;
          row.flags |= e.flags & gb::REC_TRUNCATED;
        }
      }
      pending_[i] = pending_.back();
      pending_.pop_back();
      break;
    }
  }
  CallCount& c = counts[r.nr < kMaxNr ? r.nr : kMaxNr];
  c.calls++;
  if (syscall_failed(r.ret)) c.errors++;
  c.total_ns += dur;
  if (rows.size() >= max_rows) trim();
  int fd = -1;
  uint64_t origin = 0;
  fds.on_call(row, &fd, &origin);
  push_row(row, dur, fd, origin);
}

void SyscallModel::push_row(const TraceRecord& row, uint64_t dur, int32_t fd, uint64_t origin) {
  rows.push_back(row);
  dur_ns.push_back(dur);
  fd_used.push_back(fd);
  fd_origin.push_back(origin);
  if (passes(row)) visible.push_back((uint32_t)(rows.size() - 1));
}

// Drops the oldest quarter at once, so trimming costs O(1) per row on average.
void SyscallModel::trim() {
  const size_t n = std::max<size_t>(1, max_rows / 4);
  rows.erase(rows.begin(), rows.begin() + (long)n);
  dur_ns.erase(dur_ns.begin(), dur_ns.begin() + (long)n);
  fd_used.erase(fd_used.begin(), fd_used.begin() + (long)n);
  fd_origin.erase(fd_origin.begin(), fd_origin.begin() + (long)n);
  discarded += n;
  set_filter(filter);
}

const TraceRecord* SyscallModel::pending(int tid) const {
  for (const TraceRecord& p : pending_)
    if (p.tid == tid) return &p;
  return nullptr;
}

long SyscallModel::row_of_seq(uint64_t seq) const {
  auto it = std::lower_bound(rows.begin(), rows.end(), seq, [](const TraceRecord& r, uint64_t s) { return r.seq < s; });
  return it != rows.end() && it->seq == seq ? (long)(it - rows.begin()) : -1;
}

void SyscallModel::describe_origin(std::string& out, uint64_t seq) const {
  if (const AttachFd* a = fds.attach_of(seq)) {
    char buf[64];
    snprintf(buf, sizeof buf, "open when the inspector attached (pid %d): ", a->pid);
    out += buf;
    out += a->path;
    return;
  }
  const long i = seq ? row_of_seq(seq) : -1;
  if (i < 0) {
    out += seq ? "no longer in the table (discarded)" : "not seen (opened before the trace began)";
    return;
  }
  format_call(out, rows[(size_t)i], shapes);
  char buf[48];
  snprintf(buf, sizeof buf, " [#%" PRIu64 ", pid %d]", seq, rows[(size_t)i].pid);
  out += buf;
}

void SyscallModel::detail_text(std::string& out, size_t i) const {
  if (i >= rows.size()) return;
  const TraceRecord& r = rows[i];
  char buf[96];
  snprintf(buf, sizeof buf, "#%" PRIu64 " pid %d tid %d, %" PRIu64 " us\n", r.seq, r.pid, r.tid, dur_ns[i] / 1000);
  out += buf;
  format_call(out, r, shapes);
  out += '\n';
  if (fd_used[i] >= 0) {
    snprintf(buf, sizeof buf, "fd %d came from: ", fd_used[i]);
    out += buf;
    describe_origin(out, fd_origin[i]);
    out += '\n';
  }
  if (r.data_len) {
    snprintf(buf, sizeof buf, "buffer (argument %d), %u bytes%s:\ntext: ", r.data_arg, r.data_len,
             (r.flags & gb::REC_TRUNCATED) ? " (cut)" : "");
    out += buf;
    gb::quote_bytes(out, r.data, r.data_len, r.flags & gb::REC_TRUNCATED);
    out += "\nhex:\n";
    hex_dump(out, r.data, r.data_len);
  }
}

void SyscallModel::set_filter(const SyscallFilter& f) {
  filter = f;
  visible.clear();
  for (size_t i = 0; i < rows.size(); i++)
    if (passes(rows[i])) visible.push_back((uint32_t)i);
}

void SyscallModel::count_order(std::vector<int>& out) const {
  out.clear();
  for (int i = 0; i <= kMaxNr; i++)
    if (counts[i].calls) out.push_back(i);
  std::stable_sort(out.begin(), out.end(), [this](int a, int b) { return counts[a].calls > counts[b].calls; });
}

void SyscallModel::to_json(std::string& out, size_t max_rows_out) const {
  out += "{\"rows\":[";
  const size_t from = visible.size() > max_rows_out ? visible.size() - max_rows_out : 0;
  std::string s;
  for (size_t v = from; v < visible.size(); v++) {
    const TraceRecord& r = rows[visible[v]];
    const char* n = syscall_name(r.nr);
    char buf[200];
    if (r.kind == RecKind::Signal) {  // {"signal":"SIGSEGV","text":"--- SIGSEGV {...} ---","action":"killed"}
      snprintf(buf, sizeof buf, "%s{\"seq\":%" PRIu64 ",\"pid\":%d,\"tid\":%d,\"signal\":", v > from ? "," : "", r.seq,
               r.pid, r.tid);
      out += buf;
      s.clear();
      signal_text(s, r.nr);
      json_string(out, s.data(), s.size());
      s.clear();
      format_signal(s, r);
      out += ",\"text\":";
      json_string(out, s.data(), s.size());
      s.clear();
      format_signal_action(s, r);
      out += ",\"action\":";
      json_string(out, s.data(), s.size());
      out += '}';
      continue;
    }
    snprintf(buf, sizeof buf, "%s{\"seq\":%" PRIu64 ",\"pid\":%d,\"tid\":%d,\"nr\":%u,\"name\":\"%s\",\"ret\":%" PRId64 ",\"dur_ns\":%" PRIu64 ",",
             v > from ? "," : "", r.seq, r.pid, r.tid, r.nr, n ? n : "?", r.ret, dur_ns[visible[v]]);
    out += buf;
    s.clear();
    format_args(s, r, shapes);
    out += "\"args\":";
    json_string(out, s.data(), s.size());
    s.clear();
    format_result(s, r.nr, r.ret, shapes);
    out += ",\"result\":";
    json_string(out, s.data(), s.size());
    out += ",\"data\":";
    json_string(out, (const char*)r.data, r.data_len);
    out += ",\"hex\":\"";
    hex_string(out, r.data, r.data_len);
    const size_t at = visible[v];
    snprintf(buf, sizeof buf, "\",\"fd\":%d,\"fd_origin\":%" PRIu64, fd_used[at], fd_origin[at]);
    out += buf;
    if (fd_used[at] >= 0) {
      s.clear();
      describe_origin(s, fd_origin[at]);
      out += ",\"origin\":";
      json_string(out, s.data(), s.size());
    }
    out += '}';
  }
  char buf[120];
  snprintf(buf, sizeof buf, "],\"total\":%zu,\"visible\":%zu,\"discarded\":%" PRIu64 ",\"counts\":{", rows.size(), visible.size(), discarded);
  out += buf;
  std::vector<int> order;
  count_order(order);
  for (size_t i = 0; i < order.size(); i++) {
    const CallCount& c = counts[order[i]];
    const char* n = order[i] < kMaxNr ? syscall_name((unsigned)order[i]) : nullptr;
    snprintf(buf, sizeof buf, "%s\"%s\":{\"calls\":%u,\"errors\":%u,\"ns\":%" PRIu64 "}", i ? "," : "", n ? n : "other", c.calls, c.errors, c.total_ns);
    out += buf;
  }
  out += "}}";
}

void SyscallModel::to_text(std::string& out, size_t max_rows_out) const {
  out += "System calls\n";
  const size_t from = visible.size() > max_rows_out ? visible.size() - max_rows_out : 0;
  for (size_t v = from; v < visible.size(); v++) {
    const TraceRecord& r = rows[visible[v]];
    char buf[64];
    snprintf(buf, sizeof buf, "#%" PRIu64 " [%d] ", r.seq, r.tid);
    out += buf;
    format_call(out, r, shapes);
    const size_t at = visible[v];
    if (fd_used[at] >= 0 && fd_origin[at]) {
      snprintf(buf, sizeof buf, "  (fd %d from #%" PRIu64 ")", fd_used[at], fd_origin[at]);
      out += buf;
    }
    out += '\n';
  }
  out += "\n% calls  errors  syscall\n";
  std::vector<int> order;
  count_order(order);
  for (int nr : order) {
    const CallCount& c = counts[nr];
    const char* n = nr < kMaxNr ? syscall_name((unsigned)nr) : nullptr;
    char buf[96];
    snprintf(buf, sizeof buf, "%7u %7u  %s\n", c.calls, c.errors, n ? n : "other");
    out += buf;
  }
}

}  // namespace gbi
