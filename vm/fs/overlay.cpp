// vm/fs/overlay.cpp — see overlay.h.
#include "vm/fs/overlay.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm/fs/inflate.h"  // crc32_update

namespace gb::fs {

namespace {
constexpr uint32_t kHeaderSize = 512;
constexpr uint32_t kRecMagic = 0x4B524247;  // "GBRK"
constexpr uint32_t kRecBlock = 1, kRecCommit = 2;
constexpr uint32_t kRecHeader = 32;
const char kLogMagic[8] = {'G', 'B', 'O', 'V', 'L', 'O', 'G', '1'};

void put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = uint8_t(v >> (8 * i));
}
void put64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = uint8_t(v >> (8 * i));
}
uint32_t get32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
uint64_t get64(const uint8_t* p) { return uint64_t(get32(p)) | uint64_t(get32(p + 4)) << 32; }

int pread_all(int fd, void* buf, size_t len, uint64_t off) {
  uint8_t* p = static_cast<uint8_t*>(buf);
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::pread(fd, p + done, len - done, off_t(off + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n == 0 ? -LX_ENODATA : neg_host_errno();
    done += size_t(n);
  }
  return 0;
}
int pwrite_all(int fd, const void* buf, size_t len, uint64_t off) {
  const uint8_t* p = static_cast<const uint8_t*>(buf);
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::pwrite(fd, p + done, len - done, off_t(off + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n == 0 ? -LX_EIO : neg_host_errno();
    done += size_t(n);
  }
  return 0;
}
int fsync_dir_of(const std::string& path) {
  size_t s = path.rfind('/');
  std::string dir = s == std::string::npos ? "." : (s == 0 ? "/" : path.substr(0, s));
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return 0;  // best effort
  ::fsync(fd);
  ::close(fd);
  return 0;
}
}  // namespace

OverlayDevice::~OverlayDevice() {
  if (fd_ >= 0) ::close(fd_);
}

std::unique_ptr<OverlayDevice> OverlayDevice::memory(std::unique_ptr<BlockDevice> base, uint32_t block_size) {
  std::unique_ptr<OverlayDevice> o(new OverlayDevice());
  o->base_ = std::move(base);
  o->bs_ = block_size;
  return o;
}

int OverlayDevice::write_header(int fd) {
  uint8_t h[kHeaderSize];
  std::memset(h, 0, sizeof h);
  std::memcpy(h, kLogMagic, 8);
  put32(h + 8, 1);
  put32(h + 12, bs_);
  put64(h + 16, base_->size());
  put32(h + 24, uint32_t(base_id_.size()));
  std::memcpy(h + 28, base_id_.data(), base_id_.size());
  put32(h + 508, crc32_update(0, h, 508));
  return pwrite_all(fd, h, sizeof h, 0);
}

int OverlayDevice::open_file(std::unique_ptr<BlockDevice> base, const std::string& path, const std::string& base_id,
                             uint32_t block_size, std::unique_ptr<OverlayDevice>* out, std::string* err) {
  if (block_size < 512 || block_size > 65536 || (block_size & (block_size - 1))) {
    if (err) *err = "overlay: bad block size";
    return -LX_EINVAL;
  }
  if (base_id.size() > 256) {
    if (err) *err = "overlay: base id too long";
    return -LX_EINVAL;
  }
  std::unique_ptr<OverlayDevice> o(new OverlayDevice());
  o->base_ = std::move(base);
  o->bs_ = block_size;
  o->path_ = path;
  o->base_id_ = base_id;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    int e = errno;
    if (err) *err = path + ": " + std::strerror(e);
    return -host_errno(e);
  }
  o->fd_ = fd;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    if (err) *err = path + ": " + std::strerror(e);
    return -host_errno(e);
  }
  if (st.st_size == 0) {
    int rc = o->write_header(fd);
    if (rc == 0 && ::fsync(fd) != 0) rc = neg_host_errno();
    if (rc) {
      if (err) *err = path + ": cannot write the header: " + errno_message(-rc);
      return rc;
    }
    fsync_dir_of(path);
    o->log_end_ = kHeaderSize;
  } else {
    int rc = o->replay(err);
    if (rc) return rc;
  }
  *out = std::move(o);
  return 0;
}

int OverlayDevice::replay(std::string* err) {
  uint8_t h[kHeaderSize];
  int rc = pread_all(fd_, h, sizeof h, 0);
  if (rc || std::memcmp(h, kLogMagic, 8) != 0 || get32(h + 508) != crc32_update(0, h, 508) || get32(h + 8) != 1) {
    if (err) *err = path_ + ": not an overlay log (bad header)";
    return -LX_EINVAL;
  }
  if (get32(h + 12) != bs_) {
    if (err) *err = path_ + ": overlay block size " + std::to_string(get32(h + 12)) + " != " + std::to_string(bs_);
    return -LX_EINVAL;
  }
  if (get64(h + 16) != base_->size()) {
    if (err) *err = path_ + ": the overlay belongs to an image of " + std::to_string(get64(h + 16)) +
                    " bytes, this one has " + std::to_string(base_->size());
    return -LX_EINVAL;
  }
  uint32_t idl = get32(h + 24);
  std::string id = idl <= 256 ? std::string(reinterpret_cast<const char*>(h + 28), idl) : std::string();
  if (!base_id_.empty() && !id.empty() && id != base_id_) {
    if (err) *err = path_ + ": the overlay belongs to image " + id + ", not " + base_id_;
    return -LX_EINVAL;
  }
  if (base_id_.empty()) base_id_ = id;
  struct stat st;
  fstat(fd_, &st);
  uint64_t fsize = uint64_t(st.st_size);
  uint64_t pos = kHeaderSize, committed = kHeaderSize;
  std::vector<std::pair<uint64_t, uint64_t>> pending;  // block -> data offset
  std::vector<uint8_t> data(bs_);
  uint8_t rh[kRecHeader];
  while (pos + kRecHeader <= fsize) {
    if (pread_all(fd_, rh, kRecHeader, pos)) break;
    uint32_t type = get32(rh + 4);
    uint32_t len = get32(rh + 24);
    if (get32(rh) != kRecMagic) break;
    if (!((type == kRecBlock && len == bs_) || (type == kRecCommit && len == 0))) break;
    if (pos + kRecHeader + len > fsize) break;
    if (len && pread_all(fd_, data.data(), len, pos + kRecHeader)) break;
    uint32_t crc = crc32_update(0, rh, 28);
    crc = crc32_update(crc, data.data(), len);
    if (crc != get32(rh + 28)) break;
    uint64_t seq = get64(rh + 16);
    if (type == kRecBlock) {
      uint64_t blk = get64(rh + 8);
      if (blk * uint64_t(bs_) >= base_->size()) break;
      pending.emplace_back(blk, pos + kRecHeader);
    } else {
      for (auto& p : pending) {
        Entry& e = map_[p.first];
        e.file_off = int64_t(p.second);
        e.mem.reset();
        e.dirty = false;
      }
      pending.clear();
      committed = pos + kRecHeader;
    }
    if (seq > seq_) seq_ = seq;
    pos += kRecHeader + len;
  }
  // cut off whatever follows the last complete commit (a torn flush)
  if (committed < fsize) {
    if (::ftruncate(fd_, off_t(committed)) != 0) {
      int e = errno;
      if (err) *err = path_ + ": cannot cut the torn tail: " + std::strerror(e);
      return -host_errno(e);
    }
    ::fsync(fd_);
  }
  log_end_ = committed;
  return 0;
}

int OverlayDevice::append_record(uint32_t type, uint64_t blk, const uint8_t* data, int64_t* data_off) {
  uint32_t len = type == kRecBlock ? bs_ : 0;
  std::vector<uint8_t> rec(kRecHeader + len);
  put32(rec.data(), kRecMagic);
  put32(rec.data() + 4, type);
  put64(rec.data() + 8, blk);
  put64(rec.data() + 16, ++seq_);
  put32(rec.data() + 24, len);
  if (len) std::memcpy(rec.data() + kRecHeader, data, len);
  uint32_t crc = crc32_update(0, rec.data(), 28);
  crc = crc32_update(crc, rec.data() + kRecHeader, len);
  put32(rec.data() + 28, crc);
  int rc = pwrite_all(fd_, rec.data(), rec.size(), log_end_);
  if (rc) return rc;
  if (data_off) *data_off = int64_t(log_end_ + kRecHeader);
  log_end_ += rec.size();
  return 0;
}

int OverlayDevice::load(uint64_t blk, const Entry& e, uint8_t* out) {
  if (e.mem) {
    std::memcpy(out, e.mem.get(), bs_);
    return 0;
  }
  if (e.file_off >= 0 && fd_ >= 0) return pread_all(fd_, out, bs_, uint64_t(e.file_off)) ? -LX_EIO : 0;
  return -LX_EIO;
}

int OverlayDevice::read_block(uint64_t blk, uint8_t* out) {
  auto it = map_.find(blk);
  if (it != map_.end()) return load(blk, it->second, out);
  uint64_t off = blk * bs_;
  size_t n = size_t(std::min<uint64_t>(bs_, base_->size() - off));
  if (n < bs_) std::memset(out + n, 0, bs_ - n);
  return base_->read(off, out, n);
}

int OverlayDevice::read(uint64_t off, void* buf, size_t len, ReadInfo* info) {
  uint64_t size = base_->size();
  if (off > size || len > size - off) return -LX_EIO;
  stats_.reads++;
  stats_.bytes_read += len;
  uint8_t* p = static_cast<uint8_t*>(buf);
  uint64_t end = off + len;
  uint64_t pos = off;
  std::vector<uint8_t> tmp;
  while (pos < end) {
    uint64_t blk = pos / bs_;
    auto it = map_.find(blk);
    if (it == map_.end()) {
      // a run of base blocks: one base read
      uint64_t run_end = pos;
      while (run_end < end && !map_.count(run_end / bs_)) run_end = std::min(end, (run_end / bs_ + 1) * bs_);
      int rc = base_->read(pos, p + (pos - off), size_t(run_end - pos), info);
      if (rc) return rc;
      pos = run_end;
      continue;
    }
    uint64_t bstart = blk * bs_;
    uint64_t s = pos - bstart;
    uint64_t n = std::min<uint64_t>(bs_ - s, end - pos);
    const Entry& e = it->second;
    if (e.mem) {
      std::memcpy(p + (pos - off), e.mem.get() + s, size_t(n));
    } else {
      if (e.file_off < 0 || pread_all(fd_, p + (pos - off), size_t(n), uint64_t(e.file_off) + s)) return -LX_EIO;
    }
    stats_.overlay_reads++;
    if (info) {
      ReadInfo ri;
      ri.source = ReadSource::Overlay;
      info->merge(ri);
    }
    pos += n;
  }
  return 0;
}

int OverlayDevice::write(uint64_t off, const void* buf, size_t len) {
  uint64_t size = base_->size();
  if (off > size || len > size - off) return -LX_EIO;
  stats_.writes++;
  stats_.bytes_written += len;
  const uint8_t* p = static_cast<const uint8_t*>(buf);
  uint64_t end = off + len, pos = off;
  while (pos < end) {
    uint64_t blk = pos / bs_;
    uint64_t s = pos - blk * bs_;
    uint64_t n = std::min<uint64_t>(bs_ - s, end - pos);
    auto it = map_.find(blk);
    std::unique_ptr<uint8_t[]> data;
    if (it != map_.end() && it->second.mem) {
      std::memcpy(it->second.mem.get() + s, p + (pos - off), size_t(n));
    } else {
      data.reset(new uint8_t[bs_]);
      if (n < bs_) {
        int rc = read_block(blk, data.get());
        if (rc) return rc;
      }
      std::memcpy(data.get() + s, p + (pos - off), size_t(n));
      Entry& e = map_[blk];
      e.mem = std::move(data);
      if (fd_ >= 0) dirty_bytes_ += bs_;  // a block in memory that the log does not have yet
    }
    map_[blk].dirty = true;
    pos += n;
  }
  if (fd_ >= 0 && dirty_bytes_ > dirty_limit_) return spill();
  return 0;
}

// Writes the dirty blocks to the log without a commit (memory relief). They become
// part of the image on disk only at the next commit.
int OverlayDevice::spill() {
  for (auto& kv : map_) {
    Entry& e = kv.second;
    if (!e.dirty || !e.mem) continue;
    int64_t off;
    int rc = append_record(kRecBlock, kv.first, e.mem.get(), &off);
    if (rc) return rc;
    e.file_off = off;
    e.mem.reset();
    // still dirty in the sense "not committed": flush() writes a commit for it
  }
  dirty_bytes_ = 0;
  return 0;
}

int OverlayDevice::flush() {
  if (fd_ < 0) {
    // memory mode: hand the changed blocks to the sink (if any)
    if (!sink_) {
      for (auto& kv : map_) kv.second.dirty = false;
      return 0;
    }
    std::vector<std::pair<uint64_t, const uint8_t*>> blocks;
    for (auto& kv : map_)
      if (kv.second.dirty) blocks.emplace_back(kv.first, kv.second.mem.get());
    if (blocks.empty()) return 0;
    int rc = sink_(blocks);
    if (rc) return rc < 0 ? rc : -LX_EIO;
    for (auto& kv : map_) kv.second.dirty = false;
    return 0;
  }
  bool any = false;
  // sorted by block number: a compact, reproducible log
  std::vector<uint64_t> order;
  for (auto& kv : map_)
    if (kv.second.dirty) order.push_back(kv.first);
  std::sort(order.begin(), order.end());
  for (uint64_t blk : order) {
    Entry& e = map_[blk];
    any = true;
    if (e.mem) {
      int64_t off;
      int rc = append_record(kRecBlock, blk, e.mem.get(), &off);
      if (rc) return rc;
      e.file_off = off;
    }
  }
  if (!any) return 0;
  int rc = append_record(kRecCommit, 0, nullptr, nullptr);
  if (rc) return rc;
  if (::fdatasync(fd_) != 0) return neg_host_errno();
  for (uint64_t blk : order) {
    Entry& e = map_[blk];
    e.dirty = false;
    e.mem.reset();
  }
  dirty_bytes_ = 0;
  uint64_t live = uint64_t(map_.size()) * (bs_ + kRecHeader) + kHeaderSize;
  if (log_end_ > 2 * live + compact_slack_) return compact();
  return 0;
}

int OverlayDevice::compact() {
  if (fd_ < 0) return 0;
  // committed state first: compaction writes only committed data
  bool dirty = false;
  for (auto& kv : map_) dirty |= kv.second.dirty;
  if (dirty) {
    int rc = flush();
    if (rc) return rc;
  }
  std::string tmp = path_ + ".compact";
  int nfd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (nfd < 0) return neg_host_errno();
  int ofd = fd_;
  uint64_t oend = log_end_;
  fd_ = nfd;
  log_end_ = kHeaderSize;
  int rc = write_header(nfd);
  std::vector<uint64_t> order;
  for (auto& kv : map_) order.push_back(kv.first);
  std::sort(order.begin(), order.end());
  std::vector<uint8_t> data(bs_);
  std::vector<std::pair<uint64_t, int64_t>> newoff;
  for (size_t i = 0; i < order.size() && rc == 0; i++) {
    Entry& e = map_[order[i]];
    if (e.mem) std::memcpy(data.data(), e.mem.get(), bs_);
    else if (e.file_off < 0 || pread_all(ofd, data.data(), bs_, uint64_t(e.file_off))) rc = -LX_EIO;
    if (rc) break;
    int64_t off;
    rc = append_record(kRecBlock, order[i], data.data(), &off);
    newoff.emplace_back(order[i], off);
  }
  if (rc == 0) rc = append_record(kRecCommit, 0, nullptr, nullptr);
  if (rc == 0 && ::fsync(nfd) != 0) rc = neg_host_errno();
  if (rc == 0 && ::rename(tmp.c_str(), path_.c_str()) != 0) rc = neg_host_errno();
  if (rc) {
    ::close(nfd);
    ::unlink(tmp.c_str());
    fd_ = ofd;
    log_end_ = oend;
    return rc;
  }
  fsync_dir_of(path_);
  ::close(ofd);
  for (auto& p : newoff) {
    Entry& e = map_[p.first];
    e.file_off = p.second;
    e.mem.reset();
  }
  stats_.compactions++;
  return 0;
}

int OverlayDevice::reset() {
  map_.clear();
  dirty_bytes_ = 0;
  if (fd_ < 0) return 0;
  // a fresh file renamed over the old one: a crash leaves either the old or the empty log
  std::string tmp = path_ + ".reset";
  int nfd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (nfd < 0) return neg_host_errno();
  int rc = write_header(nfd);
  if (rc == 0 && ::fsync(nfd) != 0) rc = neg_host_errno();
  if (rc == 0 && ::rename(tmp.c_str(), path_.c_str()) != 0) rc = neg_host_errno();
  if (rc) {
    ::close(nfd);
    ::unlink(tmp.c_str());
    return rc;
  }
  fsync_dir_of(path_);
  ::close(fd_);
  fd_ = nfd;
  log_end_ = kHeaderSize;
  return 0;
}

void OverlayDevice::prefetch(const std::vector<Range>& ranges) {
  // blocks held by the overlay need nothing from the base
  std::vector<Range> base_ranges;
  for (const Range& r : ranges) {
    uint64_t pos = r.off, end = std::min(r.off + r.len, base_->size());
    while (pos < end) {
      if (map_.count(pos / bs_)) {
        pos = (pos / bs_ + 1) * bs_;
        continue;
      }
      uint64_t s = pos;
      while (pos < end && !map_.count(pos / bs_)) pos = std::min(end, (pos / bs_ + 1) * bs_);
      base_ranges.push_back({s, pos - s});
    }
  }
  if (!base_ranges.empty()) base_->prefetch(base_ranges);
}

DeviceStats OverlayDevice::stats() const {
  DeviceStats s = base_->stats();
  s.reads = stats_.reads;
  s.writes = stats_.writes;
  s.bytes_read = stats_.bytes_read;
  s.bytes_written = stats_.bytes_written;
  s.overlay_blocks = map_.size();
  s.overlay_reads = stats_.overlay_reads;
  s.log_bytes = fd_ >= 0 ? log_end_ : 0;
  s.compactions = stats_.compactions;
  return s;
}

void OverlayDevice::reset_stats() {
  stats_ = DeviceStats();
  base_->reset_stats();
}

std::string OverlayDevice::describe() const {
  return "overlay " + (fd_ >= 0 ? path_ : std::string("(memory)")) + " over " + base_->describe();
}

int OverlayDevice::for_each_block(const std::function<int(uint64_t, const uint8_t*)>& fn) {
  std::vector<uint8_t> data(bs_);
  std::vector<uint64_t> order;
  for (auto& kv : map_) order.push_back(kv.first);
  std::sort(order.begin(), order.end());
  for (uint64_t blk : order) {
    int rc = load(blk, map_[blk], data.data());
    if (rc) return rc;
    rc = fn(blk, data.data());
    if (rc) return rc;
  }
  return 0;
}

int OverlayDevice::put_block(uint64_t blk, const uint8_t* data) {
  if ((blk + 1) * uint64_t(bs_) > base_->size() + bs_ - 1 || blk * uint64_t(bs_) >= base_->size()) return -LX_EINVAL;
  Entry& e = map_[blk];
  e.mem.reset(new uint8_t[bs_]);
  std::memcpy(e.mem.get(), data, bs_);
  e.file_off = -1;
  e.dirty = fd_ >= 0;  // in file mode it must reach the log
  return 0;
}

}  // namespace gb::fs
