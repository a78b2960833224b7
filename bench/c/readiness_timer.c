// readiness_timer SOCKET -- COMMAND ARGS...
//
// Runs COMMAND (a waiter: `docker-preflight wait`, a poll loop) and, independently of it, asks the engine at the
// unix socket SOCKET `GET /_ping` every millisecond until it first answers 200 OK. Prints one JSON line with the
// CLOCK_MONOTONIC moments (ns) of that first answer and of COMMAND's exit, and COMMAND's exit status:
//   {"answeredNs":..., "exitedNs":..., "status":...}
// The command's exit is seen through a pidfd, so it is timed to the poll wake-up, not to a polling interval.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const char request[] = "GET /_ping HTTP/1.1\r\nHost: localhost\r\nUser-Agent: readiness-timer\r\n\r\n";

// A connected socket with the request sent, or -1 (nothing listens yet, or the socket file is missing).
static int ask(const char *path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  strncpy(address.sun_path, path, sizeof address.sun_path - 1);
  // A unix socket connects at once or not at all (EAGAIN is a full backlog, not a connection in progress).
  if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
    close(fd);
    return -1;
  }
  if (write(fd, request, sizeof request - 1) != (ssize_t)(sizeof request - 1)) {
    close(fd);
    return -1;
  }
  return fd;
}

int main(int argc, char **argv) {
  if (argc < 4 || strcmp(argv[2], "--") != 0) {
    fprintf(stderr, "usage: readiness_timer SOCKET -- COMMAND ARGS...\n");
    return 2;
  }
  const char *socket_path = argv[1];
  // The command's output is not ours to print: this program's stdout carries only the result line.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t child;
  int spawned = posix_spawnp(&child, argv[3], &actions, NULL, argv + 3, environ);
  if (spawned != 0) {
    fprintf(stderr, "readiness_timer: cannot run %s: %s\n", argv[3], strerror(spawned));
    return 2;
  }
  int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
  if (pidfd < 0) {
    perror("pidfd_open");
    kill(child, SIGKILL);
    return 2;
  }

  int64_t answered = -1, exited = -1;
  int connection = -1;
  int64_t next_ask = now_ns(), asked = 0;
  char buffer[512];
  size_t received = 0;
  while (exited < 0) {
    int64_t now = now_ns();
    if (answered < 0 && connection < 0 && now >= next_ask) {
      connection = ask(socket_path);
      received = 0;
      asked = now;
      next_ask = now + 1000000;
    }
    struct pollfd fds[2] = {{.fd = pidfd, .events = POLLIN}, {.fd = connection, .events = POLLIN}};
    int wait_ms = answered < 0 ? 1 : -1;
    if (poll(fds, connection >= 0 ? 2 : 1, wait_ms) < 0 && errno != EINTR) {
      perror("poll");
      break;
    }
    // A daemon that accepted but has not answered within 100 ms is asked again on a new connection.
    if (connection >= 0 && !fds[1].revents && now_ns() - asked > 100000000) {
      close(connection);
      connection = -1;
    }
    if (fds[0].revents) {
      exited = now_ns();
      break;
    }
    if (connection >= 0 && fds[1].revents) {
      ssize_t count = read(connection, buffer + received, sizeof buffer - 1 - received);
      if (count > 0) {
        received += (size_t)count;
        buffer[received] = 0;
        // The status line decides; a 5xx (a daemon still starting) counts as no answer.
        if (strstr(buffer, "\r\n")) {
          if (strncmp(buffer, "HTTP/1.1 200", 12) == 0 || strncmp(buffer, "HTTP/1.0 200", 12) == 0) {
            answered = now_ns();
          }
          close(connection);
          connection = -1;
        }
      } else if (count == 0 || (errno != EAGAIN && errno != EINTR)) {
        close(connection);
        connection = -1;
      }
    }
  }
  siginfo_t info = {0};
  waitid(P_PID, child, &info, WEXITED);
  int status = info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
  printf("{\"answeredNs\":%lld,\"exitedNs\":%lld,\"status\":%d}\n", (long long)answered, (long long)exited, status);
  return 0;
}
