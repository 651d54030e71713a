// vm/fs/ext2_vfs.h — the ext2 driver (vm/fs/ext2.h) as a VFS file system (vm/fs/vfs.h),
// and the device stack the CLI's --image / --overlay options build.
//
// Index
//   1. Ext2FsOptions: overlay file, cache sizes, read-ahead, credentials, clock
//   2. Ext2Fs: FileSystem over Ext2; open() builds base device -> overlay -> ext2
//   3. (ext2_vfs.cpp) Ext2Inode: the Inode implementation
//
// Notes
//   * Errors: the driver already returns Linux errno values (LX_E*), as the VFS does, so
//     they pass through unchanged.
//   * Inode objects are cached weakly by inode number, so identity is stable while any
//     InodeRef lives. Each live object holds an Ext2::ref(): an unlinked file stays
//     readable while open or mapped, and is freed when its last InodeRef goes.
//   * New files are owned by creds() (the VFS create/mkdir calls carry no credentials):
//     the kernel sets it to the calling task's fsuid/fsgid.
//   * exec and mmap ask the inode for backing(): that is the read-ahead hint
//     (Ext2::prefetch_file): the chunks of the whole file are fetched in one batch.
//   * sync(): fsync(2), sync(2), process exit and the destructor call it; with a file
//     overlay each sync is one atomic, crash-safe commit of a consistent file system.
//   * Measurement knobs (environment, read by open()): GLASSBOX_READAHEAD=none|0 (demand
//     reads only, no exec prefetch), seq (the default: sequential window + whole-file
//     prefetch on exec/mmap), whole (also prefetch a whole file on its first read);
//     GLASSBOX_STORAGE_STATS=1 prints stats_line() to stderr when the Ext2Fs goes away
//     (the CLI, which ends with _exit, prints it itself).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "vm/fs/ext2.h"
#include "vm/fs/overlay.h"
#include "vm/fs/vfs.h"

namespace gb {

class Ext2Inode;

struct Ext2FsOptions {
  std::string overlay;            // log file for the student's writes ("" = in memory)
  bool read_only = false;
  size_t chunk_cache_mb = 64;     // chunked images: decoded chunks kept
  size_t meta_cache_blocks = 4096;
  fs::Ext2Readahead readahead = fs::Ext2Readahead::Sequential;
  bool exec_prefetch = true;      // backing() (exec, mmap) prefetches the whole file
  bool print_stats = false;       // stats_line() to stderr at destruction (GLASSBOX_STORAGE_STATS)
};

class Ext2Fs : public FileSystem, public std::enable_shared_from_this<Ext2Fs> {
 public:
  // IMAGE: a raw .ext2 file, a manifest.json path, a directory holding manifest.json,
  // or an http:// URL of one. Builds image device -> OverlayDevice -> Ext2. nullptr +
  // err on failure (e.g. "ext2: unsupported incompatible features: extent,flex_bg").
  static std::shared_ptr<Ext2Fs> open(const std::string& image, const Ext2FsOptions& opt, std::string& err);
  // Over a ready device (tests, or the browser's own device stack).
  static std::shared_ptr<Ext2Fs> mount(std::unique_ptr<fs::BlockDevice> dev, const Ext2FsOptions& opt,
                                       std::string& err);
  ~Ext2Fs() override;  // syncs

  InodeRef root() override;
  const char* type_name() const override { return "ext2"; }
  int statfs(lx_statfs& out) override;

  // Credentials for new inodes (default root:root).
  void set_creds(std::function<void(uint32_t* uid, uint32_t* gid)> fn) { creds_ = std::move(fn); }
  void creds(uint32_t* uid, uint32_t* gid) const;
  // Current time in seconds (default: the host clock).
  void set_clock(std::function<int64_t()> fn) { clock_ = std::move(fn); }
  int64_t now() const;

  int sync() override;  // -errno (guest numbers)
  fs::Ext2& ext2() { return *ext2_; }
  fs::BlockDevice* device() { return dev_.get(); }
  fs::OverlayDevice* overlay() { return overlay_; }  // nullptr when mounted over a plain device
  // The driver's read events (ext2 read trace); the kernel forwards them to vm/trace.
  void set_trace(fs::Ext2TraceFn fn) { ext2_->set_trace(std::move(fn)); }
  const Ext2FsOptions& options() const { return opt_; }
  // "storage: chunks_fetched N bytes_fetched N round_trips N ..." (device + driver counters)
  std::string stats_line() const;

  // The inode object for `ino` (cached while alive). nullptr + *err on failure.
  std::shared_ptr<Ext2Inode> inode(uint32_t ino, int* err = nullptr);

 private:
  Ext2Fs() = default;
  friend class Ext2Inode;
  std::unique_ptr<fs::BlockDevice> dev_;
  fs::OverlayDevice* overlay_ = nullptr;
  std::unique_ptr<fs::Ext2> ext2_;
  Ext2FsOptions opt_;
  std::function<void(uint32_t*, uint32_t*)> creds_;
  std::function<int64_t()> clock_;
  std::unordered_map<uint32_t, std::weak_ptr<Ext2Inode>> cache_;
};

}  // namespace gb
