/* bench/noop_floor.c - the least a no-op `push` can do, as a process: ask the Docker engine
 * for the image (config digest and diff_ids) while both tags' manifests are fetched from the
 * registry, each on its own thread and connection, then exit. No parsing, no decision, no
 * output, no API-version negotiation (v1.41 pinned): a floor for any client, not a client.
 *
 * Usage: noop_floor PORT REPO IMAGE TAG1 TAG2   (exit 0 when every answer arrived whole)
 * Built by bench/push with the system C compiler.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int port;
static const char *repo, *image;

/* Sends one request (Connection: close) and reads the answer to its end: 0 when it is a 200. */
static int exchange(int fd, const char *request) {
  static __thread char buf[1 << 16];
  size_t len = strlen(request);
  if (write(fd, request, len) != (ssize_t)len) return -1;
  size_t have = 0;
  ssize_t n;
  while ((n = read(fd, buf + (have < 16 ? have : 16), sizeof buf - 16)) > 0)
    have += (size_t)n; /* only the status line is kept; the rest is read and dropped */
  return n == 0 && have > 12 && strncmp(buf, "HTTP/1.", 7) == 0 && strncmp(buf + 9, "200", 3) == 0 ? 0 : -1;
}

static void *manifest(void *tag) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  char request[512];
  snprintf(request, sizeof request,
           "GET /v2/%s/manifests/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
           "Accept: application/vnd.oci.image.manifest.v1+json\r\n\r\n",
           repo, (const char *)tag);
  if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof to) || exchange(fd, request)) exit(1);
  close(fd);
  return NULL;
}

static void *inspect(void *unused) {
  (void)unused;
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un to = {.sun_family = AF_UNIX};
  const char *host = getenv("DOCKER_HOST");
  const char *path = host && strncmp(host, "unix://", 7) == 0 ? host + 7 : "/var/run/docker.sock";
  snprintf(to.sun_path, sizeof to.sun_path, "%s", path);
  char request[512];
  snprintf(request, sizeof request, "GET /v1.41/images/%s/json HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n", image);
  if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof to) || exchange(fd, request)) exit(1);
  close(fd);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s PORT REPO IMAGE TAG1 TAG2\n", argv[0]);
    return 2;
  }
  port = atoi(argv[1]);
  repo = argv[2];
  image = argv[3];
  alarm(10); /* never hang a benchmark */
  pthread_t threads[3];
  pthread_create(&threads[0], NULL, inspect, NULL);
  pthread_create(&threads[1], NULL, manifest, argv[4]);
  pthread_create(&threads[2], NULL, manifest, argv[5]);
  for (int i = 0; i < 3; i++) pthread_join(threads[i], NULL);
  return 0;
}
