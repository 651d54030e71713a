// tests/syscall/t_fsmeta.c — stat family, directories, links, renames, permissions,
// timestamps, getdents64, cwd.
#include "common.h"  // first: it defines _GNU_SOURCE
#include <dirent.h>
#include <sys/statfs.h>
#include <sys/syscall.h>


static int cmp(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

static void list(const char* dir) {
  DIR* d = opendir(dir);
  if (!d) { printf("opendir %s: %s\n", dir, strerrorname_np(errno)); return; }
  char* names[64];
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) && n < 64) {
    char b[300];
    snprintf(b, sizeof b, "%s:%d", e->d_name, e->d_type);
    names[n++] = strdup(b);
  }
  closedir(d);
  qsort(names, (size_t)n, sizeof names[0], cmp);
  printf("%s:", dir);
  for (int i = 0; i < n; i++) { printf(" %s", names[i]); free(names[i]); }
  printf("\n");
}

int main(void) {
  umask(022);
  enter_scratch("fsmeta");
  struct stat st, st2;
  SHOW(mkdir("a", 0777));
  SHOW(mkdir("a", 0777));                       // EEXIST
  SHOW(mkdir("nope/x", 0777));                  // ENOENT
  SHOW(stat("a", &st));
  printf("a mode %o nlink %ld\n", st.st_mode, (long)st.st_nlink);
  SHOW(mkdirat(AT_FDCWD, "a/b", 0700));
  SHOW(stat("a/b", &st));
  printf("a/b mode %o\n", st.st_mode);
  int fd = open("a/file", O_CREAT | O_WRONLY, 0666);
  SHOW(write(fd, "data", 4));
  SHOW(close(fd));
  SHOW(stat("a/file", &st));
  printf("file mode %o size %ld nlink %ld blksize>0 %d\n", st.st_mode, (long)st.st_size, (long)st.st_nlink,
         st.st_blksize > 0);
  // links
  SHOW(link("a/file", "a/hard"));
  SHOW(stat("a/file", &st));
  printf("nlink %ld\n", (long)st.st_nlink);
  SHOW(stat("a/hard", &st2));
  CHECK(st.st_ino == st2.st_ino && st.st_dev == st2.st_dev);
  SHOW(link("a/file", "a/hard"));               // EEXIST
  SHOW(link("a", "a/dirlink"));                 // EPERM
  SHOW(symlink("file", "a/sym"));
  SHOW(symlink("/nonexistent/target", "a/dangling"));
  SHOW(symlink("loop2", "a/loop1"));
  SHOW(symlink("loop1", "a/loop2"));
  SHOW(lstat("a/sym", &st));
  printf("sym is link %d size %ld\n", S_ISLNK(st.st_mode), (long)st.st_size);
  SHOW(stat("a/sym", &st));
  printf("sym target is reg %d size %ld\n", S_ISREG(st.st_mode), (long)st.st_size);
  SHOW(stat("a/dangling", &st));                // ENOENT
  SHOW(stat("a/loop1", &st));                   // ELOOP
  SHOW(open("a/loop1", O_RDONLY));              // ELOOP
  SHOW(open("a/sym", O_RDONLY | O_NOFOLLOW));   // ELOOP
  char buf[256];
  memset(buf, 0, sizeof buf);
  SHOW(readlink("a/sym", buf, sizeof buf));
  printf("readlink [%s]\n", buf);
  memset(buf, 0, sizeof buf);
  SHOW(readlink("a/sym", buf, 2));
  printf("readlink short [%s]\n", buf);
  SHOW(readlink("a/file", buf, sizeof buf));    // EINVAL
  int afd = open("a", O_RDONLY | O_DIRECTORY);
  memset(buf, 0, sizeof buf);
  SHOW(readlinkat(afd, "dangling", buf, sizeof buf));
  printf("readlinkat [%s]\n", buf);
  // fstatat variants
  SHOW(fstatat(afd, "sym", &st, 0));
  printf("follow: reg %d\n", S_ISREG(st.st_mode));
  SHOW(fstatat(afd, "sym", &st, AT_SYMLINK_NOFOLLOW));
  printf("nofollow: lnk %d\n", S_ISLNK(st.st_mode));
  SHOW(fstatat(afd, "", &st, AT_EMPTY_PATH));
  printf("empty path: dir %d\n", S_ISDIR(st.st_mode));
  SHOW(fstatat(afd, "", &st, 0));               // ENOENT
  struct statx sx;
  SHOW(statx(afd, "file", 0, STATX_BASIC_STATS, &sx));
  printf("statx size %llu mode %o has-basic %d\n", (unsigned long long)sx.stx_size, sx.stx_mode,
         (sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS);
  // permissions and access
  SHOW(chmod("a/file", 0600));
  SHOW(stat("a/file", &st));
  printf("mode %o\n", st.st_mode & 07777);
  fd = open("a/file", O_RDONLY);
  SHOW(fchmod(fd, 0755));
  SHOW(close(fd));
  SHOW(fchmodat(afd, "file", 0640, 0));
  SHOW(stat("a/file", &st));
  printf("mode %o\n", st.st_mode & 07777);
  SHOW(access("a/file", F_OK));
  SHOW(access("a/file", R_OK | W_OK));
  SHOW(access("a/file", X_OK));                 // EACCES (root, no x bit)
  SHOW(access("a/none", F_OK));                 // ENOENT
  SHOW(faccessat(afd, "b", X_OK, 0));
  SHOW(faccessat(afd, "sym", F_OK, AT_SYMLINK_NOFOLLOW));
  SHOW(chown("a/file", getuid(), getgid()));
  SHOW(lchown("a/sym", getuid(), getgid()));
  // timestamps
  struct timespec ts[2] = {{1000000000, 0}, {1234567890, 500}};
  SHOW(utimensat(AT_FDCWD, "a/file", ts, 0));
  SHOW(stat("a/file", &st));
  // Microseconds: in the node build the host directory's times go through node's fs API,
  // which carries seconds as a double (finer than a microsecond is lost there).
  printf("atime %ld mtime %ld.%06ld\n", (long)st.st_atime, (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec / 1000);
  struct timespec omit[2] = {{0, UTIME_OMIT}, {42, 0}};
  SHOW(utimensat(afd, "file", omit, 0));
  SHOW(stat("a/file", &st));
  printf("atime %ld mtime %ld\n", (long)st.st_atime, (long)st.st_mtime);
  // renames
  SHOW(rename("a/file", "a/moved"));
  SHOW(stat("a/file", &st));                    // ENOENT
  SHOW(stat("a/moved", &st));
  printf("moved size %ld\n", (long)st.st_size);
  SHOW(renameat(afd, "moved", AT_FDCWD, "top"));
  SHOW(renameat2(AT_FDCWD, "top", AT_FDCWD, "a/hard", RENAME_NOREPLACE));  // EEXIST
  SHOW(rename("top", "a/hard"));                // replaces
  SHOW(stat("a/hard", &st));
  printf("nlink after replace %ld\n", (long)st.st_nlink);
  SHOW(rename("a", "a/b/c"));                   // EINVAL
  // getdents
  list("a");
  list("a/b");
  // rmdir / unlink
  SHOW(rmdir("a"));                             // ENOTEMPTY
  SHOW(unlink("a/b"));                          // EISDIR
  SHOW(rmdir("a/hard"));                        // ENOTDIR
  SHOW(unlinkat(afd, "b", AT_REMOVEDIR));
  SHOW(unlinkat(afd, "hard", 0));
  SHOW(unlink("a/sym"));
  SHOW(unlink("a/dangling"));
  SHOW(unlink("a/loop1"));
  SHOW(unlink("a/loop2"));
  SHOW(unlink("a/none"));                       // ENOENT
  list("a");
  SHOW(close(afd));
  // cwd
  char cwd[256];
  SHOW(mkdir("c", 0755));
  SHOW(chdir("c"));
  CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd + strlen(cwd) - 2, "/c") == 0);
  SHOW(chdir(".."));
  SHOW(chdir("a/../c/./"));
  CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd + strlen(cwd) - 2, "/c") == 0);
  SHOW(syscall(SYS_getcwd, cwd, 2));            // ERANGE
  int root = open("/", O_RDONLY | O_DIRECTORY);
  SHOW(fchdir(root));
  CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, "/") == 0);
  SHOW(chdir("/.."));
  CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, "/") == 0);
  SHOW(stat("/..", &st));
  SHOW(stat("/", &st2));
  CHECK(st.st_ino == st2.st_ino);
  SHOW(chdir(scratch_dir));
  SHOW(chdir("a/file-not-there"));              // ENOENT
  fd = open("f2", O_CREAT | O_WRONLY, 0644);
  SHOW(close(fd));
  SHOW(chdir("f2"));                            // ENOTDIR
  SHOW(close(root));
  // statfs
  struct statfs sf;
  SHOW(statfs(".", &sf));
  CHECK(sf.f_bsize > 0 && sf.f_namelen > 0);
  // umask
  SHOW(umask(077));
  fd = open("masked", O_CREAT | O_WRONLY, 0666);
  SHOW(fstat(fd, &st));
  printf("masked mode %o\n", st.st_mode & 0777);
  SHOW(close(fd));
  SHOW(umask(022));
  // name too long
  char longname[400];
  memset(longname, 'x', sizeof longname - 1);
  longname[sizeof longname - 1] = 0;
  SHOW(open(longname, O_RDONLY));               // ENAMETOOLONG
  leave_scratch();
  return 0;
}
