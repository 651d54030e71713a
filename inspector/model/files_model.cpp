// inspector/model/files_model.cpp — see files_model.h.
#include "inspector/model/files_model.h"

#include <cinttypes>
#include <cstdio>

namespace gbi {

const char* read_source_name(uint8_t s) {
  static const char* const n[] = {"cache", "overlay", "network", "disk", "hole"};
  return s < SRC_COUNT ? n[s] : "?";
}

const char* read_kind_name(uint8_t what) {
  static const char* const n[] = {"data", "inode", "bitmap", "indirect", "dir", "super", "xattr", "symlink"};
  return what < 8 ? n[what] : "?";
}

void FilesModel::apply(const TraceRecord& r) {
  if (r.kind != RecKind::FsRead) return;
  FsReadRow row;
  row.seq = r.seq;
  row.time_ns = r.time_ns;
  row.pid = r.pid;
  row.tid = r.tid;
  row.what = (uint8_t)r.nr;
  row.source = r.ret >= 0 && r.ret < SRC_COUNT ? (uint8_t)r.ret : SRC_CACHE;
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
    const uint8_t now = row.source == SRC_NETWORK ? CHUNK_FETCHED : row.source == SRC_OVERLAY ? CHUNK_OVERLAY : CHUNK_CACHED;
    if (now == CHUNK_FETCHED && c != CHUNK_FETCHED) chunks_fetched++;
    if (now > c) c = now;
  }
  if (rows.size() >= max_rows) {
    const size_t n = max_rows / 4 ? max_rows / 4 : 1;
    rows.erase(rows.begin(), rows.begin() + (long)n);
    discarded += n;
  }
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
  }
  snprintf(buf, sizeof buf, "],\"total\":%zu,\"discarded\":%" PRIu64 ",\"bytes_fetched\":%" PRIu64 ",\"chunks_fetched\":%u,\"chunks_seen\":%zu,\"reads\":{",
           rows.size(), discarded, totals.bytes_fetched, chunks_fetched, chunks.size());
  out += buf;
  for (uint8_t s = 0; s < SRC_COUNT; s++) {
    snprintf(buf, sizeof buf, "%s\"%s\":%" PRIu64, s ? "," : "", read_source_name(s), totals.reads[s]);
    out += buf;
  }
  out += "}}";
}

void FilesModel::to_text(std::string& out, size_t max_rows_out) const {
  out += "Files and disk\n";
  char buf[200];
  snprintf(buf, sizeof buf, "%" PRIu64 " bytes fetched, %u chunks fetched; reads: ", totals.bytes_fetched, chunks_fetched);
  out += buf;
  for (uint8_t s = 0; s < SRC_COUNT; s++) {
    snprintf(buf, sizeof buf, "%s%s %" PRIu64, s ? ", " : "", read_source_name(s), totals.reads[s]);
    out += buf;
  }
  out += '\n';
  const size_t from = rows.size() > max_rows_out ? rows.size() - max_rows_out : 0;
  for (size_t i = from; i < rows.size(); i++) {
    const FsReadRow& r = rows[i];
    snprintf(buf, sizeof buf, "[%d] %s inode %u block %" PRIu64 " (disk %" PRIu64 ") x%u from %s", r.tid, read_kind_name(r.what), r.ino,
             r.lblk, r.pblk, r.blocks, read_source_name(r.source));
    out += buf;
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
