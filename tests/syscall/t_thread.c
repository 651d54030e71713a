// tests/syscall/t_thread.c — threads: pthread_create/join (CLONE_CHILD_CLEARTID +
// futex), mutexes and condition variables under contention, thread-local storage,
// thread-directed signals (pthread_kill), detached threads, a timed condvar wait,
// barriers, gettid != getpid in threads, and exit_group from a thread.
#include "common.h"
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long counter;
static int turn;
static __thread int tls_value = 5;
static volatile sig_atomic_t sig_tid_ok;
static pid_t target_tid;

static void* adder(void* arg) {
  long n = (long)arg;
  for (long i = 0; i < n; i++) {
    pthread_mutex_lock(&mu);
    counter++;
    pthread_mutex_unlock(&mu);
    if (i % 100 == 0) sched_yield();
  }
  tls_value += (int)n;
  return (void*)(long)tls_value;
}

// Ping-pong: two threads hand a turn back and forth through a condition variable.
static void* ponger(void* arg) {
  int me = (int)(long)arg;
  for (int i = 0; i < 200; i++) {
    pthread_mutex_lock(&mu);
    while (turn != me) pthread_cond_wait(&cv, &mu);
    turn = 1 - me;
    counter++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
  }
  return NULL;
}

static void on_usr1(int sig) {
  (void)sig;
  sig_tid_ok = syscall(SYS_gettid) == target_tid;
}
static void* waiter(void* arg) {
  (void)arg;
  target_tid = (pid_t)syscall(SYS_gettid);
  pthread_mutex_lock(&mu);
  turn = 7;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  while (!sig_tid_ok) usleep(1000);
  return (void*)(long)(target_tid != getpid());
}

static pthread_barrier_t bar;
static int arrived;
static void* at_barrier(void* arg) {
  (void)arg;
  __sync_fetch_and_add(&arrived, 1);
  int r = pthread_barrier_wait(&bar);
  return (void*)(long)(r == PTHREAD_BARRIER_SERIAL_THREAD);
}

static void* sleeper(void* arg) {
  (void)arg;
  sleep(30);
  return NULL;
}

static void* exiter(void* arg) {
  (void)arg;
  usleep(10000);
  exit(33);  // exit_group from a thread ends the whole process
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pthread_t t[4];
  for (long i = 0; i < 4; i++) pthread_create(&t[i], NULL, adder, (void*)(1000 * (i + 1)));
  long tls_sum = 0;
  for (int i = 0; i < 4; i++) {
    void* r;
    pthread_join(t[i], &r);
    tls_sum += (long)r;
  }
  printf("counter %ld, thread tls values sum %ld, main tls %d\n", counter, tls_sum, tls_value);

  counter = 0;
  turn = 0;
  pthread_create(&t[0], NULL, ponger, (void*)0);
  pthread_create(&t[1], NULL, ponger, (void*)1);
  pthread_join(t[0], NULL);
  pthread_join(t[1], NULL);
  printf("ping-pong handoffs %ld\n", counter);

  // a timed wait that times out
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += 30 * 1000000;
  if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
  pthread_mutex_lock(&mu);
  int r = pthread_cond_timedwait(&cv, &mu, &ts);
  pthread_mutex_unlock(&mu);
  printf("timedwait: %s\n", r == ETIMEDOUT ? "ETIMEDOUT" : "other");

  // pthread_kill reaches that thread
  signal(SIGUSR1, on_usr1);
  turn = 0;
  pthread_create(&t[0], NULL, waiter, NULL);
  pthread_mutex_lock(&mu);
  while (turn != 7) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  SHOW(pthread_kill(t[0], SIGUSR1));
  void* res;
  pthread_join(t[0], &res);
  printf("signal ran in the target thread %d, its tid differs from pid %ld\n", (int)sig_tid_ok, (long)res);

  // barrier
  pthread_barrier_init(&bar, NULL, 4);
  int serial = 0;
  for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, at_barrier, NULL);
  serial += pthread_barrier_wait(&bar) == PTHREAD_BARRIER_SERIAL_THREAD;
  for (int i = 0; i < 3; i++) {
    pthread_join(t[i], &res);
    serial += (int)(long)res;
  }
  printf("barrier: %d arrived, %d serial thread\n", arrived, serial);

  // detached thread + exit_group from a thread in a child process
  pid_t c = fork();
  if (c == 0) {
    pthread_t d;
    pthread_create(&d, NULL, exiter, NULL);
    pthread_detach(d);
    for (;;) pause();
  }
  int st;
  waitpid(c, &st, 0);
  printf("child exited from a thread with %d\n", WEXITSTATUS(st));
  // Regression: a threaded child killed by a signal while another thread sleeps must
  // close its files (its pipe's write end): the parent reads EOF instead of waiting forever.
  int pfd[2];
  pipe(pfd);
  c = fork();
  if (c == 0) {
    close(pfd[0]);
    pthread_t d;
    pthread_create(&d, NULL, sleeper, NULL);
    usleep(10000);
    signal(SIGTERM, SIG_DFL);
    raise(SIGTERM);
    _exit(0);
  }
  close(pfd[1]);
  char buf[8];
  SHOW(read(pfd[0], buf, sizeof buf));
  waitpid(c, &st, 0);
  printf("threaded child killed by %d\n", WTERMSIG(st));
  close(pfd[0]);
  SHOW(pthread_join(pthread_self(), NULL) == EDEADLK);
  return 0;
}
