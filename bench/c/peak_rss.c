// peak_rss OUTPUT COMMAND [ARG...]
//
// Runs COMMAND (stdin, stdout and stderr inherited) and writes its peak resident set size in KiB, as getrusage
// reports it for the reaped child, to the file OUTPUT. The bench cannot ask for this from Python: a child spawned
// there starts in the interpreter's address space (posix_spawn is a vfork; fork copies it), and exec carries that
// address space's high-water mark into the child's ru_maxrss. Any command smaller than the interpreter (~19 MiB)
// then reads as the interpreter's size. Forked from this small program, the child starts at a few hundred KiB.
// Exit status: COMMAND's (128 + N for signal N), 127 when it could not be run.
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: peak_rss OUTPUT COMMAND [ARG...]\n");
    return 2;
  }
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    return 127;
  }
  if (pid == 0) {
    execv(argv[2], argv + 2);
    perror(argv[2]);
    _exit(127);
  }
  int status = 0;
  struct rusage usage;
  if (wait4(pid, &status, 0, &usage) < 0) {
    perror("wait4");
    return 127;
  }
  FILE *output = fopen(argv[1], "w");
  if (!output) {
    perror(argv[1]);
    return 127;
  }
  fprintf(output, "%ld\n", usage.ru_maxrss);
  fclose(output);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}
