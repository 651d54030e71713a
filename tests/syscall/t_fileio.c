// tests/syscall/t_fileio.c — read/write family, open flags, lseek, dup, fcntl, truncate.
#include "common.h"  // first: it defines _GNU_SOURCE
#include <sys/sendfile.h>
#include <sys/uio.h>

int main(void) {
  enter_scratch("fileio");
  char buf[256];
  SHOW(open("f", O_RDONLY));                                  // ENOENT
  int fd = open("f", O_RDWR | O_CREAT | O_EXCL, 0644);
  CHECK(fd == 3);
  SHOW(open("f", O_RDWR | O_CREAT | O_EXCL, 0644));           // EEXIST
  SHOW(write(fd, "hello world\n", 12));
  SHOW(lseek(fd, 0, SEEK_CUR));
  SHOW(lseek(fd, 0, SEEK_SET));
  memset(buf, 0, sizeof buf);
  SHOW(read(fd, buf, 5));
  printf("read: [%s]\n", buf);
  SHOW(pread(fd, buf, 5, 6));
  printf("pread: [%.5s]\n", buf);
  SHOW(lseek(fd, 0, SEEK_CUR));                               // pread keeps the offset
  SHOW(pwrite(fd, "W", 1, 6));
  SHOW(lseek(fd, 0, SEEK_END));
  SHOW(lseek(fd, -3, SEEK_END));
  SHOW(lseek(fd, -100, SEEK_SET));                            // EINVAL
  SHOW(lseek(fd, 5, 42));                                     // EINVAL
  // A hole: write past the end, the gap reads as zeros.
  SHOW(lseek(fd, 20, SEEK_SET));
  SHOW(write(fd, "X", 1));
  SHOW(pread(fd, buf, 32, 0));
  for (int i = 0; i < 21; i++) printf("%02x", (unsigned char)buf[i]);
  printf("\n");
  // readv / writev
  struct iovec iov[3] = {{"ab", 2}, {"cde", 3}, {"\n", 1}};
  SHOW(lseek(fd, 0, SEEK_SET));
  SHOW(writev(fd, iov, 3));
  char a1[2], a2[4];
  struct iovec riov[2] = {{a1, 2}, {a2, 4}};
  SHOW(lseek(fd, 0, SEEK_SET));
  SHOW(readv(fd, riov, 2));
  printf("readv: [%.2s][%.4s]\n", a1, a2);
  SHOW(preadv(fd, riov, 2, 1));
  printf("preadv: [%.2s][%.4s]\n", a1, a2);
  // fstat size, ftruncate, truncate
  struct stat st;
  SHOW(fstat(fd, &st));
  printf("size %ld\n", (long)st.st_size);
  SHOW(ftruncate(fd, 4));
  SHOW(fstat(fd, &st));
  printf("size %ld\n", (long)st.st_size);
  SHOW(truncate("f", 100));
  SHOW(stat("f", &st));
  printf("size %ld\n", (long)st.st_size);
  SHOW(ftruncate(fd, -1));                                    // EINVAL
  SHOW(fsync(fd));
  SHOW(fdatasync(fd));
  // dup family and fcntl
  int d = dup(fd);
  CHECK(d == 4);
  SHOW(lseek(d, 2, SEEK_SET));
  SHOW(lseek(fd, 0, SEEK_CUR));                               // shared offset
  SHOW(dup2(fd, 10));
  SHOW(dup2(fd, fd));
  SHOW(dup3(fd, fd, 0));                                      // EINVAL
  SHOW(dup3(fd, 11, O_CLOEXEC));
  SHOW(fcntl(11, F_GETFD));
  SHOW(fcntl(10, F_GETFD));
  SHOW(fcntl(10, F_SETFD, FD_CLOEXEC));
  SHOW(fcntl(10, F_GETFD));
  SHOW(fcntl(fd, F_DUPFD, 20));
  SHOW(fcntl(fd, F_DUPFD_CLOEXEC, 20));
  SHOW(fcntl(21, F_GETFD));
  SHOW(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
  SHOW(fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK));
  SHOW(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
  SHOW(write(fd, "tail", 4));                                 // appends
  SHOW(lseek(fd, 0, SEEK_CUR));
  SHOW(close(10));
  SHOW(close(10));                                            // EBADF
  SHOW(fcntl(10, F_GETFD));                                   // EBADF
  SHOW(read(99, buf, 1));                                     // EBADF
  SHOW(close(11));
  SHOW(close(20));
  SHOW(close(21));
  SHOW(close(d));
  // access modes
  int ro = open("f", O_RDONLY);
  SHOW(write(ro, "x", 1));                                    // EBADF
  int wo = open("f", O_WRONLY);
  SHOW(read(wo, buf, 1));                                     // EBADF
  SHOW(close(ro));
  SHOW(close(wo));
  // O_TRUNC, O_APPEND from open
  int t = open("f", O_WRONLY | O_TRUNC);
  SHOW(fstat(t, &st));
  printf("size after O_TRUNC %ld\n", (long)st.st_size);
  SHOW(write(t, "12345", 5));
  SHOW(close(t));
  int ap = open("f", O_WRONLY | O_APPEND);
  SHOW(write(ap, "678", 3));
  SHOW(close(ap));
  int r = open("f", O_RDONLY);
  memset(buf, 0, sizeof buf);
  SHOW(read(r, buf, sizeof buf));
  printf("content [%s]\n", buf);
  SHOW(read(r, buf, sizeof buf));                             // EOF
  // sendfile to a second file
  int out = open("g", O_WRONLY | O_CREAT | O_TRUNC, 0600);
  off_t off = 2;
  SHOW(sendfile(out, r, &off, 100));
  printf("off %ld\n", (long)off);
  SHOW(close(out));
  SHOW(close(r));
  SHOW(stat("g", &st));
  printf("g size %ld\n", (long)st.st_size);
  // directories
  SHOW(mkdir("dir", 0755));
  SHOW(open("dir", O_WRONLY));                                // EISDIR
  int dfd = open("dir", O_RDONLY | O_DIRECTORY);
  SHOW(read(dfd, buf, 10));                                   // EISDIR
  SHOW(close(dfd));
  SHOW(open("f", O_RDONLY | O_DIRECTORY));                    // ENOTDIR
  SHOW(open("f/x", O_RDONLY));                                // ENOTDIR
  SHOW(open("dir/", O_RDONLY | O_CREAT, 0644));               // EISDIR
  SHOW(open("", O_RDONLY));                                   // ENOENT
  // openat relative to a directory fd
  dfd = open("dir", O_RDONLY | O_DIRECTORY);
  int in = openat(dfd, "inner", O_CREAT | O_WRONLY, 0600);
  SHOW(write(in, "in", 2));
  SHOW(close(in));
  SHOW(stat("dir/inner", &st));
  printf("inner size %ld\n", (long)st.st_size);
  SHOW(close(dfd));
  SHOW(close(fd));
  leave_scratch();
  return 0;
}
