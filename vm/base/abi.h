// vm/base/abi.h — the x86-64 Linux user ABI as the guest sees it: flag values,
// struct layouts and constants. Independent of the host headers (the wasm build's libc
// has other values and 32-bit pointers), so every guest-visible struct is spelled out
// here with fixed-width fields.
//
// Index
//   1. open/at/fcntl flags      LO_*, LAT_*, LF_*
//   2. file types and modes     LS_IF*
//   3. mmap/mprotect            LPROT_*, LMAP_*
//   4. guest structs            lx_stat, lx_statx, lx_statfs, lx_timespec, lx_iovec ...
//   5. signals                  LSIG* numbers and names
#pragma once
#include <cstdint>

namespace gb {

// ---- 1. open(2) flags (octal, as in the kernel's asm-generic/fcntl.h) ----------------
enum : uint32_t {
  LO_ACCMODE = 03,
  LO_RDONLY = 00,
  LO_WRONLY = 01,
  LO_RDWR = 02,
  LO_CREAT = 0100,
  LO_EXCL = 0200,
  LO_NOCTTY = 0400,
  LO_TRUNC = 01000,
  LO_APPEND = 02000,
  LO_NONBLOCK = 04000,
  LO_DSYNC = 010000,
  LO_ASYNC = 020000,
  LO_DIRECT = 040000,
  LO_LARGEFILE = 0100000,
  LO_DIRECTORY = 0200000,
  LO_NOFOLLOW = 0400000,
  LO_NOATIME = 01000000,
  LO_CLOEXEC = 02000000,
  LO_SYNC = 04010000,
  LO_PATH = 010000000,
  LO_TMPFILE = 020200000,
};

constexpr int LAT_FDCWD = -100;
enum : uint32_t {
  LAT_SYMLINK_NOFOLLOW = 0x100,
  LAT_REMOVEDIR = 0x200,
  LAT_EACCESS = 0x200,
  LAT_SYMLINK_FOLLOW = 0x400,
  LAT_NO_AUTOMOUNT = 0x800,
  LAT_EMPTY_PATH = 0x1000,
  LAT_STATX_SYNC_TYPE = 0x6000,
};

enum : int {
  LF_DUPFD = 0, LF_GETFD = 1, LF_SETFD = 2, LF_GETFL = 3, LF_SETFL = 4,
  LF_GETLK = 5, LF_SETLK = 6, LF_SETLKW = 7, LF_SETOWN = 8, LF_GETOWN = 9,
  LF_SETSIG = 10, LF_GETSIG = 11,
  LF_OFD_GETLK = 36, LF_OFD_SETLK = 37, LF_OFD_SETLKW = 38,
  LF_SETLEASE = 1024, LF_GETLEASE = 1025, LF_NOTIFY = 1026,
  LF_DUPFD_CLOEXEC = 1030, LF_SETPIPE_SZ = 1031, LF_GETPIPE_SZ = 1032,
  LF_ADD_SEALS = 1033, LF_GET_SEALS = 1034,
};
constexpr int LFD_CLOEXEC = 1;

// renameat2
enum : uint32_t { LRENAME_NOREPLACE = 1, LRENAME_EXCHANGE = 2, LRENAME_WHITEOUT = 4 };

// access(2)
enum : int { LF_OK = 0, LX_OK = 1, LW_OK = 2, LR_OK = 4 };

// ---- 2. file types ------------------------------------------------------------------
enum : uint32_t {
  LS_IFMT = 0170000,
  LS_IFSOCK = 0140000,
  LS_IFLNK = 0120000,
  LS_IFREG = 0100000,
  LS_IFBLK = 0060000,
  LS_IFDIR = 0040000,
  LS_IFCHR = 0020000,
  LS_IFIFO = 0010000,
};
inline bool lx_isdir(uint32_t m) { return (m & LS_IFMT) == LS_IFDIR; }
inline bool lx_isreg(uint32_t m) { return (m & LS_IFMT) == LS_IFREG; }
inline bool lx_islnk(uint32_t m) { return (m & LS_IFMT) == LS_IFLNK; }

// getdents64 d_type
enum : uint8_t { LDT_UNKNOWN = 0, LDT_FIFO = 1, LDT_CHR = 2, LDT_DIR = 4, LDT_BLK = 6, LDT_REG = 8, LDT_LNK = 10, LDT_SOCK = 12 };
inline uint8_t lx_dtype(uint32_t mode) { return (uint8_t)((mode & LS_IFMT) >> 12); }

// ---- 3. memory ----------------------------------------------------------------------
enum : uint32_t { LPROT_NONE = 0, LPROT_READ = 1, LPROT_WRITE = 2, LPROT_EXEC = 4, LPROT_GROWSDOWN = 0x01000000 };
enum : uint32_t {
  LMAP_SHARED = 0x01, LMAP_PRIVATE = 0x02, LMAP_SHARED_VALIDATE = 0x03, LMAP_TYPE = 0x0f,
  LMAP_FIXED = 0x10, LMAP_ANONYMOUS = 0x20, LMAP_32BIT = 0x40,
  LMAP_GROWSDOWN = 0x100, LMAP_DENYWRITE = 0x800, LMAP_EXECUTABLE = 0x1000, LMAP_LOCKED = 0x2000,
  LMAP_NORESERVE = 0x4000, LMAP_POPULATE = 0x8000, LMAP_NONBLOCK = 0x10000, LMAP_STACK = 0x20000,
  LMAP_HUGETLB = 0x40000, LMAP_SYNC = 0x80000, LMAP_FIXED_NOREPLACE = 0x100000,
};
enum : uint32_t { LMREMAP_MAYMOVE = 1, LMREMAP_FIXED = 2, LMREMAP_DONTUNMAP = 4 };

// ---- 4. guest structs (x86-64 layouts) -------------------------------------------------
#pragma pack(push, 1)
struct lx_timespec { int64_t tv_sec; int64_t tv_nsec; };
struct lx_timeval { int64_t tv_sec; int64_t tv_usec; };
// A guest time in nanoseconds, saturating at INT64_MAX as Linux's KTIME_MAX (a timeout of
// 2^62 seconds waits forever, never overflows). Both parts non-negative (callers check).
inline int64_t lx_ns(int64_t sec, int64_t sub_ns) {
  if (sec > (INT64_MAX - sub_ns) / 1000000000) return INT64_MAX;
  return sec * 1000000000 + sub_ns;
}
inline int64_t lx_ns(const lx_timespec& t) { return lx_ns(t.tv_sec, t.tv_nsec); }
// select's timeval: Linux carries whole seconds out of tv_usec before checking it.
inline int64_t lx_ns(const lx_timeval& t) {
  int64_t sec;
  if (__builtin_add_overflow(t.tv_sec, t.tv_usec / 1000000, &sec)) return INT64_MAX;
  return lx_ns(sec, t.tv_usec % 1000000 * 1000);
}
struct lx_iovec { uint64_t base; uint64_t len; };

struct lx_stat {  // struct stat, 144 bytes
  uint64_t st_dev;
  uint64_t st_ino;
  uint64_t st_nlink;
  uint32_t st_mode;
  uint32_t st_uid;
  uint32_t st_gid;
  int32_t pad0;
  uint64_t st_rdev;
  int64_t st_size;
  int64_t st_blksize;
  int64_t st_blocks;
  lx_timespec st_atim, st_mtim, st_ctim;
  int64_t unused[3];
};
static_assert(sizeof(lx_stat) == 144, "struct stat");

struct lx_statx_timestamp { int64_t tv_sec; uint32_t tv_nsec; int32_t reserved; };
struct lx_statx {  // 256 bytes
  uint32_t stx_mask;
  uint32_t stx_blksize;
  uint64_t stx_attributes;
  uint32_t stx_nlink;
  uint32_t stx_uid;
  uint32_t stx_gid;
  uint16_t stx_mode;
  uint16_t spare0;
  uint64_t stx_ino;
  uint64_t stx_size;
  uint64_t stx_blocks;
  uint64_t stx_attributes_mask;
  lx_statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
  uint32_t stx_rdev_major, stx_rdev_minor;
  uint32_t stx_dev_major, stx_dev_minor;
  uint64_t stx_mnt_id;
  uint32_t stx_dio_mem_align, stx_dio_offset_align;
  uint64_t spare3[12];
};
static_assert(sizeof(lx_statx) == 256, "struct statx");
enum : uint32_t {
  LSTATX_TYPE = 1, LSTATX_MODE = 2, LSTATX_NLINK = 4, LSTATX_UID = 8, LSTATX_GID = 0x10,
  LSTATX_ATIME = 0x20, LSTATX_MTIME = 0x40, LSTATX_CTIME = 0x80, LSTATX_INO = 0x100,
  LSTATX_SIZE = 0x200, LSTATX_BLOCKS = 0x400, LSTATX_BASIC_STATS = 0x7ff, LSTATX_BTIME = 0x800,
};

struct lx_statfs {  // struct statfs, 120 bytes
  int64_t f_type;
  int64_t f_bsize;
  uint64_t f_blocks;
  uint64_t f_bfree;
  uint64_t f_bavail;
  uint64_t f_files;
  uint64_t f_ffree;
  int32_t f_fsid[2];
  int64_t f_namelen;
  int64_t f_frsize;
  int64_t f_flags;
  int64_t f_spare[4];
};
static_assert(sizeof(lx_statfs) == 120, "struct statfs");

struct lx_utsname { char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65]; };

struct lx_sysinfo {
  int64_t uptime;
  uint64_t loads[3];
  uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
  uint16_t procs;
  uint16_t pad;
  uint32_t pad2;
  uint64_t totalhigh, freehigh;
  uint32_t mem_unit;
  char f[4];
};
static_assert(sizeof(lx_sysinfo) == 112, "struct sysinfo");

struct lx_rlimit { uint64_t cur, max; };

struct lx_rusage {
  lx_timeval ru_utime, ru_stime;
  int64_t ru_maxrss, ru_ixrss, ru_idrss, ru_isrss, ru_minflt, ru_majflt, ru_nswap, ru_inblock,
      ru_oublock, ru_msgsnd, ru_msgrcv, ru_nsignals, ru_nvcsw, ru_nivcsw;
};
struct lx_tms { int64_t utime, stime, cutime, cstime; };

struct lx_pollfd { int32_t fd; int16_t events; int16_t revents; };

struct lx_sigaction {  // the kernel's struct sigaction (rt_sigaction)
  uint64_t handler;
  uint64_t flags;
  uint64_t restorer;
  uint64_t mask;
};
struct lx_stack_t { uint64_t ss_sp; int32_t ss_flags; int32_t pad; uint64_t ss_size; };

// struct termios as TCGETS sees it (kernel layout, 36 bytes + padding to 60 in glibc;
// the kernel copies 36).
struct lx_termios {
  uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
  uint8_t c_line;
  uint8_t c_cc[19];
};
struct lx_winsize { uint16_t ws_row, ws_col, ws_xpixel, ws_ypixel; };
#pragma pack(pop)

enum : uint32_t { LPOLLIN = 1, LPOLLPRI = 2, LPOLLOUT = 4, LPOLLERR = 8, LPOLLHUP = 0x10, LPOLLNVAL = 0x20,
                  LPOLLRDNORM = 0x40, LPOLLWRNORM = 0x100 };

// ---- 5. signals ----------------------------------------------------------------------
enum : int {
  LSIGHUP = 1, LSIGINT, LSIGQUIT, LSIGILL, LSIGTRAP, LSIGABRT, LSIGBUS, LSIGFPE, LSIGKILL, LSIGUSR1,
  LSIGSEGV, LSIGUSR2, LSIGPIPE, LSIGALRM, LSIGTERM, LSIGSTKFLT, LSIGCHLD, LSIGCONT, LSIGSTOP,
  LSIGTSTP, LSIGTTIN, LSIGTTOU, LSIGURG, LSIGXCPU, LSIGXFSZ, LSIGVTALRM, LSIGPROF, LSIGWINCH,
  LSIGIO, LSIGPWR, LSIGSYS,
};
constexpr int LNSIG = 64;
enum : uint64_t { LSA_NOCLDSTOP = 1, LSA_NOCLDWAIT = 2, LSA_SIGINFO = 4, LSA_ONSTACK = 0x08000000,
                  LSA_RESTART = 0x10000000, LSA_NODEFER = 0x40000000, LSA_RESETHAND = 0x80000000,
                  LSA_RESTORER = 0x04000000 };
enum : uint64_t { LCLONE_VM = 0x100, LCLONE_FS = 0x200, LCLONE_FILES = 0x400, LCLONE_SIGHAND = 0x800,
                  LCLONE_PIDFD = 0x1000, LCLONE_PTRACE = 0x2000, LCLONE_VFORK = 0x4000, LCLONE_PARENT = 0x8000,
                  LCLONE_THREAD = 0x10000, LCLONE_NEWNS = 0x20000, LCLONE_SYSVSEM = 0x40000,
                  LCLONE_SETTLS = 0x80000, LCLONE_PARENT_SETTID = 0x100000, LCLONE_CHILD_CLEARTID = 0x200000,
                  LCLONE_DETACHED = 0x400000, LCLONE_UNTRACED = 0x800000, LCLONE_CHILD_SETTID = 0x1000000,
                  LCLONE_NEWCGROUP = 0x2000000, LCLONE_NEWUTS = 0x4000000, LCLONE_NEWIPC = 0x8000000,
                  LCLONE_NEWUSER = 0x10000000, LCLONE_NEWPID = 0x20000000, LCLONE_NEWNET = 0x40000000,
                  LCLONE_IO = 0x80000000ull, LCLONE_CLEAR_SIGHAND = 0x100000000ull };
const char* signal_name(int sig);  // "SIGSEGV", or nullptr
// The signals a fault raises (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP): with a positive
// si_code, their siginfo carries the fault address.
bool signal_is_fault(int sig);

}  // namespace gb
