// tests/syscall/t_shm.c — memory shared between processes: MAP_SHARED|MAP_ANONYMOUS
// touched first after fork, shm_open + mmap in /dev/shm, process-shared semaphores and
// a process-shared mutex + condition variable (futexes keyed by the shared page).
#include "common.h"
#include <pthread.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/wait.h>

struct Shared {
  sem_t sem;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int flag;
  int counter;
};

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  // untouched before fork: the child's write must reach the parent
  int* anon = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  pid_t c = fork();
  if (c == 0) { anon[1000] = 1234; _exit(0); }
  waitpid(c, NULL, 0);
  printf("anonymous shared page written by the child: %d\n", anon[1000]);

  // shm_open
  shm_unlink("/gb-t-shm");
  int fd = shm_open("/gb-t-shm", O_CREAT | O_RDWR, 0600);
  CHECK(fd >= 0);
  SHOW(ftruncate(fd, sizeof(struct Shared)));
  struct Shared* s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(s != MAP_FAILED);
  SHOW(sem_init(&s->sem, 1, 0));
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(&s->mu, &ma);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
  pthread_cond_init(&s->cv, &ca);

  // the parent sleeps in sem_wait until the child posts: only the futex wakes it
  c = fork();
  if (c == 0) {
    usleep(30000);
    sem_post(&s->sem);
    _exit(0);
  }
  SHOW(sem_wait(&s->sem));
  waitpid(c, NULL, 0);

  // a second mapping of the same file in the child (after exec-like remap) sees the same page
  c = fork();
  if (c == 0) {
    int fd2 = shm_open("/gb-t-shm", O_RDWR, 0);
    struct Shared* s2 = mmap(NULL, sizeof *s2, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
    for (int i = 0; i < 1000; i++) {
      pthread_mutex_lock(&s2->mu);
      s2->counter++;
      pthread_mutex_unlock(&s2->mu);
    }
    pthread_mutex_lock(&s2->mu);
    s2->flag = 1;
    pthread_cond_signal(&s2->cv);
    pthread_mutex_unlock(&s2->mu);
    _exit(0);
  }
  for (int i = 0; i < 1000; i++) {
    pthread_mutex_lock(&s->mu);
    s->counter++;
    pthread_mutex_unlock(&s->mu);
  }
  pthread_mutex_lock(&s->mu);
  while (!s->flag) pthread_cond_wait(&s->cv, &s->mu);
  pthread_mutex_unlock(&s->mu);
  waitpid(c, NULL, 0);
  printf("counter %d, flag %d\n", s->counter, s->flag);
  SHOW(shm_unlink("/gb-t-shm"));
  return 0;
}
