#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        execvp(argv[1], &argv[1]);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("exit status %d\n", WEXITSTATUS(st));
    return 0;
}
