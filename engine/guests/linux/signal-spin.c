/* Signals to code that never makes a syscall: a forked child and a thread each spin on a flag that only their
   SIGUSR1 handler sets, so the handler must enter while they run user code (Linux interrupts them at once). */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t woken;
static volatile unsigned long spins;

static void on_usr1(int sig) {
    (void)sig;
    woken = 1;
}

static void spin(void) {
    while (!woken) spins++;
}

static void *spinning_thread(void *ready_fd) {
    /* Blocked here until the main thread has the handler in place and the thread is running. */
    char go = 1;
    if (write(*(int *)ready_fd, &go, 1) != 1) return (void *)1;
    spin();
    return 0;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, 0);

    int ready[2];
    if (pipe(ready) != 0) return 1;
    pid_t child = fork();
    if (child == 0) {
        char go = 1;
        if (write(ready[1], &go, 1) != 1) _exit(2);
        spin();
        _exit(7);
    }
    char got;
    if (read(ready[0], &got, 1) != 1) return 1;
    kill(child, SIGUSR1);
    int status = 0;
    waitpid(child, &status, 0);
    printf("child spinning in user code took SIGUSR1 and exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);

    pthread_t t;
    pthread_create(&t, 0, spinning_thread, &ready[1]);
    if (read(ready[0], &got, 1) != 1) return 1;
    pthread_kill(t, SIGUSR1);
    void *result;
    pthread_join(t, &result);
    printf("thread spinning in user code took SIGUSR1 and returned %ld\n", (long)result);

    /* And a default-action signal to a spinning child ends it. */
    woken = 0;
    child = fork();
    if (child == 0) {
        signal(SIGUSR1, SIG_DFL);
        char go = 1;
        if (write(ready[1], &go, 1) != 1) _exit(2);
        spin();
        _exit(3);
    }
    if (read(ready[0], &got, 1) != 1) return 1;
    kill(child, SIGTERM);
    waitpid(child, &status, 0);
    printf("spinning child killed by signal %d\n", WIFSIGNALED(status) ? WTERMSIG(status) : -1);
    return 0;
}
