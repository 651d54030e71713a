// tests/jit/alias.c — code changed through another view of the same memory: one memfd
// page mapped twice, read-write at W and read-execute at X (MAP_SHARED; what JITs do to
// keep W^X), so a store to W changes the code at X under a different address:
//   1. main patches the immediate of `mov eax, imm32; ret` through W, then calls X;
//   2. the same through pwrite() on the memfd (a write() into a page mapped as code);
//   3. the code at X stores through W into its own next instruction (the running block);
//   4. a forked child patches through its own W while the parent runs X (pipes in step).
// Each many times, so that compiled regions are made, patched and dropped. Prints what the
// code returned; the engine (--jit off, on, always) must print what the host CPU prints.
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

typedef int (*fn0)(void);
typedef int (*fn2)(uint8_t* w, int v);

int main(void) {
  int fd = memfd_create("alias", 0);
  if (fd < 0 || ftruncate(fd, 4096) != 0) { perror("memfd"); return 1; }
  uint8_t* w = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  uint8_t* x = mmap(0, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
  if (w == MAP_FAILED || x == MAP_FAILED) { perror("mmap"); return 1; }

  // 1. mov eax, imm32; ret -- the immediate patched through w
  const uint8_t ret_imm[] = {0xb8, 0, 0, 0, 0, 0xc3};
  memcpy(w, ret_imm, sizeof ret_imm);
  long s1 = 0;
  int bad1 = 0;
  for (int i = 0; i < 3000; i++) {
    const int32_t v = i * 7 + 1;
    memcpy(w + 1, &v, 4);
    const int r = ((fn0)x)();
    if (r != v) bad1++;
    s1 += r;
  }
  printf("through a second mapping: sum %ld, %d stale\n", s1, bad1);

  // 2. the same immediate through pwrite() on the memfd
  long s2 = 0;
  int bad2 = 0;
  for (int i = 0; i < 2000; i++) {
    const int32_t v = i * 5 + 3;
    if (pwrite(fd, &v, 4, 1) != 4) { perror("pwrite"); return 1; }
    const int r = ((fn0)x)();
    if (r != v) bad2++;
    s2 += r;
  }
  printf("through write(): sum %ld, %d stale\n", s2, bad2);

  // 3. at +0x100: mov [rdi+0x108], sil; mov eax, imm32; ret -- the store (through w, the
  //    first argument) lands in the immediate of the next instruction at x
  const uint8_t self[] = {0x40, 0x88, 0xb7, 0x05, 0x01, 0, 0, 0xb8, 0, 0, 0, 0, 0xc3};
  memcpy(w + 0x100, self, sizeof self);
  // (mov [rdi+disp32], sil: 40 88 b7 disp32; the mov eax at +0x107, its immediate at +0x108)
  const int32_t at_imm = 0x108;
  memcpy(w + 0x103, &at_imm, 4);
  long s3 = 0;
  int bad3 = 0;
  for (int i = 0; i < 3000; i++) {
    const int v = (i * 13) & 0xff;
    w[0x109] = (uint8_t)(i >> 8);  // the rest of the immediate, from main
    const int r = ((fn2)(x + 0x100))(w, v);
    if (r != (v | ((i >> 8) & 0xff) << 8)) bad3++;
    s3 += r;
  }
  printf("the running block through a second mapping: sum %ld, %d stale\n", s3, bad3);

  // 4. another process patches through its own mapping of the page
  int to_child[2], to_parent[2];
  if (pipe(to_child) || pipe(to_parent)) { perror("pipe"); return 1; }
  const pid_t pid = fork();
  if (pid < 0) { perror("fork"); return 1; }
  if (pid == 0) {
    close(to_child[1]);
    int32_t v;
    while (read(to_child[0], &v, 4) == 4) {
      memcpy(w + 1, &v, 4);
      if (write(to_parent[1], "k", 1) != 1) _exit(1);
    }
    _exit(0);
  }
  long s4 = 0;
  int bad4 = 0;
  for (int i = 0; i < 300; i++) {
    const int32_t v = i * 11 + 5;
    char k;
    if (write(to_child[1], &v, 4) != 4 || read(to_parent[0], &k, 1) != 1) { perror("pipe io"); return 1; }
    const int r = ((fn0)x)();
    if (r != v) bad4++;
    s4 += r;
  }
  close(to_child[1]);
  int st = 0;
  waitpid(pid, &st, 0);
  printf("from another process: sum %ld, %d stale, child status %d\n", s4, bad4, st);
  return 0;
}
