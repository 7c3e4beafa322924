/* Multilang worker (C door): worker_c <target> <K> <start-file> <acked-log>
 *
 * K counter increments, K leaderboard incrs of one member and K enqueues on the shared store,
 * then dequeue/ack until every worker has finished enqueueing and no job is ready. The
 * "finished" count is read BEFORE each dequeue: if all producers were done before that dequeue
 * began and it found nothing, no job is left to deliver (visibility is long, so none returns).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "grove.h"

#define WORKERS 4

static void check(grove_status st, grove_error *err, const char *what) {
    if (st != 0) {
        fprintf(stderr, "c worker: %s: status %d: %s\n", what, (int)st,
                err ? grove_error_message(err) : "(no message)");
        grove_error_free(err);
        exit(1);
    }
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static const uint8_t *u8(const char *s) { return (const uint8_t *)s; }

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: worker_c <target> <K> <start-file> <acked-log>\n");
        return 2;
    }
    const char *target = argv[1], *start = argv[3], *log_path = argv[4];
    long k = strtol(argv[2], NULL, 10);
    grove_error *err = NULL;
    grove_store *db = NULL;
    check(grove_store_open(u8(target), strlen(target), NULL, &db, &err), err, "open");

    grove_counter *counter = NULL, *done = NULL;
    grove_leaderboard *board = NULL;
    grove_queue *q = NULL;
    check(grove_counter_new(db, u8("ml"), 2, &counter, &err), err, "counter");
    check(grove_counter_new(db, u8("ml-producers-done"), 17, &done, &err), err, "counter");
    check(grove_leaderboard_new(db, u8("ml"), 2, &board, &err), err, "leaderboard");
    check(grove_queue_new(db, u8("ml"), 2, 120.0, 5, &q, &err), err, "queue");

    char ready[4096];
    snprintf(ready, sizeof ready, "%s.ready", log_path);
    FILE *rf = fopen(ready, "w");
    if (!rf || fclose(rf) != 0) {
        perror(ready);
        return 1;
    }
    for (int waited = 0; access(start, F_OK) != 0; waited += 2) {
        if (waited > 30000) {
            fprintf(stderr, "c worker: %s never appeared\n", start);
            return 1;
        }
        sleep_ms(2);
    }
    for (long i = 0; i < k; i++) {
        int64_t v;
        double score;
        uint64_t id;
        char payload[32];
        int n = snprintf(payload, sizeof payload, "c-%ld", i);
        check(grove_counter_increment(counter, 1, &v, &err), err, "increment");
        check(grove_leaderboard_incr(board, u8("shared"), 6, 1.0, &score, &err), err, "incr");
        check(grove_queue_enqueue(q, u8(payload), (size_t)n, 0.0, &id, &err), err, "enqueue");
    }
    int64_t ignored;
    check(grove_counter_increment(done, 1, &ignored, &err), err, "done");

    FILE *out = fopen(log_path, "w");
    if (!out) {
        perror(log_path);
        return 1;
    }
    for (;;) {
        int64_t finished;
        check(grove_counter_get(done, &finished, &err), err, "done get");
        grove_job job = {0};
        bool found = false;
        check(grove_queue_dequeue(q, &job, &found, &err), err, "dequeue");
        if (!found) {
            if (finished == WORKERS) break;
            sleep_ms(1);
            continue;
        }
        bool acked = false;
        check(grove_queue_ack(q, job.id, &acked, &err), err, "ack");
        fprintf(out, "%llu %.*s %u %d\n", (unsigned long long)job.id, (int)job.payload.len,
                (const char *)job.payload.ptr, (unsigned)job.attempts, acked ? 1 : 0);
        grove_job_free(&job);
    }
    if (fclose(out) != 0) {
        perror(log_path);
        return 1;
    }
    grove_queue_free(q);
    grove_leaderboard_free(board);
    grove_counter_free(done);
    grove_counter_free(counter);
    check(grove_store_close(db, &err), err, "close");
    grove_store_free(db);
    return 0;
}
