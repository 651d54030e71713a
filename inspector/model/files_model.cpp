// inspector/model/files_model.cpp — see files_model.h.
#include "inspector/model/files_model.h"

#include <cinttypes>
#include <cstdio>

#include "inspector/model/syscall_model.h"
#include "inspector/model/text.h"

namespace gbi {

const char* read_source_name(uint8_t s) {
  static const char* const n[] = {"cache", "overlay", "network", "disk", "hole", "written"};
  return s < SRC_COUNT ? n[s] : "?";
}

const char* read_kind_name(uint8_t what) {
  static const char* const n[] = {"data", "inode", "bitmap", "indirect", "dir", "super", "xattr", "symlink"};
  return what < 8 ? n[what] : "?";
}

// Order of the chunk states: a later source of a chunk wins over an earlier one.
static int chunk_rank(uint8_t s) {
  switch (s) {
    case CHUNK_UNSEEN: return 0;
    case CHUNK_EARLIER: return 1;
    case CHUNK_CACHED: return 2;
    case CHUNK_FETCHED: return 3;
    default: return 4;  // overlay
  }
}

const std::string* FilesModel::path_of(uint32_t ino) const {
  auto it = paths.find(ino);
  return it == paths.end() ? nullptr : &it->second;
}

void FilesModel::name_inode(const FsReadRow& row, const SyscallModel* calls) {
  if (!calls || row.what != 0 || !row.ino || !row.tid) return;
  const TraceRecord* c = calls->pending(row.tid);
  if (!c) return;
  switch (c->nr) {
    case 0: case 17: case 19: case 295: case 40:  // read, pread64, readv, preadv, sendfile (in: arg 1)
    case 1: case 18: case 20: case 296: {         // write, pwrite64, writev, pwritev (a write's blocks)
      const int fd = (int)(int32_t)c->a[c->nr == 40 ? 1 : 0];
      const FdOrigin* o = calls->fds.lookup(row.pid, fd);
      if (o && !o->path.empty()) paths[row.ino] = o->path;
      return;
    }
    case 59: case 322:  // execve(at): its first data read is the program itself (then ld.so)
      if (exec_named_tid_ == row.tid && exec_named_seq_ == c->seq) return;
      exec_named_tid_ = row.tid;
      exec_named_seq_ = c->seq;
      if (c->data_len && !paths.count(row.ino)) paths[row.ino].assign((const char*)c->data, c->data_len);
      return;
    default: return;
  }
}

void FilesModel::apply(const TraceRecord& r, const SyscallModel* calls) {
  if (r.kind == RecKind::Chunks) {  // the attach snapshot of the chunk cache
    chunks_total = r.a[2];
    if (chunks_total < (1 << 24) && chunks.size() < chunks_total) chunks.resize(chunks_total, CHUNK_UNSEEN);
    for (uint64_t i = 0; i < r.a[1] && i / 8 < r.data_len; i++) {
      const uint64_t c = r.a[0] + i;
      if (!(r.data[i / 8] >> (i % 8) & 1) || c >= chunks.size()) continue;
      if (chunks[c] == CHUNK_UNSEEN) {
        chunks[c] = CHUNK_EARLIER;
        chunks_earlier++;
      }
    }
    return;
  }
  if (r.kind != RecKind::FsRead && r.kind != RecKind::FsWrite) return;
  FsReadRow row;
  row.seq = r.seq;
  row.time_ns = r.time_ns;
  row.pid = r.pid;
  row.tid = r.tid;
  row.what = (uint8_t)r.nr;
  row.source = r.kind == RecKind::FsWrite ? SRC_WRITTEN : r.ret >= 0 && r.ret < SRC_WRITTEN ? (uint8_t)r.ret : SRC_CACHE;
  row.ino = (uint32_t)r.a[0];
  row.lblk = r.a[1];
  row.pblk = r.a[2];
  row.blocks = (uint32_t)r.a[3];
  row.bytes_fetched = r.a[4];
  row.chunk = (int64_t)r.a[5];
  totals.reads[row.source]++;
  totals.blocks[row.source] += row.blocks;
  totals.bytes_fetched += row.bytes_fetched;
  if (row.chunk >= 0 && row.chunk < (1 << 24)) {  // an image of 2^24 chunks is far beyond ours
    if ((size_t)row.chunk >= chunks.size()) chunks.resize((size_t)row.chunk + 1, CHUNK_UNSEEN);
    uint8_t& c = chunks[(size_t)row.chunk];
    const uint8_t now = row.source == SRC_NETWORK                               ? CHUNK_FETCHED
                        : row.source == SRC_OVERLAY || row.source == SRC_WRITTEN ? CHUNK_OVERLAY
                                                                                  : CHUNK_CACHED;
    if (now == CHUNK_FETCHED && c != CHUNK_FETCHED) chunks_fetched++;
    if (chunk_rank(now) > chunk_rank(c)) c = now;
  }
  if (rows.size() >= max_rows) {
    const size_t n = max_rows / 4 ? max_rows / 4 : 1;
    rows.erase(rows.begin(), rows.begin() + (long)n);
    discarded += n;
  }
  name_inode(row, calls);
  rows.push_back(row);
}

void FilesModel::totals_of(int pid, FileTotals& out) const {
  out = FileTotals{};
  for (const FsReadRow& r : rows) {
    if (r.pid != pid) continue;
    out.reads[r.source]++;
    out.blocks[r.source] += r.blocks;
    out.bytes_fetched += r.bytes_fetched;
  }
}

void FilesModel::to_json(std::string& out, size_t max_rows_out) const {
  out += "{\"rows\":[";
  const size_t from = rows.size() > max_rows_out ? rows.size() - max_rows_out : 0;
  char buf[320];
  for (size_t i = from; i < rows.size(); i++) {
    const FsReadRow& r = rows[i];
    snprintf(buf, sizeof buf,
             "%s{\"seq\":%" PRIu64 ",\"pid\":%d,\"what\":\"%s\",\"source\":\"%s\",\"ino\":%u,\"lblk\":%" PRIu64 ",\"pblk\":%" PRIu64
             ",\"blocks\":%u,\"bytes_fetched\":%" PRIu64 ",\"chunk\":%" PRId64 "}",
             i > from ? "," : "", r.seq, r.pid, read_kind_name(r.what), read_source_name(r.source), r.ino, r.lblk, r.pblk,
             r.blocks, r.bytes_fetched, r.chunk);
    out += buf;
    if (const std::string* p = r.ino ? path_of(r.ino) : nullptr) {
      out.pop_back();
      out += ",\"path\":";
      json_string(out, p->data(), p->size());
      out += '}';
    }
  }
  snprintf(buf, sizeof buf, "],\"total\":%zu,\"discarded\":%" PRIu64 ",\"bytes_fetched\":%" PRIu64 ",\"chunks_fetched\":%u,\"chunks_seen\":%zu,\"chunks_earlier\":%u,\"chunks_total\":%" PRIu64 ",\"reads\":{",
           rows.size(), discarded, totals.bytes_fetched, chunks_fetched, chunks.size(), chunks_earlier, chunks_total);
  out += buf;
  for (uint8_t s = 0; s < SRC_WRITTEN; s++) {
    snprintf(buf, sizeof buf, "%s\"%s\":%" PRIu64, s ? "," : "", read_source_name(s), totals.reads[s]);
    out += buf;
  }
  size_t chunks_changed = 0;
  for (uint8_t c : chunks) chunks_changed += c == CHUNK_OVERLAY;
  snprintf(buf, sizeof buf, "},\"writes\":%" PRIu64 ",\"blocks_written\":%" PRIu64 ",\"chunks_changed\":%zu}", totals.reads[SRC_WRITTEN],
           totals.blocks[SRC_WRITTEN], chunks_changed);
  out += buf;
}

void FilesModel::to_text(std::string& out, size_t max_rows_out, int pid) const {
  out += "Files and disk\n";
  char buf[200];
  snprintf(buf, sizeof buf, "%" PRIu64 " bytes fetched, %u chunks fetched, %u in the cache before the inspector opened (of %" PRIu64 "); reads: ",
           totals.bytes_fetched, chunks_fetched, chunks_earlier, chunks_total);
  out += buf;
  for (uint8_t s = 0; s < SRC_WRITTEN; s++) {
    snprintf(buf, sizeof buf, "%s%s %" PRIu64, s ? ", " : "", read_source_name(s), totals.reads[s]);
    out += buf;
  }
  snprintf(buf, sizeof buf, "; %" PRIu64 " blocks written in %" PRIu64 " writes\n", totals.blocks[SRC_WRITTEN], totals.reads[SRC_WRITTEN]);
  out += buf;
  const size_t from = rows.size() > max_rows_out ? rows.size() - max_rows_out : 0;
  for (size_t i = from; i < rows.size(); i++) {
    const FsReadRow& r = rows[i];
    if (pid && r.pid != pid) continue;
    snprintf(buf, sizeof buf, "[%d] %s inode %u block %" PRIu64 " (disk %" PRIu64 ") x%u %s%s", r.tid, read_kind_name(r.what), r.ino,
             r.lblk, r.pblk, r.blocks, r.source == SRC_WRITTEN ? "" : "from ", read_source_name(r.source));
    out += buf;
    if (const std::string* p = r.ino ? path_of(r.ino) : nullptr) {
      out += " (";
      out += *p;
      out += ')';
    }
    if (r.chunk >= 0) {
      snprintf(buf, sizeof buf, ", chunk %" PRId64, r.chunk);
      out += buf;
    }
    if (r.bytes_fetched) {
      snprintf(buf, sizeof buf, ", %" PRIu64 " bytes fetched", r.bytes_fetched);
      out += buf;
    }
    out += '\n';
  }
}

}  // namespace gbi
