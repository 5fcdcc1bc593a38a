/* bench/noop_floor.c - the least a no-op `push` can do, as a process: ask the Docker engine
 * for the image (config digest and diff_ids) while both tags' manifests are fetched from the
 * registry, each on its own thread and connection, then exit. No parsing, no decision, no
 * output, no API-version negotiation (v1.41 pinned): a floor for any client, not a client.
 * With `retag`, the floor of (b2) instead: TAG1 is a new tag (404 expected), and once the
 * three answers are in, TAG2's manifest bytes are PUT under TAG1.
 *
 * Usage: noop_floor PORT REPO IMAGE TAG1 TAG2 [retag]   (exit 0 when every answer arrived whole)
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

static int port, retag;
static const char *repo, *image, *new_tag;
static char kept[1 << 16]; /* the whole answer for TAG2 in retag mode */
static size_t kept_len;

/* Sends one request (Connection: close) and reads the answer to its end: 0 when its status
 * is `status`. With `keep`, the whole answer is kept there (at most sizeof kept). */
static int exchange(int fd, const char *request, size_t len, const char *status, char *keep) {
  static __thread char buf[1 << 16];
  if (write(fd, request, len) != (ssize_t)len) return -1;
  char *into = keep ? keep : buf;
  size_t have = 0;
  ssize_t n;
  while ((n = read(fd, into + (keep || have < 16 ? have : 16), sizeof buf - 16 - (keep ? have : 0))) > 0)
    have += (size_t)n; /* without `keep`, only the status line is kept */
  if (keep) kept_len = have;
  return n == 0 && have > 12 && strncmp(into, "HTTP/1.", 7) == 0 && strncmp(into + 9, status, 3) == 0 ? 0 : -1;
}

static int registry(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof to)) exit(1);
  return fd;
}

static void *manifest(void *tag) {
  int fd = registry();
  char request[512];
  int is_new = retag && strcmp((const char *)tag, new_tag) == 0;
  int len = snprintf(request, sizeof request,
           "GET /v2/%s/manifests/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
           "Accept: application/vnd.oci.image.manifest.v1+json\r\n\r\n",
           repo, (const char *)tag);
  if (exchange(fd, request, (size_t)len, is_new ? "404" : "200", retag && !is_new ? kept : NULL)) exit(1);
  close(fd);
  return NULL;
}

/* PUTs the body of the kept answer under the new tag. */
static void put_manifest(void) {
  char *body = memmem(kept, kept_len, "\r\n\r\n", 4);
  if (!body) exit(1);
  body += 4;
  size_t body_len = kept_len - (size_t)(body - kept);
  static char request[(1 << 16) + 1024];
  int len = snprintf(request, 1024,
           "PUT /v2/%s/manifests/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
           "Content-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: %zu\r\n\r\n",
           repo, new_tag, body_len);
  memcpy(request + len, body, body_len);
  int fd = registry();
  if (exchange(fd, request, (size_t)len + body_len, "201", NULL)) exit(1);
  close(fd);
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
  if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof to) ||
      exchange(fd, request, strlen(request), "200", NULL))
    exit(1);
  close(fd);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 6 && !(argc == 7 && strcmp(argv[6], "retag") == 0)) {
    fprintf(stderr, "usage: %s PORT REPO IMAGE TAG1 TAG2 [retag]\n", argv[0]);
    return 2;
  }
  port = atoi(argv[1]);
  repo = argv[2];
  image = argv[3];
  retag = argc == 7;
  new_tag = argv[4];
  alarm(10); /* never hang a benchmark */
  pthread_t threads[3];
  pthread_create(&threads[0], NULL, inspect, NULL);
  pthread_create(&threads[1], NULL, manifest, argv[4]);
  pthread_create(&threads[2], NULL, manifest, argv[5]);
  for (int i = 0; i < 3; i++) pthread_join(threads[i], NULL);
  if (retag) put_manifest();
  return 0;
}
