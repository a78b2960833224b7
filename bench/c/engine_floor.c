// engine_floor SOCKET PATH...
//
// What asking the engine costs by itself: opens one connection per PATH to the engine at the unix socket SOCKET, at
// once, sends `GET PATH` on each (`Connection: close`), and reads every answer to its end. No parsing, no report:
// the least any client can spend to ask what `check` asks (`/_ping`, `/version`, `/info`). Exit 0 when every answer
// came, 1 otherwise.
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_PATHS 8

int main(int argc, char **argv) {
  if (argc < 3 || argc - 2 > MAX_PATHS) {
    fprintf(stderr, "usage: engine_floor SOCKET PATH...\n");
    return 2;
  }
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  strncpy(address.sun_path, argv[1], sizeof address.sun_path - 1);
  struct pollfd answers[MAX_PATHS];
  int count = argc - 2;
  for (int i = 0; i < count; i++) {
    char request[512];
    int length = snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                          argv[i + 2]);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0 || write(fd, request, length) != length) {
      perror(argv[1]);
      return 1;
    }
    answers[i] = (struct pollfd){.fd = fd, .events = POLLIN};
  }
  char buffer[65536];
  for (int open = count; open > 0;) {
    if (poll(answers, count, 10000) <= 0) return 1;
    for (int i = 0; i < count; i++) {
      if (answers[i].fd < 0 || !answers[i].revents) continue;
      if (read(answers[i].fd, buffer, sizeof buffer) <= 0) {
        close(answers[i].fd);
        answers[i].fd = -1;
        open--;
      }
    }
  }
  return 0;
}
