// inspector/model/files_model.h — the Files and disk panel's model: every ext2 device read
// (FsRead records) with where its bytes came from (ext2's cache, the student's overlay, the
// network chunk), and every device write (FsWrite: the student's changes, source
// "written"), totals per source and per process, and the chunk map of the image (which
// chunks this session fetched, wrote or read from the overlay, or only saw from the cache).
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "inspector/model/records.h"

namespace gbi {

// (0-4 are the engine's fs::ReadSource; SRC_WRITTEN is a write's row)
enum : uint8_t { SRC_CACHE = 0, SRC_OVERLAY = 1, SRC_NETWORK = 2, SRC_DISK = 3, SRC_ZERO = 4, SRC_WRITTEN = 5, SRC_COUNT = 6 };
// CHUNK_OVERLAY: the student's changes (written now, or read from the overlay).
// CHUNK_EARLIER: in the engine's chunk cache when the inspector attached (a Chunks record),
// not read since.
enum : uint8_t { CHUNK_UNSEEN = 0, CHUNK_CACHED = 1, CHUNK_FETCHED = 2, CHUNK_OVERLAY = 3, CHUNK_EARLIER = 4 };

struct FsReadRow {
  uint64_t seq, time_ns;
  int pid, tid;
  uint8_t what;    // Ext2ReadKind
  uint8_t source;  // SRC_*
  uint32_t ino;
  uint32_t blocks;
  uint64_t lblk, pblk, bytes_fetched;
  int64_t chunk;
};

struct FileTotals {
  uint64_t reads[SRC_COUNT] = {};
  uint64_t blocks[SRC_COUNT] = {};
  uint64_t bytes_fetched = 0;
};

struct SyscallModel;

struct FilesModel {
  size_t max_rows = 20000;
  std::vector<FsReadRow> rows;  // oldest first (older ones discarded, counted)
  uint64_t discarded = 0;
  FileTotals totals;
  std::vector<uint8_t> chunks;  // CHUNK_* per chunk index seen so far
  uint32_t chunks_fetched = 0;  // distinct chunks fetched from the network this session
  uint32_t chunks_earlier = 0;  // chunks the cache held when the inspector attached
  uint64_t chunks_total = 0;    // chunks in the image (from the attach snapshot; 0: unknown)
  // inode -> the path it was read through: a data read (or write) during a read/pread/
  // execve (write/pwrite) call names its inode after the fd's origin (the openat path) or
  // the execve path.
  std::unordered_map<uint32_t, std::string> paths;

  // `calls` (may be null) gives the calls in progress and the fd tables for the join;
  // InspectorModel applies the record to it first.
  void apply(const TraceRecord& r, const SyscallModel* calls = nullptr);
  const std::string* path_of(uint32_t ino) const;
  void totals_of(int pid, FileTotals& out) const;
  void to_json(std::string& out, size_t max_rows_out) const;
  void to_text(std::string& out, size_t max_rows_out, int pid = 0) const;  // pid: that process's reads only

 private:
  int exec_named_tid_ = 0;  // the execve of this task has named its program's inode
  uint64_t exec_named_seq_ = 0;
  void name_inode(const FsReadRow& row, const SyscallModel* calls);
};

const char* read_source_name(uint8_t s);
const char* read_kind_name(uint8_t what);

}  // namespace gbi
