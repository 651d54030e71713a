// setjmp/longjmp: through recursion, repeated jumps, values, volatile locals; sigsetjmp.
#include <setjmp.h>
#include <stdio.h>

static jmp_buf env;
static sigjmp_buf senv;
static int depth_reached;

static void dive(int depth, int target) {
  char pad[64];
  pad[depth % 64] = (char)depth;
  depth_reached = depth + pad[depth % 64] - (char)depth;
  if (depth == target) longjmp(env, depth * 2 + 1);
  dive(depth + 1, target);
}

static int counter;
static void bounce(void) {
  counter++;
  if (counter < 10) longjmp(env, counter);
}

int main(void) {
  for (int t = 1; t <= 200; t *= 3) {
    int r = setjmp(env);
    if (r == 0) dive(0, t);
    else printf("returned %d from depth %d\n", r, depth_reached);
  }
  volatile int local = 0;
  int r = setjmp(env);
  local += r;
  if (r < 9) { counter = r; bounce(); }
  printf("bounced: counter=%d local=%d\n", counter, local);
  // longjmp(0) is delivered as 1
  if ((r = setjmp(env)) == 0) longjmp(env, 0);
  printf("longjmp(env, 0) -> %d\n", r);
  if ((r = sigsetjmp(senv, 1)) == 0) siglongjmp(senv, 42);
  printf("siglongjmp -> %d\n", r);
  return 3;
}
