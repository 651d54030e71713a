// Huge argv and environment (native: yes). Linux: E2BIG when one string is longer than
// MAX_ARG_STRLEN (128 KiB) or all of them exceed a quarter of the stack limit.
#include "common.h"
#include <sys/resource.h>
#include <sys/wait.h>

static long try_exec(char** argv, char** envp) {
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    execve("/bin/true", argv, envp);
    _exit(errno == E2BIG ? 42 : 43);
  }
  int st;
  waitpid(c, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int main(void) {
  char* one = malloc(200000);
  memset(one, 'a', 199999);
  one[199999] = 0;
  char* argv1[] = {"true", one, NULL};
  char* env0[] = {NULL};
  printf("one 200000-byte argument: %s\n", try_exec(argv1, env0) == 42 ? "E2BIG" : "ran");
  one[131071] = 0;  // 131071 + NUL = MAX_ARG_STRLEN
  printf("one 131072-byte argument: %s\n", try_exec(argv1, env0) == 42 ? "E2BIG" : "ran");
  one[131072] = 'a';
  one[131071] = 'a';
  one[131072] = 0;
  printf("one 131073-byte argument: %s\n", try_exec(argv1, env0) == 42 ? "E2BIG" : "ran");
  // many moderate strings: 8 MiB stack limit -> 2 MiB for argv + envp
  static char* many[40];
  char* s = malloc(100000);
  memset(s, 'b', 99999);
  s[99999] = 0;
  many[0] = "true";
  for (int i = 1; i < 39; i++) many[i] = s;  // 38 * 100 KB = 3.8 MB
  printf("3.8 MB of arguments: %s\n", try_exec(many, env0) == 42 ? "E2BIG" : "ran");
  char* env[40];
  for (int i = 0; i < 39; i++) env[i] = s;
  env[39] = NULL;
  char* argv0[] = {"true", NULL};
  printf("3.8 MB of environment: %s\n", try_exec(argv0, env) == 42 ? "E2BIG" : "ran");
  many[15] = NULL;  // 1.4 MB
  printf("1.4 MB of arguments: %s\n", try_exec(many, env0) == 42 ? "E2BIG" : "ran");
  static char* lots[300000];
  lots[0] = "true";
  for (int i = 1; i < 299999; i++) lots[i] = "";
  printf("300000 empty arguments: %s\n", try_exec(lots, env0) == 42 ? "E2BIG" : "ran");
  return finish();
}
