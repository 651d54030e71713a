// vm/fs/blockdev.cpp — see blockdev.h.
#include "vm/fs/blockdev.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace gb::fs {

const char* read_source_name(ReadSource s) {
  switch (s) {
    case ReadSource::Cache: return "cache";
    case ReadSource::Overlay: return "overlay";
    case ReadSource::Network: return "network";
    case ReadSource::Disk: return "disk";
    case ReadSource::Zero: return "zero";
  }
  return "?";
}

namespace {
int cost(ReadSource s) {
  switch (s) {
    case ReadSource::Zero: return 0;
    case ReadSource::Cache: return 1;
    case ReadSource::Overlay: return 2;
    case ReadSource::Disk: return 3;
    case ReadSource::Network: return 4;
  }
  return 0;
}
}  // namespace

void ReadInfo::merge(const ReadInfo& o) {
  if (cost(o.source) > cost(source)) source = o.source;
  bytes_fetched += o.bytes_fetched;
  if (chunk < 0) chunk = o.chunk;
}

// ---------------------------------------------------------------- FileDevice

FileDevice::~FileDevice() {
  if (fd_ >= 0) ::close(fd_);
}

int FileDevice::open(const std::string& path, bool writable, FileDevice** out, std::string* err) {
  int fd = ::open(path.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    if (err) *err = path + ": " + std::strerror(e);
    return -host_errno(e);
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    if (err) *err = path + ": " + std::strerror(e);
    return -host_errno(e);
  }
  auto* d = new FileDevice();
  d->fd_ = fd;
  d->size_ = uint64_t(st.st_size);
  d->writable_ = writable;
  d->path_ = path;
  *out = d;
  return 0;
}

int FileDevice::read(uint64_t off, void* buf, size_t len, ReadInfo* info) {
  if (off > size_ || len > size_ - off) return -LX_EIO;
  stats_.reads++;
  stats_.bytes_read += len;
  uint8_t* p = static_cast<uint8_t*>(buf);
  size_t done = 0;
  while (done < len) {
    ssize_t r = ::pread(fd_, p + done, len - done, off_t(off + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -LX_EIO;
    done += size_t(r);
  }
  if (info) {
    ReadInfo ri;
    ri.source = ReadSource::Disk;
    ri.bytes_fetched = len;
    info->merge(ri);
  }
  return 0;
}

int FileDevice::write(uint64_t off, const void* buf, size_t len) {
  if (!writable_) return -LX_EROFS;
  if (off > size_ || len > size_ - off) return -LX_EIO;
  stats_.writes++;
  stats_.bytes_written += len;
  const uint8_t* p = static_cast<const uint8_t*>(buf);
  size_t done = 0;
  while (done < len) {
    ssize_t r = ::pwrite(fd_, p + done, len - done, off_t(off + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -LX_EIO;
    done += size_t(r);
  }
  return 0;
}

int FileDevice::flush() {
  if (!writable_) return 0;
  return ::fsync(fd_) == 0 ? 0 : neg_host_errno();
}

// ---------------------------------------------------------------- MemoryDevice

int MemoryDevice::read(uint64_t off, void* buf, size_t len, ReadInfo* info) {
  if (off > data_.size() || len > data_.size() - off) return -LX_EIO;
  stats_.reads++;
  stats_.bytes_read += len;
  if (len) std::memcpy(buf, data_.data() + off, len);
  if (info) {
    ReadInfo ri;
    ri.source = ReadSource::Cache;
    info->merge(ri);
  }
  return 0;
}

int MemoryDevice::write(uint64_t off, const void* buf, size_t len) {
  if (!writable_) return -LX_EROFS;
  if (off > data_.size() || len > data_.size() - off) return -LX_EIO;
  stats_.writes++;
  stats_.bytes_written += len;
  if (len) std::memcpy(data_.data() + off, buf, len);
  return 0;
}

// ---------------------------------------------------------------- export

int export_image(BlockDevice* dev, const std::string& path, std::string* err) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    int e = errno;
    if (err) *err = path + ": " + std::strerror(e);
    return -host_errno(e);
  }
  const size_t step = 1 << 20;
  std::vector<uint8_t> buf(step);
  uint64_t size = dev->size();
  int rc = 0;
  for (uint64_t off = 0; off < size && rc == 0; off += step) {
    size_t n = size - off < step ? size_t(size - off) : step;
    rc = dev->read(off, buf.data(), n);
    if (rc) {
      if (err) *err = "reading the device at " + std::to_string(off) + ": " + errno_message(-rc);
      break;
    }
    for (size_t b = 0; b < n; b += 4096) {  // skip zero 4 KiB pieces: the file stays sparse
      size_t m = n - b < 4096 ? n - b : 4096;
      bool zero = true;
      for (size_t k = 0; k < m && zero; k++) zero = buf[b + k] == 0;
      if (zero) continue;
      size_t done = 0;
      while (done < m) {
        ssize_t w = ::pwrite(fd, buf.data() + b + done, m - done, off_t(off + b + done));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
          rc = -LX_EIO;
          if (err) *err = path + ": write failed";
          break;
        }
        done += size_t(w);
      }
      if (rc) break;
    }
  }
  if (rc == 0 && ::ftruncate(fd, off_t(size)) != 0) {
    rc = neg_host_errno();
    if (err) *err = path + ": " + errno_message(-rc);
  }
  ::close(fd);
  return rc;
}

}  // namespace gb::fs
