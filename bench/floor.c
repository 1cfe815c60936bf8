/* The filesystem floor for RunnerHost's queue benchmarks (bench/compare-mailman.sh).
 *
 * Single-threaded, per message: open(O_CREAT|O_EXCL) a .pck.tmp, write SIZE bytes, [fsync], close,
 * rename to .pck -- the enqueue side ("write + fsync + rename", one fsync per message, no directory
 * fsync). With --round-trip it then also does what a consumer does: rename .pck -> .bak, open, read,
 * close, unlink. Prints one JSON line.
 *
 * usage: floor DIR MESSAGES SIZE fsync|nofsync [--round-trip]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void die(const char *what, const char *path) {
    fprintf(stderr, "floor: %s %s: %s\n", what, path, strerror(errno));
    exit(1);
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: floor DIR MESSAGES SIZE fsync|nofsync [--round-trip]\n");
        return 2;
    }
    const char *dir = argv[1];
    long messages = atol(argv[2]);
    size_t size = (size_t)atol(argv[3]);
    int do_fsync = strcmp(argv[4], "fsync") == 0;
    int round_trip = argc > 5 && strcmp(argv[5], "--round-trip") == 0;
    char *data = malloc(size), *back = malloc(size);
    memset(data, 'x', size);
    char tmp[4096], pck[4096], bak[4096];

    double start = now();
    for (long i = 0; i < messages; i++) {
        snprintf(tmp, sizeof tmp, "%s/%ld.%06ld+floor%d.pck.tmp", dir, (long)time(NULL), i, (int)getpid());
        snprintf(pck, sizeof pck, "%s/%ld.%06ld+floor%d.pck", dir, (long)time(NULL), i, (int)getpid());
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0660);
        if (fd < 0) die("open", tmp);
        if (write(fd, data, size) != (ssize_t)size) die("write", tmp);
        if (do_fsync && fsync(fd) != 0) die("fsync", tmp);
        close(fd);
        if (rename(tmp, pck) != 0) die("rename", tmp);
        if (round_trip) {
            snprintf(bak, sizeof bak, "%.*s.bak", (int)(strlen(pck) - 4), pck);
            if (rename(pck, bak) != 0) die("rename", pck);
            fd = open(bak, O_RDONLY | O_CLOEXEC);
            if (fd < 0) die("open", bak);
            if (read(fd, back, size) != (ssize_t)size) die("read", bak);
            close(fd);
            if (unlink(bak) != 0) die("unlink", bak);
        }
    }
    double elapsed = now() - start;
    printf("{\"scenario\":\"floor\",\"fsync\":%s,\"round_trip\":%s,\"messages\":%ld,\"size\":%zu,\"elapsed_s\":%.3f,\"msgs_per_s\":%.1f}\n",
           do_fsync ? "true" : "false", round_trip ? "true" : "false", messages, size, elapsed, messages / elapsed);
    return 0;
}
