/* The filesystem floor for RunnerHost's queue benchmarks (bench/compare-mailman.sh).
 *
 * Single-threaded, per message: open(O_CREAT|O_EXCL) a .pck.tmp, write SIZE bytes, [fsync], close,
 * rename to .pck -- the enqueue side ("write + fsync + rename", one fsync per message, no directory
 * fsync). With --round-trip it then also does what a consumer does: rename .pck -> .bak, open, read,
 * close, unlink. Prints one JSON line.
 *
 * With --latency PAUSE_MS, per message: sleep PAUSE_MS, then time one durable enqueue as RunnerHost
 * publishes a queue entry (DurableFiles.Publish): open(O_CREAT|O_EXCL) a .pck.tmp, write SIZE bytes,
 * fsync, close, rename to .pck, then open the directory, fsync it, close it. The files are left in
 * place (nothing consumes them). Prints one JSON line with nearest-rank p50/p99 and the maximum, in
 * milliseconds -- the floor of `bench latency`, whose enqueue does these fsyncs after the same pause --
 * and renamed_p50_ms/renamed_p99_ms, the same clock stopped after the rename, before the directory
 * fsync (the file is visible to a consumer from then on).
 *
 * With --group BATCH, the durable enqueue as RunnerHost's group commit performs it for BATCH
 * concurrent producers, done by one thread with no other work: per round, BATCH times
 * open/write/sync_file_range(WRITE) (writeback started), then fsync and close each file, rename
 * each to .pck, and one fsync of the directory. That is the ceiling of `bench switchboard
 * --producers BATCH` on the same disk, reached only if every round is full. Prints one JSON line.
 *
 * With --journal SEGMENT_MB, the round trip of RunnerHost's journal commit ([queues] commit:
 * journal), done by one thread with no other work: a zero-filled, fsynced segment of SEGMENT_MB is
 * made first (not timed); then per message: open/write/close a .pck.tmp (no fsync), pwrite one
 * record (a 48-byte header, the name, the entry bytes, padded to 16) at the segment's tail,
 * fdatasync the segment, rename the .pck.tmp to .pck (no fsync); then the consumer's side: rename
 * .pck -> .bak, open, read, close, unlink, and pwrite a completion record (no fdatasync). A
 * checkpoint (syncfs, then the segment's header rewritten and fdatasynced) runs every second and
 * whenever the segment is full. Prints one JSON line with the checkpoint count.
 *
 * usage: floor DIR MESSAGES SIZE fsync|nofsync [--round-trip]
 *        floor DIR MESSAGES SIZE --latency PAUSE_MS
 *        floor DIR MESSAGES SIZE --group BATCH
 *        floor DIR MESSAGES SIZE --journal SEGMENT_MB
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

static void usage(void) {
    fprintf(stderr, "usage: floor DIR MESSAGES SIZE fsync|nofsync [--round-trip]\n"
                    "       floor DIR MESSAGES SIZE --latency PAUSE_MS\n"
                    "       floor DIR MESSAGES SIZE --group BATCH\n"
                    "       floor DIR MESSAGES SIZE --journal SEGMENT_MB\n");
    exit(2);
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest rank, as RunnerHost's Stats.Percentile: the 50th of 3 sorted samples is the middle one. */
static double percentile(const double *sorted, long n, long percent) {
    long index = (percent * n + 99) / 100 - 1;   /* ceil(percent / 100 * n) - 1 */
    if (index < 0) index = 0;
    if (index > n - 1) index = n - 1;
    return sorted[index];
}

static void sleep_ms(long ms) {
    struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

static int latency(const char *dir, long messages, size_t size, long pause_ms) {
    char *data = malloc(size);
    double *samples = malloc(sizeof *samples * (size_t)messages);
    double *renamed = malloc(sizeof *renamed * (size_t)messages);
    if (!data || !samples || !renamed) die("malloc", "");
    memset(data, 'x', size);
    char tmp[4096], pck[4096];
    for (long i = 0; i < messages; i++) {
        snprintf(tmp, sizeof tmp, "%s/%ld.%06ld+floor%d.pck.tmp", dir, (long)time(NULL), i, (int)getpid());
        snprintf(pck, sizeof pck, "%s/%ld.%06ld+floor%d.pck", dir, (long)time(NULL), i, (int)getpid());
        sleep_ms(pause_ms);
        double start = now();
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0660);
        if (fd < 0) die("open", tmp);
        if (write(fd, data, size) != (ssize_t)size) die("write", tmp);
        if (fsync(fd) != 0) die("fsync", tmp);
        close(fd);
        if (rename(tmp, pck) != 0) die("rename", tmp);
        renamed[i] = (now() - start) * 1000;
        int dfd = open(dir, O_RDONLY | O_CLOEXEC);
        if (dfd < 0) die("open", dir);
        if (fsync(dfd) != 0) die("fsync", dir);
        close(dfd);
        samples[i] = (now() - start) * 1000;
    }
    qsort(samples, (size_t)messages, sizeof *samples, compare_doubles);
    qsort(renamed, (size_t)messages, sizeof *renamed, compare_doubles);
    printf("{\"scenario\":\"floor-latency\",\"messages\":%ld,\"size\":%zu,\"pause_ms\":%ld,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
           "\"renamed_p50_ms\":%.3f,\"renamed_p99_ms\":%.3f}\n",
           messages, size, pause_ms, percentile(samples, messages, 50), percentile(samples, messages, 99),
           samples[messages - 1], percentile(renamed, messages, 50), percentile(renamed, messages, 99));
    return 0;
}

#define MAX_GROUP 64

static int group(const char *dir, long messages, size_t size, int batch) {
    char *data = malloc(size);
    if (!data) die("malloc", "");
    memset(data, 'x', size);
    static char tmp[MAX_GROUP][4096], pck[MAX_GROUP][4096];
    int fds[MAX_GROUP];
    long rounds = 0, done = 0;
    double start = now();
    while (done < messages) {
        int n = messages - done < batch ? (int)(messages - done) : batch;
        for (int i = 0; i < n; i++) {
            snprintf(tmp[i], sizeof tmp[i], "%s/%ld.%06ld+group%d.pck.tmp", dir, (long)time(NULL), done + i, (int)getpid());
            snprintf(pck[i], sizeof pck[i], "%s/%ld.%06ld+group%d.pck", dir, (long)time(NULL), done + i, (int)getpid());
            fds[i] = open(tmp[i], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0660);
            if (fds[i] < 0) die("open", tmp[i]);
            if (write(fds[i], data, size) != (ssize_t)size) die("write", tmp[i]);
            sync_file_range(fds[i], 0, 0, SYNC_FILE_RANGE_WRITE);   /* a hint, as in RunnerHost */
        }
        for (int i = 0; i < n; i++) {
            if (fsync(fds[i]) != 0) die("fsync", tmp[i]);
            close(fds[i]);
        }
        for (int i = 0; i < n; i++) {
            if (rename(tmp[i], pck[i]) != 0) die("rename", tmp[i]);
        }
        int dfd = open(dir, O_RDONLY | O_CLOEXEC);
        if (dfd < 0) die("open", dir);
        if (fsync(dfd) != 0) die("fsync", dir);
        close(dfd);
        done += n;
        rounds++;
    }
    double elapsed = now() - start;
    printf("{\"scenario\":\"floor-group\",\"batch\":%d,\"messages\":%ld,\"size\":%zu,\"rounds\":%ld,\"elapsed_s\":%.3f,\"msgs_per_s\":%.1f}\n",
           batch, messages, size, rounds, elapsed, messages / elapsed);
    return 0;
}

static void checkpoint(int seg, const char *path, long *generation) {
    if (syncfs(seg) != 0) die("syncfs", path);
    char header[4096] = {0};
    (*generation)++;
    snprintf(header, sizeof header, "RHJOURNAL 1 %ld\n", *generation);
    if (pwrite(seg, header, sizeof header, 0) != (ssize_t)sizeof header) die("pwrite", path);
    if (fdatasync(seg) != 0) die("fdatasync", path);
}

static int journal(const char *dir, long messages, size_t size, long segment_mb) {
    size_t segment = (size_t)segment_mb << 20, record_max = (48 + 64 + size + 15) & ~(size_t)15;
    char *data = malloc(size), *back = malloc(size), *record = calloc(1, record_max), *zeros = calloc(1, 1 << 20);
    if (!data || !back || !record || !zeros) die("malloc", "");
    memset(data, 'x', size);
    char seg_path[4096], tmp[4096], pck[4096], bak[4096];
    snprintf(seg_path, sizeof seg_path, "%s/segment.wal", dir);
    int seg = open(seg_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0660);
    if (seg < 0) die("open", seg_path);
    for (size_t written = 0; written < segment; written += 1 << 20) {
        if (pwrite(seg, zeros, 1 << 20, (off_t)written) != 1 << 20) die("pwrite", seg_path);
    }
    if (fsync(seg) != 0) die("fsync", seg_path);
    long generation = 0, checkpoints = 0;
    checkpoint(seg, seg_path, &generation);
    size_t tail = 4096;
    double start = now(), last_checkpoint = start;
    for (long i = 0; i < messages; i++) {
        int name_len = snprintf(pck, sizeof pck, "%ld.%06ld+journal%d", (long)time(NULL), i, (int)getpid());
        snprintf(tmp, sizeof tmp, "%s/%s.pck.tmp", dir, pck);
        snprintf(bak, sizeof bak, "%s/%s.bak", dir, pck);
        size_t entry_record = (48 + (size_t)name_len + size + 15) & ~(size_t)15;
        size_t done_record = (48 + (size_t)name_len + 15) & ~(size_t)15;
        if (tail + entry_record + done_record > segment || now() - last_checkpoint >= 1.0) {
            checkpoint(seg, seg_path, &generation);
            checkpoints++;
            tail = 4096;
            last_checkpoint = now();
        }
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0660);
        if (fd < 0) die("open", tmp);
        if (write(fd, data, size) != (ssize_t)size) die("write", tmp);
        close(fd);
        memcpy(record + 48, pck, (size_t)name_len);
        memcpy(record + 48 + name_len, data, size);
        if (pwrite(seg, record, entry_record, (off_t)tail) != (ssize_t)entry_record) die("pwrite", seg_path);
        tail += entry_record;
        if (fdatasync(seg) != 0) die("fdatasync", seg_path);
        char final_path[4096];
        snprintf(final_path, sizeof final_path, "%s/%s.pck", dir, pck);
        if (rename(tmp, final_path) != 0) die("rename", tmp);
        if (rename(final_path, bak) != 0) die("rename", final_path);
        fd = open(bak, O_RDONLY | O_CLOEXEC);
        if (fd < 0) die("open", bak);
        if (read(fd, back, size) != (ssize_t)size) die("read", bak);
        close(fd);
        if (unlink(bak) != 0) die("unlink", bak);
        if (pwrite(seg, record, done_record, (off_t)tail) != (ssize_t)done_record) die("pwrite", seg_path);
        tail += done_record;
    }
    double elapsed = now() - start;
    close(seg);
    unlink(seg_path);
    printf("{\"scenario\":\"floor-journal\",\"segment_mb\":%ld,\"messages\":%ld,\"size\":%zu,\"checkpoints\":%ld,\"elapsed_s\":%.3f,\"msgs_per_s\":%.1f}\n",
           segment_mb, messages, size, checkpoints, elapsed, messages / elapsed);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 5) usage();
    const char *dir = argv[1];
    long messages = atol(argv[2]);
    size_t size = (size_t)atol(argv[3]);
    if (strcmp(argv[4], "--latency") == 0) {
        if (argc != 6 || messages < 1 || atol(argv[5]) < 0) usage();
        return latency(dir, messages, size, atol(argv[5]));
    }
    if (strcmp(argv[4], "--group") == 0) {
        if (argc != 6 || messages < 1 || atoi(argv[5]) < 1 || atoi(argv[5]) > MAX_GROUP) usage();
        return group(dir, messages, size, atoi(argv[5]));
    }
    if (strcmp(argv[4], "--journal") == 0) {
        if (argc != 6 || messages < 1 || size < 1 || atol(argv[5]) < 1 || atol(argv[5]) > 1024) usage();
        return journal(dir, messages, size, atol(argv[5]));
    }
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
