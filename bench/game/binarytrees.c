// bench/game/binarytrees.c — binary-trees (written for this project): allocate and
// walk many complete binary trees through malloc/free, one long-lived tree kept
// throughout.  Usage: binarytrees MAXDEPTH
#include <stdio.h>
#include <stdlib.h>

struct node { struct node *l, *r; };

static struct node* make(int depth) {
  struct node* n = malloc(sizeof *n);
  if (depth > 0) { n->l = make(depth - 1); n->r = make(depth - 1); }
  else n->l = n->r = NULL;
  return n;
}

static long check(const struct node* n) { return 1 + (n->l ? check(n->l) + check(n->r) : 0); }

static void drop(struct node* n) {
  if (n->l) { drop(n->l); drop(n->r); }
  free(n);
}

int main(int argc, char** argv) {
  const int maxd = argc > 1 ? atoi(argv[1]) : 10;
  const int mind = 4;
  struct node* stretch = make(maxd + 1);
  printf("stretch tree of depth %d\t check: %ld\n", maxd + 1, check(stretch));
  drop(stretch);
  struct node* keep = make(maxd);
  for (int d = mind; d <= maxd; d += 2) {
    const long iters = 1L << (maxd - d + mind);
    long sum = 0;
    for (long i = 0; i < iters; i++) { struct node* t = make(d); sum += check(t); drop(t); }
    printf("%ld\t trees of depth %d\t check: %ld\n", iters, d, sum);
  }
  printf("long lived tree of depth %d\t check: %ld\n", maxd, check(keep));
  drop(keep);
  return 0;
}
