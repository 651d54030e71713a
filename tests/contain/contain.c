// tests/contain/contain.c — escape attempts from a guest root (run by tests/contain/run.sh
// with --root ROOT; argv[1] is the absolute host path of a sentinel directory OUTSIDE the
// root, holding secret.txt, whose contents start with "SECRET"). ROOT holds decoys at the
// same absolute path (ROOT/OUTSIDE/secret.txt starts with "decoy"). Every case prints
// "ok NAME" or "FAIL NAME: why"; the expectations are Linux's answers for a process
// chrooted at ROOT (run.sh also runs this program natively in a chroot to prove them).
// Reading anything that starts with "SECRET" is a failure wherever it happens.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

static const char* OUT;  // the host sentinel's absolute path (also a decoy path inside)
static int passed, failed;

static void result(const char* name, int good, const char* fmt, ...) {
  if (good) { printf("ok %s\n", name); passed++; }
  else {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    printf("FAIL %s: %s\n", name, buf);
    failed++;
  }
  fflush(stdout);
}

static char* P(const char* fmt, ...) {
  static char bufs[8][PATH_MAX];
  static int i;
  char* b = bufs[i++ & 7];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(b, PATH_MAX, fmt, ap);
  va_end(ap);
  return b;
}

// Reads up to 63 bytes of an open fd (closes it): "" on error.
static const char* slurp_fd(int fd) {
  static char b[64];
  b[0] = 0;
  if (fd < 0) return b;
  ssize_t n = read(fd, b, sizeof b - 1);
  b[n > 0 ? n : 0] = 0;
  close(fd);
  if (strncmp(b, "SECRET", 6) == 0) {
    printf("FAIL secret-read: a host secret was read\n");
    failed++;
  }
  return b;
}

// Opens at (dfd, path) and reports: "E<errno>" or the first bytes.
static const char* probe(int dfd, const char* path, int flags) {
  static char r[80];
  int fd = openat(dfd, path, flags | O_RDONLY);
  if (fd < 0) { snprintf(r, sizeof r, "E%d", errno); return r; }
  snprintf(r, sizeof r, "%s", slurp_fd(fd));
  return r;
}

static int is_decoy_or_enoent(const char* r) { return strncmp(r, "decoy", 5) == 0 || strcmp(r, "E2") == 0; }

static void put(const char* path, const char* text) {
  int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd >= 0) { if (write(fd, text, strlen(text)) < 0) {} close(fd); }
}

static int exists(const char* p) { struct stat st; return lstat(p, &st) == 0; }

// ---- the attack: a held directory renamed away, a symlink to the host in its place
static void rename_symlink_dirfd(void) {
  mkdir("/a", 0755);
  int dfd = open("/a", O_RDONLY | O_DIRECTORY);
  result("held-dir: open /a", dfd >= 0, "errno %d", errno);
  result("held-dir: rename /a /b", rename("/a", "/b") == 0, "errno %d", errno);
  result("held-dir: symlink host dir at /a", symlink(OUT, "/a") == 0, "errno %d", errno);
  const char* r = probe(dfd, "secret.txt", 0);
  result("held-dir: openat(dfd, secret.txt) is /b/secret.txt: ENOENT", strcmp(r, "E2") == 0, "got %s", r);
  int fd = openat(dfd, "planted.txt", O_CREAT | O_WRONLY | O_EXCL, 0644);
  result("held-dir: openat(dfd, planted.txt, O_CREAT) succeeds", fd >= 0, "errno %d", errno);
  if (fd >= 0) { if (write(fd, "planted\n", 8) < 0) {} close(fd); }
  result("held-dir: planted.txt landed in /b", exists("/b/planted.txt"), "missing");
  result("held-dir: /a/planted.txt (decoy dir) not created", !exists(P("%s/planted.txt", OUT)), "exists");
  struct stat a, b;
  result("held-dir: fstat(dfd) is /b", fstat(dfd, &a) == 0 && stat("/b", &b) == 0 && a.st_ino == b.st_ino, "differs");
  r = probe(dfd, "..", O_DIRECTORY);
  result("held-dir: openat(dfd, ..) is /", strncmp(r, "E", 1) != 0 || strcmp(r, "E21") == 0, "got %s", r);
  fd = openat(dfd, "..", O_RDONLY | O_DIRECTORY);
  struct stat root;
  result("held-dir: dfd/.. is the root", fd >= 0 && fstat(fd, &a) == 0 && stat("/", &root) == 0 && a.st_ino == root.st_ino,
         "fd %d", fd);
  if (fd >= 0) close(fd);
  result("held-dir: mkdirat(dfd, sub)", mkdirat(dfd, "sub", 0755) == 0 && exists("/b/sub"), "errno %d", errno);
  result("held-dir: symlinkat(x, dfd, s)", symlinkat("x", dfd, "s") == 0 && exists("/b/s"), "errno %d", errno);
  result("held-dir: unlinkat(dfd, s)", unlinkat(dfd, "s", 0) == 0 && !exists("/b/s"), "errno %d", errno);
  result("held-dir: linkat(dfd, secret.txt) ENOENT",
         linkat(dfd, "secret.txt", AT_FDCWD, "/stolen", 0) < 0 && errno == ENOENT, "errno %d", errno);
  result("held-dir: fchmodat(dfd, secret.txt) ENOENT", fchmodat(dfd, "secret.txt", 0777, 0) < 0 && errno == ENOENT,
         "errno %d", errno);
  result("held-dir: renameat(dfd, secret.txt) ENOENT",
         renameat(dfd, "secret.txt", AT_FDCWD, "/stolen") < 0 && errno == ENOENT, "errno %d", errno);
  struct timespec ts[2] = {{1, 0}, {1, 0}};
  result("held-dir: utimensat(dfd, secret.txt) ENOENT", utimensat(dfd, "secret.txt", ts, 0) < 0 && errno == ENOENT,
         "errno %d", errno);
  result("held-dir: truncate via dfd path ENOENT", truncate(P("/proc/self/fd/%d/secret.txt", dfd), 0) < 0, "truncated");
  close(dfd);
}

// The same through a directory two levels down, and through its parent.
static void rename_symlink_deep(void) {
  mkdir("/e", 0755);
  mkdir("/e/f", 0755);
  int dfd = open("/e/f", O_RDONLY | O_DIRECTORY);
  rename("/e", "/g");
  symlink(OUT, "/e");
  const char* r = probe(dfd, "../secret.txt", 0);
  result("deep: openat(/e/f held, ../secret.txt) after /e->/g + symlink: ENOENT", strcmp(r, "E2") == 0, "got %s", r);
  put("/g/mine.txt", "mine\n");
  r = probe(dfd, "../mine.txt", 0);
  result("deep: openat(held, ../mine.txt) reads /g/mine.txt", strcmp(r, "mine\n") == 0, "got %s", r);
  int fd = openat(dfd, "x.txt", O_CREAT | O_WRONLY, 0600);
  result("deep: create under held dir lands in /g/f", fd >= 0 && exists("/g/f/x.txt"), "errno %d", errno);
  if (fd >= 0) close(fd);
  close(dfd);
}

// The cwd moved away and replaced by a symlink to the host.
static void rename_symlink_cwd(void) {
  mkdir("/c", 0755);
  chdir("/c");
  rename("/c", "/d");
  symlink(OUT, "/c");
  const char* r = probe(AT_FDCWD, "secret.txt", 0);
  result("cwd: open(secret.txt) after /c->/d + symlink: ENOENT", strcmp(r, "E2") == 0, "got %s", r);
  int fd = open("planted2.txt", O_CREAT | O_WRONLY, 0644);
  result("cwd: create lands in /d", fd >= 0 && exists("/d/planted2.txt"), "errno %d", errno);
  if (fd >= 0) close(fd);
  char cwd[PATH_MAX];
  result("cwd: getcwd is /d", getcwd(cwd, sizeof cwd) && strcmp(cwd, "/d") == 0, "got %s", cwd);
  r = probe(AT_FDCWD, "../../../secret.txt", 0);
  result("cwd: ../../../secret.txt: ENOENT", strcmp(r, "E2") == 0, "got %s", r);
  chdir("/");
}

// The held directory removed, then its name replaced by a symlink to the host.
static void rmdir_symlink_dirfd(void) {
  mkdir("/r", 0755);
  int dfd = open("/r", O_RDONLY | O_DIRECTORY);
  rmdir("/r");
  symlink(OUT, "/r");
  const char* r = probe(dfd, "secret.txt", 0);
  result("rmdir: openat(removed dir, secret.txt): ENOENT", strcmp(r, "E2") == 0, "got %s", r);
  int fd = openat(dfd, "planted3.txt", O_CREAT | O_WRONLY, 0644);
  result("rmdir: create in a removed dir: ENOENT", fd < 0 && errno == ENOENT, "fd %d errno %d", fd, errno);
  if (fd >= 0) close(fd);
  close(dfd);
}

// RENAME_EXCHANGE of a held directory with a symlink to the host.
static void exchange_dirfd(void) {
  mkdir("/x", 0755);
  symlink(OUT, "/xs");
  int dfd = open("/x", O_RDONLY | O_DIRECTORY);
  long e = syscall(SYS_renameat2, AT_FDCWD, "/x", AT_FDCWD, "/xs", 2 /* RENAME_EXCHANGE */);
  if (e < 0 && errno == EINVAL) { result("exchange: (RENAME_EXCHANGE unsupported here)", 1, ""); close(dfd); return; }
  result("exchange: renameat2(/x, /xs, EXCHANGE)", e == 0, "errno %d", errno);
  const char* r = probe(dfd, "secret.txt", 0);
  result("exchange: openat(held /x now /xs, secret.txt): ENOENT", strcmp(r, "E2") == 0, "got %s", r);
  r = probe(AT_FDCWD, "/x/secret.txt", 0);
  result("exchange: /x (the symlink) resolves inside the root", is_decoy_or_enoent(r), "got %s", r);
  close(dfd);
}

// "..", absolute and relative symlinks, /proc magic links.
static void paths(void) {
  const char* cases[] = {
      P("/..%s/secret.txt", OUT),
      P("/../../../../../../..%s/secret.txt", OUT),
      P("/proc/self/root/../..%s/secret.txt", OUT),
      P("/proc/self/cwd/../../..%s/secret.txt", OUT),
      P("/proc/1/root/..%s/secret.txt", OUT),
      "/abs/secret.txt",
      "/rel/secret.txt",
      "/absfile",
      "/dots/dots/dots/secret.txt",
      "/procroot/../..", 
  };
  symlink(OUT, "/abs");
  symlink(P("../../../../../../../../../../..%s", OUT), "/rel");
  symlink(P("%s/secret.txt", OUT), "/absfile");
  symlink("..", "/dots");
  symlink("/proc/self/root", "/procroot");
  for (unsigned i = 0; i < sizeof cases / sizeof *cases; i++) {
    const char* r = probe(AT_FDCWD, cases[i], 0);
    // (a directory opens and reads nothing: "")
    result(P("path: %s stays inside", cases[i]), is_decoy_or_enoent(r) || r[0] == 0, "got %s", r);
  }
  const char* r = probe(AT_FDCWD, "/abs/secret.txt", 0);
  result("path: absolute symlink resolves inside the root (decoy)", strncmp(r, "decoy", 5) == 0, "got %s", r);
  int rfd = open("/", O_RDONLY | O_DIRECTORY);
  r = probe(rfd, P("../../..%s/secret.txt", OUT), 0);
  result("path: openat(rootfd, ../../..OUT/secret.txt) is the decoy", strncmp(r, "decoy", 5) == 0, "got %s", r);
  r = probe(AT_FDCWD, P("/proc/self/fd/%d/../..%s/secret.txt", rfd, OUT), 0);
  result("path: /proc/self/fd/ROOTFD/../..OUT/secret.txt is the decoy", strncmp(r, "decoy", 5) == 0, "got %s", r);
  close(rfd);
  chdir("/");
  for (int i = 0; i < 10; i++) chdir("..");
  char cwd[PATH_MAX];
  result("path: chdir(..) x10 from / stays at /", getcwd(cwd, sizeof cwd) && strcmp(cwd, "/") == 0, "got %s", cwd);
  // A regular file with O_NOFOLLOW through a symlink: ELOOP; O_CREAT through a dangling
  // absolute symlink creates inside the root.
  r = probe(AT_FDCWD, "/absfile", O_NOFOLLOW);
  result("path: O_NOFOLLOW on a symlink: ELOOP", strcmp(r, "E40") == 0, "got %s", r);
  symlink(P("%s/created-through-link.txt", OUT), "/dangling");
  int fd = open("/dangling", O_CREAT | O_WRONLY, 0644);
  result("path: O_CREAT through a dangling absolute symlink creates inside", fd >= 0 && exists(P("%s/created-through-link.txt", OUT)),
         "fd %d errno %d", fd, errno);
  if (fd >= 0) close(fd);
}

// Symlink loops and the 40-link limit.
static void loops(void) {
  symlink("/loopb", "/loopa");
  symlink("/loopa", "/loopb");
  const char* r = probe(AT_FDCWD, "/loopa", 0);
  result("loop: a->b->a: ELOOP", strcmp(r, "E40") == 0, "got %s", r);
  mkdir("/chain", 0755);
  put("/chain/end", "decoy-end\n");
  symlink("/chain/end", "/chain/l0");
  for (int i = 1; i <= 41; i++) symlink(P("/chain/l%d", i - 1), P("/chain/l%d", i));
  r = probe(AT_FDCWD, "/chain/l39", 0);  // 40 links
  result("loop: 40 links resolve", strncmp(r, "decoy-end", 9) == 0, "got %s", r);
  r = probe(AT_FDCWD, "/chain/l40", 0);  // 41 links
  result("loop: 41 links: ELOOP", strcmp(r, "E40") == 0, "got %s", r);
}

// Hard links: both ends resolve inside the root.
static void links(void) {
  int e = link("/absfile", "/hl1");  // the symlink itself (link does not follow)
  struct stat st;
  result("link: link(symlink to host file) links the symlink", e == 0 && lstat("/hl1", &st) == 0 && S_ISLNK(st.st_mode),
         "errno %d", errno);
  const char* r = probe(AT_FDCWD, "/hl1", 0);
  result("link: reading through it gets the decoy", strncmp(r, "decoy", 5) == 0, "got %s", r);
  e = linkat(AT_FDCWD, "/absfile", AT_FDCWD, "/hl2", AT_SYMLINK_FOLLOW);
  r = probe(AT_FDCWD, "/hl2", 0);
  result("link: linkat(AT_SYMLINK_FOLLOW) of a host-pointing symlink links the decoy", e == 0 && strncmp(r, "decoy", 5) == 0,
         "e %d got %s", e, r);
  e = link(P("/..%s/secret.txt", OUT), "/hl3");
  r = probe(AT_FDCWD, "/hl3", 0);
  result("link: link(/..OUT/secret.txt) links the decoy", e == 0 && strncmp(r, "decoy", 5) == 0, "got %s", r);
  e = link("/hl4-src-missing", P("/..%s/newlink", OUT));
  result("link: link to a missing source: ENOENT", e < 0 && errno == ENOENT, "errno %d", errno);
  put("/mine", "mine\n");
  e = link("/mine", P("/../..%s/linked-in", OUT));
  result("link: a link named /../..OUT/x lands inside", e == 0 && exists(P("%s/linked-in", OUT)), "errno %d", errno);
  // A file held open, its name reused: link through /proc/self/fd is the held file.
  int fd = open("/mine", O_RDONLY);
  rename("/absfile", "/mine");  // the name now denotes a symlink to the host
  e = linkat(AT_FDCWD, P("/proc/self/fd/%d", fd), AT_FDCWD, "/hl5", AT_SYMLINK_FOLLOW);
  if (e == 0) {
    r = probe(AT_FDCWD, "/hl5", 0);
    result("link: linkat(/proc/self/fd/N) links the held file", strcmp(r, "mine\n") == 0 || strncmp(r, "decoy", 5) == 0,
           "got %s", r);
  } else {
    result("link: linkat(/proc/self/fd/N) refused or done inside", errno == ENOENT || errno == EPERM || errno == EXDEV,
           "errno %d", errno);
  }
  close(fd);
}

// setuid/setgid: the guest may ask; the host never gets them (run.sh checks the host).
static void special_bits(void) {
  put("/suid", "#!/bin/sh\n");
  int e = chmod("/suid", 04755);
  struct stat st;
  result("suid: chmod 04755", e == 0 && stat("/suid", &st) == 0, "errno %d", errno);
  result("suid: stat shows 04755", (st.st_mode & 07777) == 04755, "mode %o", st.st_mode & 07777);
  e = chmod("/suid", 0755);
  stat("/suid", &st);
  result("suid: chmod 0755 clears it", e == 0 && (st.st_mode & 07777) == 0755, "mode %o", st.st_mode & 07777);
  chmod("/suid", 06755);
  int fd = open("/sgid-new", O_CREAT | O_WRONLY, 02755);
  if (fd >= 0) { fchmod(fd, 06711); close(fd); }
  stat("/sgid-new", &st);
  result("suid: fchmod 06711 shows 06711", (st.st_mode & 07777) == 06711, "mode %o", st.st_mode & 07777);
  umask(0);
  fd = open("/created-suid", O_CREAT | O_WRONLY, 04711);
  if (fd >= 0) close(fd);
  stat("/created-suid", &st);
  result("suid: open(O_CREAT, 04711) shows 04711", (st.st_mode & 07777) == 04711, "mode %o", st.st_mode & 07777);
  mkdir("/sgid-dir", 02775);
  stat("/sgid-dir", &st);
  result("suid: mkdir 02775 drops setgid (as Linux)", (st.st_mode & 07777) == 0775, "mode %o", st.st_mode & 07777);
  chmod("/sgid-dir", 03777);
  stat("/sgid-dir", &st);
  result("suid: chmod 03777 on a directory shows 03777", (st.st_mode & 07777) == 03777, "mode %o", st.st_mode & 07777);
  mkdir("/sgid-dir/child", 0755);
  stat("/sgid-dir/child", &st);
  result("suid: a directory made in a setgid directory inherits setgid", (st.st_mode & 07777) == 02755, "mode %o",
         st.st_mode & 07777);
  umask(022);
  e = mknod("/node", S_IFCHR | 0666, makedev(1, 3));
  result("mknod: a character device in the host root: refused or inert", 1, "");
  if (e == 0) unlink("/node");
}

// Renames and creations that try to name something outside.
static void renames(void) {
  put("/mv", "x\n");
  int e = rename("/mv", P("/../../..%s/moved", OUT));
  result("rename: to /../../..OUT/moved lands inside", e == 0 && exists(P("%s/moved", OUT)), "errno %d", errno);
  e = rename(P("/..%s/secret.txt", OUT), "/grabbed");
  const char* r = probe(AT_FDCWD, "/grabbed", 0);
  result("rename: from /..OUT/secret.txt moves the decoy", e == 0 && strncmp(r, "decoy", 5) == 0, "got %s", r);
  e = rename("/grabbed", P("%s/secret.txt", OUT));
  e = mkdir(P("/abs/made-through-symlink"), 0755);
  result("mkdir: through a host-pointing symlink lands inside", e == 0 && exists(P("%s/made-through-symlink", OUT)),
         "errno %d", errno);
  e = truncate("/absfile-missing", 0);
  symlink(P("%s/secret.txt", OUT), "/tfile");
  e = truncate("/tfile", 0);
  r = probe(AT_FDCWD, P("%s/secret.txt", OUT), 0);
  result("truncate: through a host-pointing symlink truncates the decoy", e == 0 && r[0] == 0, "got %s", r);
  struct timeval tv[2] = {{12345, 0}, {12345, 0}};
  e = utimes("/abs", tv);
  struct stat st;
  result("utimes: through a host-pointing symlink changes the decoy dir", e == 0 && stat(OUT, &st) == 0 && st.st_mtime == 12345,
         "errno %d", errno);
}

int main(int argc, char** argv) {
  if (argc < 2 || argv[1][0] != '/') { fprintf(stderr, "usage: contain /HOST/OUTSIDE\n"); return 2; }
  OUT = argv[1];
  chdir("/");
  umask(022);
  rename_symlink_dirfd();
  rename_symlink_deep();
  rename_symlink_cwd();
  rmdir_symlink_dirfd();
  exchange_dirfd();
  paths();
  loops();
  links();
  special_bits();
  renames();
  printf("contain: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
