// vm/fs/ext2.h — ext2 (revision 0 and 1) with reads and writes, over a BlockDevice.
//
// Index
//   1. Ext2Stat, Ext2DirEntry, Ext2StatFs: what the calls return
//   2. Ext2TraceEvent: one per device read of data or metadata, and one per device write
//      (the inspector's feed)
//   3. Ext2Options: read-only, cache size, read-ahead, clock
//   4. Ext2: mount; inode-number based calls (the VFS adapter resolves paths)
//
// Design notes
//   * Supported: block sizes 1–64 KiB (tested 1, 2, 4 KiB), inode sizes 128..block,
//     direct/indirect/double/triple indirect block maps, sparse files, the features
//     filetype (incompat), sparse_super and large_file (ro_compat), and every compat
//     feature for reading and writing (ext_attr blocks are kept and their reference
//     counts released; dir_index trees are read as the plain directories they also are,
//     and a directory we change loses its index flag, as Linux's ext2 driver does;
//     resize_inode's reserved blocks are left alone). Any other incompat feature
//     refuses the mount; any other ro_compat feature refuses a writable mount. The
//     message names the features.
//   * Every call returns 0 / a count, or -errno (Linux's numbers, LX_E*). Corrupt metadata (block numbers out
//     of range, bad rec_len, huge sizes, directory holes, ...) gives -EIO; nothing
//     crashes, loops without bound or reads outside its buffers.
//   * Metadata blocks go through a bounded write-back cache; file data goes straight
//     to the device. sync() writes every dirty block, the group descriptors and the
//     superblock, then flushes the device: with an OverlayDevice below, each sync() is
//     one atomic commit of a consistent file system (e2fsck -fn clean).
//   * Unlinked inodes still open (ref() without unref()) are freed at the last unref().
//   * Not thread-safe (the engine is single-threaded).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vm/fs/blockdev.h"

namespace gb::fs {

struct Ext2Stat {
  uint32_t ino = 0;
  uint32_t mode = 0;    // S_IF* | permission bits
  uint32_t nlink = 0;
  uint32_t uid = 0, gid = 0;
  uint64_t size = 0;
  uint64_t blocks = 0;  // 512-byte units, as st_blocks
  uint32_t blksize = 0;
  uint32_t rdev_major = 0, rdev_minor = 0;
  int64_t atime = 0, mtime = 0, ctime = 0;
  uint32_t generation = 0;
  uint32_t flags = 0;   // i_flags
};

// Linux DT_* values
enum : uint8_t { EXT2_DT_UNKNOWN = 0, EXT2_DT_FIFO = 1, EXT2_DT_CHR = 2, EXT2_DT_DIR = 4, EXT2_DT_BLK = 6,
                 EXT2_DT_REG = 8, EXT2_DT_LNK = 10, EXT2_DT_SOCK = 12 };

struct Ext2DirEntry {
  std::string name;
  uint32_t ino = 0;
  uint8_t type = EXT2_DT_UNKNOWN;  // DT_*; unknown when the filetype feature is off
  uint64_t next = 0;               // readdir cookie of the entry after this one
};

struct Ext2StatFs {
  uint32_t block_size = 0;
  uint64_t blocks = 0, free_blocks = 0, avail_blocks = 0;
  uint64_t inodes = 0, free_inodes = 0;
  uint32_t name_max = 255;
};

// What ext2 read, from where. Emitted for every device read: data runs (including
// holes, source Zero) and metadata blocks missing from ext2's cache.
enum class Ext2ReadKind : uint8_t { Data, Inode, Bitmap, Indirect, Dir, Super, Xattr, Symlink };
const char* ext2_read_kind_name(Ext2ReadKind k);

struct Ext2TraceEvent {
  uint32_t ino = 0;        // 0 for fs-wide metadata (bitmaps, superblock)
  Ext2ReadKind kind = Ext2ReadKind::Data;
  ReadSource source = ReadSource::Cache;
  uint64_t lblk = 0;       // logical block in the file (data, dir, indirect: first of the run)
  uint64_t pblk = 0;       // physical block (0 for a hole)
  uint32_t nblocks = 1;    // blocks in this run
  uint64_t bytes_fetched = 0;
  int64_t chunk = -1;      // chunk index when the device is chunked
  // A write to the device (file data when written, metadata when written back, the
  // superblock and group descriptors at sync): kind, ino (0 for metadata not of one
  // file), pblk/nblocks and chunk as for a read; source and bytes_fetched unused.
  bool write = false;
};
using Ext2TraceFn = std::function<void(const Ext2TraceEvent&)>;

enum class Ext2Readahead : uint8_t {
  None,        // demand reads only
  Sequential,  // a sequential reader gets a growing window fetched ahead
  WholeFile,   // the first read of a file prefetches all of it (bounded), plus Sequential
};

struct Ext2Options {
  bool read_only = false;
  size_t cache_blocks = 4096;           // metadata buffers kept (clean ones are evicted)
  Ext2Readahead readahead = Ext2Readahead::Sequential;
  uint64_t max_prefetch_bytes = 8u << 20;  // per prefetch (whole file / window)
  std::function<int64_t()> now;         // seconds since the epoch (default: host clock)
};

class Ext2 {
 public:
  // Reads and validates the superblock and group descriptors. On refusal returns
  // -EINVAL (not ext2 / unsupported features / inconsistent geometry) or -EIO, with a
  // message in *err. The device must outlive the Ext2.
  static int mount(BlockDevice* dev, const Ext2Options& opt, std::unique_ptr<Ext2>* out, std::string* err);
  ~Ext2();  // does not sync: call sync() first to keep changes

  static constexpr uint32_t kRootIno = 2;
  bool read_only() const;
  uint32_t block_size() const;
  std::string features() const;  // "filetype,sparse_super,..."
  std::string volume_name() const;

  // ---- inodes
  int stat(uint32_t ino, Ext2Stat* st);
  int lookup(uint32_t dir, std::string_view name, uint32_t* ino);
  // Entries from cookie `pos` (0 = start); `fn` returns false to stop. "." and ".."
  // are included. Returns 0 or -errno.
  int readdir(uint32_t dir, uint64_t pos, const std::function<bool(const Ext2DirEntry&)>& fn);
  int readlink(uint32_t ino, std::string* target);
  // Bytes read (short at end of file), or -errno.
  int64_t read(uint32_t ino, uint64_t off, void* buf, uint64_t len);
  // Bytes written, or -errno. Extends the file; holes stay sparse.
  int64_t write(uint32_t ino, uint64_t off, const void* buf, uint64_t len);
  int truncate(uint32_t ino, uint64_t size);

  // ---- names (dir is the parent directory's inode)
  int create(uint32_t dir, std::string_view name, uint32_t mode, uint32_t uid, uint32_t gid, uint32_t* ino);
  int mknod(uint32_t dir, std::string_view name, uint32_t mode, uint32_t rdev_major, uint32_t rdev_minor,
            uint32_t uid, uint32_t gid, uint32_t* ino);
  int mkdir(uint32_t dir, std::string_view name, uint32_t mode, uint32_t uid, uint32_t gid, uint32_t* ino);
  int symlink(uint32_t dir, std::string_view name, std::string_view target, uint32_t uid, uint32_t gid,
              uint32_t* ino);
  int link(uint32_t dir, std::string_view name, uint32_t ino);
  int unlink(uint32_t dir, std::string_view name);
  int rmdir(uint32_t dir, std::string_view name);
  // POSIX rename: replaces an existing target (a file by a file, an empty directory by
  // a directory); moving a directory into its own subtree is -EINVAL.
  int rename(uint32_t olddir, std::string_view oldname, uint32_t newdir, std::string_view newname);

  // ---- attributes
  int chmod(uint32_t ino, uint32_t mode);                 // permission bits (07777)
  int chown(uint32_t ino, int64_t uid, int64_t gid);      // -1 leaves one unchanged
  int utimes(uint32_t ino, int64_t atime, int64_t mtime); // -1 leaves one unchanged; ctime = now
  int statfs(Ext2StatFs* st);

  // ---- open references (an unlinked inode lives until its last unref)
  void ref(uint32_t ino);
  void unref(uint32_t ino);

  // ---- durability
  int sync();  // metadata + superblock + device flush

  // ---- read-ahead and observation
  // Hint: the whole file will be read soon (exec, mmap): prefetch its blocks.
  int prefetch_file(uint32_t ino);
  void set_trace(Ext2TraceFn fn);
  void set_readahead(Ext2Readahead r);
  BlockDevice* device();

  struct Counters {
    uint64_t meta_reads = 0, meta_hits = 0;  // metadata block reads from the device / cache hits
    uint64_t data_reads = 0, data_blocks = 0, hole_blocks = 0;
    uint64_t prefetches = 0, prefetch_bytes = 0;
    uint64_t blocks_allocated = 0, blocks_freed = 0, inodes_allocated = 0, inodes_freed = 0;
    uint64_t corruptions = 0;  // -EIO answers caused by bad metadata
  };
  Counters counters() const;
  std::string last_error() const;  // what the last -EIO was about

  struct Impl;

 private:
  explicit Ext2(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> p_;
};

}  // namespace gb::fs
