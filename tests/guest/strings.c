// String functions over many alignments and lengths (these reach glibc's SSE2 ifunc
// variants): strlen strnlen strcmp strncmp memcmp memcpy memmove memset memchr memrchr
// strchr strrchr strstr strcpy strcat strspn strcspn, checked against naive versions.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char A[8192], B[8192], C[8192];
static int fails;
#define CHECK(cond, ...) do { if (!(cond)) { if (fails++ < 20) { printf("FAIL: " __VA_ARGS__); printf("\n"); } } } while (0)

static size_t n_strlen(const char* s) { size_t n = 0; while (s[n]) n++; return n; }
static int sgn(int x) { return (x > 0) - (x < 0); }
static int n_memcmp(const unsigned char* a, const unsigned char* b, size_t n) {
  for (size_t i = 0; i < n; i++) if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}
static int n_strcmp(const char* a, const char* b) {
  for (;; a++, b++) { if (*a != *b) return (unsigned char)*a < (unsigned char)*b ? -1 : 1; if (!*a) return 0; }
}

int main(void) {
  unsigned long checksum = 0;
  for (int al = 0; al < 64; al++) {
    for (int len = 0; len < 300; len += (len < 40 ? 1 : 7)) {
      char* s = (char*)A + al;
      for (int i = 0; i < len; i++) s[i] = (char)('a' + (i * 7 + al) % 26);
      s[len] = 0;
      s[len + 1] = 'x';
      CHECK(strlen(s) == (size_t)len, "strlen al=%d len=%d", al, len);
      CHECK(strnlen(s, len / 2) == (size_t)(len / 2), "strnlen al=%d len=%d", al, len);
      // strchr/strrchr/memchr: a char placed at various positions
      if (len > 0) {
        int pos = (al * 13 + len) % len;
        char save = s[pos];
        s[pos] = '#';
        CHECK(strchr(s, '#') == s + pos, "strchr al=%d len=%d", al, len);
        CHECK(strrchr(s, '#') == s + pos, "strrchr al=%d len=%d", al, len);
        CHECK(memchr(s, '#', len) == s + pos, "memchr al=%d len=%d", al, len);
        CHECK(memrchr(s, '#', len) == s + pos, "memrchr al=%d len=%d", al, len);
        CHECK(rawmemchr(s, '#') == s + pos, "rawmemchr al=%d len=%d", al, len);
        s[pos] = save;
      }
      CHECK(strchr(s, '#') == NULL, "strchr miss al=%d len=%d", al, len);
      CHECK(strchr(s, 0) == s + len, "strchr nul al=%d len=%d", al, len);
      // comparisons: equal, and differing at one position, against a copy at another alignment
      char* t = (char*)B + (al * 5) % 64;
      memcpy(t, s, len + 1);
      CHECK(strcmp(s, t) == 0 && memcmp(s, t, len) == 0 && strncmp(s, t, len) == 0, "cmp eq al=%d len=%d", al, len);
      if (len > 0) {
        int pos = (al + len * 3) % len;
        t[pos] = (char)(t[pos] + 1 + (al & 1) * 0x80);
        CHECK(sgn(strcmp(s, t)) == n_strcmp(s, t), "strcmp al=%d len=%d pos=%d", al, len, pos);
        CHECK(sgn(memcmp(s, t, len)) == n_memcmp((unsigned char*)s, (unsigned char*)t, len), "memcmp al=%d len=%d", al, len);
        CHECK(sgn(strncmp(s, t, pos)) == 0, "strncmp prefix al=%d len=%d", al, len);
        CHECK(sgn(strncmp(s, t, len)) == n_strcmp(s, t), "strncmp al=%d len=%d", al, len);
      }
      // memcpy / memmove (overlapping both ways) / memset
      unsigned char* d = C + (al * 3) % 64;
      memset(C, 0x55, 1024);
      memcpy(d, s, len);
      CHECK(n_memcmp(d, (unsigned char*)s, len) == 0 && d[len] == 0x55 && (d == C || d[-1] == 0x55), "memcpy al=%d len=%d", al, len);
      memmove(d + 3, d, len);
      CHECK(n_memcmp(d + 3, (unsigned char*)s, len) == 0, "memmove fwd al=%d len=%d", al, len);
      memmove(d, d + 3, len);
      CHECK(n_memcmp(d, (unsigned char*)s, len) == 0, "memmove back al=%d len=%d", al, len);
      memset(d, al, len);
      int ok = d[len] != (unsigned char)al || len == 0 ? 1 : 1;
      for (int i = 0; i < len; i++) ok &= d[i] == (unsigned char)al;
      CHECK(ok, "memset al=%d len=%d", al, len);
      // strcpy / strcat / strspn
      char* u = (char*)C + 2048 + al;
      strcpy(u, s);
      strcat(u, "!end");
      CHECK(n_strlen(u) == (size_t)len + 4 && strcmp(u + len, "!end") == 0, "strcpy/strcat al=%d len=%d", al, len);
      CHECK(strspn(s, "abcdefghijklm") <= (size_t)len && strcspn(s, "#") == (size_t)len, "strspn al=%d len=%d", al, len);
      for (int i = 0; i < len; i++) checksum = checksum * 31 + (unsigned char)u[i];
    }
  }
  // strstr with needles at many positions and lengths
  for (int hl = 1; hl < 200; hl += 3) {
    char* h = (char*)A + (hl % 17);
    for (int i = 0; i < hl; i++) h[i] = "abcab"[i % 5];
    h[hl] = 0;
    for (int nl = 1; nl < 12 && nl <= hl; nl++) {
      char needle[16];
      memcpy(needle, h + hl - nl, nl);
      needle[nl] = 0;
      char* r = strstr(h, needle);
      char* n = NULL;
      for (int i = 0; i + nl <= hl && !n; i++) if (memcmp(h + i, needle, nl) == 0) n = h + i;
      CHECK(r == n, "strstr hl=%d nl=%d", hl, nl);
      checksum += r ? (unsigned long)(r - h) : 7;
    }
    CHECK(strstr(h, "abd") == NULL, "strstr miss hl=%d", hl);
  }
  printf("checksum %lu, %d failures\n", checksum, fails);
  return fails != 0;
}
