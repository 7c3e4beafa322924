/* Multi-process tests of the lmdb: engine through the C ABI, and of Redis when GROVE_TEST_REDIS
 * is set: every guarantee of the contract holds across real OS processes sharing one store.
 * Children are fork()ed before this process opens the store (an LMDB environment does not
 * survive fork: each child opens its own), open it, report ready, and wait on a barrier pipe the
 * parent closes once all are ready, so they work at the same time. A child reports results
 * through its own pipe and fails by its exit status (its CHECK messages go to the shared
 * stderr). GROVE_TEST_SCALE divides the work. */
#include "grove.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define S(s) (const uint8_t *)(s), strlen(s)
#define PROCS 4
#define MAX_KIDS 8
#define RATE_LIMIT 37

static long g_scale = 1;
/* Pipe ends the parent hands to its children and closes once they are forked. */
static int g_parent_closes[4];
static int g_n_parent_closes;
static char g_tmp[512];
static int g_dir_seq;

static double now_secs(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run_case(const char *name, void (*fn)(void)) {
    double t0 = now_secs();
    g_case_failed = 0;
    fn();
    if (g_case_failed) {
        g_failed++;
        printf("FAIL %s\n", name);
    } else {
        g_passed++;
        printf("ok   %s (%.2f s)\n", name, now_secs() - t0);
    }
    fflush(stdout);
}

/* The Redis server of the second pass (GROVE_TEST_REDIS), or NULL during the lmdb: pass. */
static const char *g_redis = NULL;

/* A fresh store: an lmdb: target in its own directory, or a fresh store on Redis. */
static void new_target(char *out, size_t cap) {
    if (g_redis != NULL) {
        snprintf(out, cap, "%s?store=c%d-%d", g_redis, (int)getpid(), ++g_dir_seq);
        return;
    }
    snprintf(out, cap, "lmdb:%s/store-%d", g_tmp, ++g_dir_seq);
}

static grove_store *open_store(const char *target) {
    grove_store *db = NULL;
    OK(grove_store_open(S(target), NULL, &db, &err));
    return db;
}

static void close_store(grove_store *db) {
    if (db != NULL) {
        OK(grove_store_close(db, &err));
    }
    grove_store_free(db);
}

static void write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        CHECK(w > 0);
        if (w <= 0) {
            return;
        }
        p += w;
        len -= (size_t)w;
    }
}

static void write_u64(int fd, uint64_t v) { write_all(fd, &v, sizeof v); }

/* Reads fd to EOF into a malloc'd buffer. */
static uint8_t *read_all(int fd, size_t *len) {
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            break;
        }
        n += (size_t)r;
    }
    *len = n;
    return buf;
}

/* ---- running children together ---------------------------------------------------------- */

typedef void (*child_fn)(grove_store *db, int id, long n, int out_fd);

typedef struct {
    pid_t pid;
    int out;       /* read end of the child's result pipe */
    uint8_t *data; /* what it reported */
    size_t len;
} kid;

/* The child side: open, ready, wait for the barrier, work, report, exit. Never returns. */
static void child_main(const char *target, int id, long n, child_fn fn, int ready_w,
                       int barrier_r, int out_w) {
    g_case_failed = 0;
    grove_store *db = open_store(target);
    char b = 'r';
    write_all(ready_w, &b, 1);
    close(ready_w);
    while (read(barrier_r, &b, 1) < 0 && errno == EINTR) {
    }
    close(barrier_r);
    if (db != NULL) {
        fn(db, id, n, out_w);
    }
    close(out_w);
    close_store(db);
    fflush(stderr);
    _exit(g_case_failed ? 1 : 0);
}

/* Forks procs children running fn on target, releases them together, collects what each
 * reported and checks each exited 0. The caller frees kids[i].data. */
static void run_children(const char *target, int procs, long n, child_fn fn, kid *kids) {
    int ready[2], barrier[2];
    CHECK(pipe(ready) == 0 && pipe(barrier) == 0);
    fflush(stdout);
    fflush(stderr);
    for (int i = 0; i < procs; i++) {
        int out[2];
        CHECK(pipe(out) == 0);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            close(ready[0]);
            close(barrier[1]);
            close(out[0]);
            for (int j = 0; j < i; j++) {
                close(kids[j].out);
            }
            child_main(target, i, n, fn, ready[1], barrier[0], out[1]);
        }
        close(out[1]);
        kids[i].pid = pid;
        kids[i].out = out[0];
        kids[i].data = NULL;
        kids[i].len = 0;
    }
    close(ready[1]);
    close(barrier[0]);
    for (int i = 0; i < g_n_parent_closes; i++) {
        close(g_parent_closes[i]);
    }
    g_n_parent_closes = 0;
    int got = 0;
    char b;
    while (got < procs) {
        ssize_t r = read(ready[0], &b, 1);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            break; /* a child died before opening: its exit status says why */
        }
        got++;
    }
    close(ready[0]);
    close(barrier[1]); /* the barrier: every child starts now */
    for (int i = 0; i < procs; i++) {
        kids[i].data = read_all(kids[i].out, &kids[i].len);
        close(kids[i].out);
    }
    for (int i = 0; i < procs; i++) {
        int status = 0;
        while (waitpid(kids[i].pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
            fprintf(stderr, "  child %d (pid %d) ended with status %#x\n", i, (int)kids[i].pid,
                    status);
        }
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
}

static void free_kids(kid *kids, int procs) {
    for (int i = 0; i < procs; i++) {
        free(kids[i].data);
    }
}

static int64_t get_int(grove_store *db, const char *key) {
    grove_bytes v = {NULL, 0};
    bool found = false;
    OK(grove_store_get(db, S(key), &v, &found, &err));
    int64_t out = 0;
    if (found) {
        char buf[32] = {0};
        memcpy(buf, v.ptr, v.len < sizeof buf - 1 ? v.len : sizeof buf - 1);
        out = strtoll(buf, NULL, 10);
    }
    grove_bytes_free(&v);
    return out;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* ---- counter ---------------------------------------------------------------------------- */

static void counter_child(grove_store *db, int id, long n, int out) {
    (void)id;
    grove_counter *c = NULL;
    OK(grove_counter_new(db, S("mp"), &c, &err));
    for (long i = 0; i < n && c != NULL; i++) {
        int64_t v = 0;
        OK(grove_counter_increment(c, 1, &v, &err));
        write_u64(out, (uint64_t)v);
    }
    grove_counter_free(c);
}

static void test_counter(void) {
    char target[600];
    new_target(target, sizeof target);
    long n = 1000 / g_scale;
    kid kids[PROCS];
    run_children(target, PROCS, n, counter_child, kids);
    /* Every increment returned a distinct value: together exactly 1..4N. */
    size_t total = (size_t)(PROCS * n), k = 0;
    uint64_t *all = calloc(total + 1, sizeof *all);
    for (int i = 0; i < PROCS; i++) {
        CHECK(kids[i].len == (size_t)n * sizeof(uint64_t));
        for (size_t j = 0; j + 8 <= kids[i].len && k < total; j += 8) {
            memcpy(&all[k++], kids[i].data + j, 8);
        }
    }
    CHECK(k == total);
    qsort(all, k, sizeof *all, cmp_u64);
    for (size_t i = 0; i < k; i++) {
        if (all[i] != i + 1) {
            fprintf(stderr, "  increment results: position %zu holds %" PRIu64 "\n", i, all[i]);
            CHECK(all[i] == i + 1);
            break;
        }
    }
    free(all);
    free_kids(kids, PROCS);
    grove_store *db = open_store(target);
    grove_counter *c = NULL;
    int64_t v = -1;
    OK(grove_counter_new(db, S("mp"), &c, &err));
    OK(grove_counter_get(c, &v, &err));
    CHECK(v == (int64_t)total);
    grove_counter_free(c);
    close_store(db);
}

/* ---- lock ------------------------------------------------------------------------------- */

static void lock_child(grove_store *db, int id, long n, int out) {
    grove_lock *l = NULL;
    OK(grove_lock_new(db, S("mp"), 30.0, &l, &err));
    for (long i = 0; i < n && l != NULL; i++) {
        bool acquired = false, released = false;
        OK(grove_lock_acquire(l, 30.0, 0.001, &acquired, &err));
        CHECK(acquired);
        if (!acquired) {
            fprintf(stderr, "  lock child %d: acquire timed out\n", id);
            break;
        }
        uint64_t token = 0;
        OK(grove_lock_fencing_token(l, &token, &err));
        /* A non-atomic read-modify-write, correct only under mutual exclusion. */
        int64_t v = get_int(db, "mp:value");
        usleep(100);
        char buf[32];
        snprintf(buf, sizeof buf, "%" PRId64, v + 1);
        OK(grove_store_set(db, S("mp:value"), S(buf), NULL, &err));
        /* The order of the critical sections, as the holders saw it. */
        grove_bytes log = {NULL, 0};
        bool found = false;
        OK(grove_store_get(db, S("mp:fences"), &log, &found, &err));
        size_t len = found ? log.len : 0;
        char *next = malloc(len + 32);
        if (len > 0) {
            memcpy(next, log.ptr, len);
        }
        len += (size_t)snprintf(next + len, 32, "%" PRIu64 ",", token);
        OK(grove_store_set(db, S("mp:fences"), (const uint8_t *)next, len, NULL, &err));
        free(next);
        grove_bytes_free(&log);
        OK(grove_lock_release(l, &released, &err));
        CHECK(released);
        write_u64(out, token);
    }
    grove_lock_free(l);
}

static void test_lock(void) {
    char target[600];
    new_target(target, sizeof target);
    long n = 50 / g_scale > 5 ? 50 / g_scale : 5;
    kid kids[PROCS];
    run_children(target, PROCS, n, lock_child, kids);
    size_t total = (size_t)(PROCS * n), k = 0;
    uint64_t *all = calloc(total + 1, sizeof *all);
    for (int i = 0; i < PROCS; i++) {
        CHECK(kids[i].len == (size_t)n * sizeof(uint64_t));
        uint64_t prev = 0;
        for (size_t j = 0; j + 8 <= kids[i].len && k < total; j += 8) {
            memcpy(&all[k], kids[i].data + j, 8);
            CHECK(all[k] > prev); /* increasing within one process */
            prev = all[k++];
        }
    }
    qsort(all, k, sizeof *all, cmp_u64);
    for (size_t i = 1; i < k; i++) {
        CHECK(all[i] != all[i - 1]); /* distinct across processes */
    }
    grove_store *db = open_store(target);
    int64_t value = get_int(db, "mp:value");
    if (value != (int64_t)total) {
        fprintf(stderr, "  value incremented under the lock: %" PRId64 ", want %zu\n", value,
                total);
    }
    CHECK(value == (int64_t)total);
    /* The fence log: one entry per acquisition, strictly increasing in acquisition order, each
     * a token some child reported. */
    grove_bytes log = {NULL, 0};
    bool found = false;
    OK(grove_store_get(db, S("mp:fences"), &log, &found, &err));
    CHECK(found);
    size_t entries = 0;
    uint64_t prev = 0;
    char *text = calloc(log.len + 1, 1);
    if (log.len > 0) {
        memcpy(text, log.ptr, log.len);
    }
    for (char *p = text; *p != '\0';) {
        char *end = NULL;
        uint64_t tok = strtoull(p, &end, 10);
        CHECK(end != p && *end == ',');
        CHECK(tok > prev);
        CHECK(bsearch(&tok, all, k, sizeof *all, cmp_u64) != NULL);
        prev = tok;
        entries++;
        p = end + 1;
    }
    CHECK(entries == total);
    free(text);
    grove_bytes_free(&log);
    grove_lock_info info = {true, 0, 0};
    OK(grove_store_lock_info(db, S("mp"), &info, &err));
    CHECK(!info.held && info.fencing_token == prev);
    close_store(db);
    free(all);
    free_kids(kids, PROCS);
}

/* ---- rate limiter ----------------------------------------------------------------------- */

static void ratelimit_child(grove_store *db, int id, long n, int out) {
    (void)id;
    grove_ratelimiter *rl = NULL;
    OK(grove_ratelimiter_new(db, S("mp"), RATE_LIMIT, 3600.0, &rl, &err));
    uint64_t allowed = 0;
    for (long i = 0; i < n && rl != NULL; i++) {
        grove_ratelimit_decision d;
        OK(grove_ratelimiter_allow(rl, S("k"), 1, &d, &err));
        allowed += d.allowed;
    }
    write_u64(out, allowed);
    grove_ratelimiter_free(rl);
}

static void test_ratelimit(void) {
    char target[600];
    new_target(target, sizeof target);
    long n = 40 / g_scale > RATE_LIMIT / PROCS + 1 ? 40 / g_scale : RATE_LIMIT / PROCS + 1;
    kid kids[PROCS];
    run_children(target, PROCS, n, ratelimit_child, kids);
    uint64_t sum = 0;
    for (int i = 0; i < PROCS; i++) {
        uint64_t v = 0;
        CHECK(kids[i].len == sizeof v);
        if (kids[i].len == sizeof v) {
            memcpy(&v, kids[i].data, sizeof v);
        }
        sum += v;
    }
    if (sum != RATE_LIMIT) {
        fprintf(stderr, "  %d processes admitted %" PRIu64 ", want exactly %d\n", PROCS, sum,
                RATE_LIMIT);
    }
    CHECK(sum == RATE_LIMIT);
    free_kids(kids, PROCS);
    grove_store *db = open_store(target);
    grove_ratelimiter *rl = NULL;
    grove_ratelimit_decision d = {true, 1, 0, 0};
    OK(grove_ratelimiter_new(db, S("mp"), RATE_LIMIT, 3600.0, &rl, &err));
    OK(grove_ratelimiter_peek(rl, S("k"), &d, &err));
    CHECK(!d.allowed && d.remaining == 0);
    grove_ratelimiter_free(rl);
    close_store(db);
}

/* ---- queue ------------------------------------------------------------------------------ */

static void queue_child(grove_store *db, int id, long n, int out) {
    (void)id;
    (void)n;
    grove_queue *q = NULL;
    OK(grove_queue_new(db, S("mp"), 600.0, 3, &q, &err));
    while (q != NULL) {
        grove_job job = {0, {NULL, 0}, 0, 0};
        bool found = false, acked = false;
        grove_status st = GROVE_OK;
        EXPECT(GROVE_OK, st = grove_queue_dequeue(q, &job, &found, &err));
        if (st != GROVE_OK || !found) {
            break;
        }
        OK(grove_queue_ack(q, job.id, &acked, &err));
        CHECK(acked);
        CHECK(job.attempts == 1);
        /* id, then the payload's number */
        char buf[32] = {0};
        memcpy(buf, job.payload.ptr, job.payload.len < 31 ? job.payload.len : 31);
        CHECK(strncmp(buf, "job-", 4) == 0);
        write_u64(out, job.id);
        write_u64(out, strtoull(buf + 4, NULL, 10));
        grove_job_free(&job);
    }
    grove_queue_free(q);
}

static void test_queue(void) {
    char target[600];
    new_target(target, sizeof target);
    long jobs = 500 / g_scale;
    uint64_t *payload_of = calloc((size_t)jobs + 2, sizeof *payload_of); /* by id */
    grove_store *db = open_store(target);
    grove_queue *q = NULL;
    OK(grove_queue_new(db, S("mp"), 600.0, 3, &q, &err));
    for (long i = 0; i < jobs; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "job-%ld", i);
        uint64_t id = 0;
        OK(grove_queue_enqueue(q, S(buf), 0.0, &id, &err));
        CHECK(id >= 1 && id <= (uint64_t)jobs);
        if (id >= 1 && id <= (uint64_t)jobs) {
            payload_of[id] = (uint64_t)i;
        }
    }
    grove_queue_free(q);
    close_store(db); /* before fork: no child may inherit an open environment */
    kid kids[PROCS];
    run_children(target, PROCS, 0, queue_child, kids);
    int *delivered = calloc((size_t)jobs + 2, sizeof *delivered);
    long count = 0;
    for (int i = 0; i < PROCS; i++) {
        for (size_t j = 0; j + 16 <= kids[i].len; j += 16) {
            uint64_t id, num;
            memcpy(&id, kids[i].data + j, 8);
            memcpy(&num, kids[i].data + j + 8, 8);
            CHECK(id >= 1 && id <= (uint64_t)jobs);
            if (id >= 1 && id <= (uint64_t)jobs) {
                if (delivered[id]) {
                    fprintf(stderr, "  job %" PRIu64 " delivered to two consumers\n", id);
                }
                CHECK(!delivered[id]);
                CHECK(payload_of[id] == num);
                delivered[id] = 1;
                count++;
            }
        }
    }
    CHECK(count == jobs); /* none lost */
    free(delivered);
    free(payload_of);
    free_kids(kids, PROCS);
    db = open_store(target);
    grove_queue_counts c = {1, 1, 1};
    OK(grove_queue_new(db, S("mp"), 600.0, 3, &q, &err));
    OK(grove_queue_stats(q, &c, &err));
    CHECK(c.ready == 0 && c.in_flight == 0 && c.dead == 0);
    grove_queue_free(q);
    close_store(db);
}

/* ---- leaderboard ------------------------------------------------------------------------ */

static void leaderboard_child(grove_store *db, int id, long n, int out) {
    grove_leaderboard *lb = NULL;
    OK(grove_leaderboard_new(db, S("mp"), &lb, &err));
    char own[16];
    snprintf(own, sizeof own, "p%d", id);
    for (long i = 0; i < n && lb != NULL; i++) {
        double v = 0;
        OK(grove_leaderboard_incr(lb, S("shared"), 1.0, &v, &err));
        write_u64(out, (uint64_t)v);
        OK(grove_leaderboard_incr(lb, S(own), 0.5, &v, &err));
    }
    grove_leaderboard_free(lb);
}

static double score_of(grove_leaderboard *lb, const char *member, bool *found) {
    double s = -1;
    *found = false;
    OK(grove_leaderboard_score(lb, S(member), &s, found, &err));
    return s;
}

static void test_leaderboard_incr(void) {
    char target[600];
    new_target(target, sizeof target);
    long n = 300 / g_scale;
    kid kids[PROCS];
    run_children(target, PROCS, n, leaderboard_child, kids);
    size_t total = (size_t)(PROCS * n), k = 0;
    uint64_t *all = calloc(total + 1, sizeof *all);
    for (int i = 0; i < PROCS; i++) {
        CHECK(kids[i].len == (size_t)n * 8);
        for (size_t j = 0; j + 8 <= kids[i].len && k < total; j += 8) {
            memcpy(&all[k++], kids[i].data + j, 8);
        }
    }
    qsort(all, k, sizeof *all, cmp_u64);
    for (size_t i = 0; i < k; i++) {
        CHECK(all[i] == i + 1); /* every incr atomic: results exactly 1..4N */
        if (all[i] != i + 1) {
            break;
        }
    }
    free(all);
    free_kids(kids, PROCS);
    grove_store *db = open_store(target);
    grove_leaderboard *lb = NULL;
    bool found = false;
    OK(grove_leaderboard_new(db, S("mp"), &lb, &err));
    CHECK(score_of(lb, "shared", &found) == (double)total && found);
    for (int i = 0; i < PROCS; i++) {
        char m[16];
        snprintf(m, sizeof m, "p%d", i);
        CHECK(score_of(lb, m, &found) == 0.5 * (double)n && found);
    }
    uint64_t len = 0;
    OK(grove_leaderboard_len(lb, &len, &err));
    CHECK(len == PROCS + 1);
    grove_leaderboard_free(lb);
    close_store(db);
}

/* Two long-lived processes, A and B, with their handles open throughout; a ping-pong over
 * pipes: each checks the other's write right after it returned. */
static int g_to_b[2], g_to_a[2];

static void send_token(int fd, uint64_t v) { write_u64(fd, v); }

/* The ends child id uses: it reads *in and writes *to; the other two are closed. */
static void pingpong_ends(int id, int *in, int *to) {
    *in = id == 0 ? g_to_a[0] : g_to_b[0];
    *to = id == 0 ? g_to_b[1] : g_to_a[1];
    close(id == 0 ? g_to_a[1] : g_to_b[1]);
    close(id == 0 ? g_to_b[0] : g_to_a[0]);
}

static uint64_t recv_token(int fd) {
    uint64_t v = UINT64_MAX;
    size_t got = 0;
    while (got < sizeof v) {
        ssize_t r = read(fd, (char *)&v + got, sizeof v - got);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return UINT64_MAX;
        }
        got += (size_t)r;
    }
    return v;
}

#define PINGPONG_ROUNDS 10

static void lb_check_top(grove_leaderboard *lb, const char *member, double score, uint64_t len) {
    grove_ranked_list top = {NULL, 0};
    uint64_t l = 0, rank = 99;
    bool found = false;
    OK(grove_leaderboard_top(lb, 1, &top, &err));
    CHECK(top.len == 1 && top.ptr[0].member.len == strlen(member) &&
          memcmp(top.ptr[0].member.ptr, member, strlen(member)) == 0 && top.ptr[0].score == score);
    grove_ranked_list_free(&top);
    OK(grove_leaderboard_rank(lb, S(member), &rank, &found, &err));
    CHECK(found && rank == 0);
    CHECK(score_of(lb, member, &found) == score && found);
    OK(grove_leaderboard_len(lb, &l, &err));
    CHECK(l == len);
}

static void pingpong_lb_child(grove_store *db, int id, long n, int out) {
    (void)n;
    (void)out;
    grove_leaderboard *lb = NULL;
    uint64_t l = 99;
    OK(grove_leaderboard_new(db, S("peer"), &lb, &err));
    int in = -1, to = -1;
    pingpong_ends(id, &in, &to);
    /* Both handles have looked (and found nothing) before A's first write. */
    OK(grove_leaderboard_len(lb, &l, &err));
    CHECK(l == 0);
    if (id == 0) {
        CHECK(recv_token(in) == 0);
    } else {
        send_token(to, 0);
    }
    for (uint64_t i = 1; i <= PINGPONG_ROUNDS && lb != NULL; i++) {
        char m[16];
        if (id == 0) { /* A writes m<i>, then checks B's o<i> */
            snprintf(m, sizeof m, "m%" PRIu64, i);
            OK(grove_leaderboard_add(lb, S(m), (double)(i * 10), &err));
            send_token(to, i);
            CHECK(recv_token(in) == i);
            snprintf(m, sizeof m, "o%" PRIu64, i);
            lb_check_top(lb, m, (double)(i * 10 + 5), 2 * i);
        } else { /* B checks A's m<i> at once, then writes o<i> */
            CHECK(recv_token(in) == i);
            snprintf(m, sizeof m, "m%" PRIu64, i);
            lb_check_top(lb, m, (double)(i * 10), 2 * i - 1);
            snprintf(m, sizeof m, "o%" PRIu64, i);
            OK(grove_leaderboard_add(lb, S(m), (double)(i * 10 + 5), &err));
            send_token(to, i);
        }
    }
    grove_leaderboard_free(lb);
}

static void run_pingpong(child_fn fn) {
    char target[600];
    new_target(target, sizeof target);
    CHECK(pipe(g_to_a) == 0 && pipe(g_to_b) == 0);
    kid kids[2];
    /* Each child closes the ends it does not use and the parent all of them once both are
     * forked, so a child that dies ends its peer's wait with EOF instead of a hang. */
    g_parent_closes[0] = g_to_a[0];
    g_parent_closes[1] = g_to_a[1];
    g_parent_closes[2] = g_to_b[0];
    g_parent_closes[3] = g_to_b[1];
    g_n_parent_closes = 4;
    run_children(target, 2, 0, fn, kids);
    free_kids(kids, 2);
}

static void test_leaderboard_seen_at_once(void) { run_pingpong(pingpong_lb_child); }

/* ---- CRDT ------------------------------------------------------------------------------- */

static void crdt_child(grove_store *db, int id, long n, int out) {
    (void)id;
    (void)out;
    grove_crdt_counter *cc = NULL;
    OK(grove_crdt_counter_new(db, S("crdt:mp"), &cc, &err));
    for (long i = 0; i < n && cc != NULL; i++) {
        int64_t v = 0;
        OK(grove_crdt_counter_increment(cc, 3, &v, &err));
        OK(grove_crdt_counter_decrement(cc, 1, &v, &err));
    }
    grove_crdt_counter_free(cc);
}

static void export_child(grove_store *db, int id, long since, int out) {
    (void)id;
    grove_bytes changes = {NULL, 0};
    uint64_t cursor = 0;
    OK(grove_store_export_changes(db, (uint64_t)since, &changes, &cursor, &err));
    write_all(out, changes.ptr, changes.len);
    grove_bytes_free(&changes);
}

static int64_t crdt_value(grove_store *db) {
    grove_crdt_counter *cc = NULL;
    int64_t v = INT64_MIN;
    OK(grove_crdt_counter_new(db, S("crdt:mp"), &cc, &err));
    OK(grove_crdt_counter_value(cc, &v, &err));
    grove_crdt_counter_free(cc);
    return v;
}

static void test_crdt(void) {
    char target[600];
    new_target(target, sizeof target);
    long n = 300 / g_scale;
    grove_store *db = open_store(target);
    grove_crdt_counter *cc = NULL;
    int64_t v = 0;
    OK(grove_crdt_counter_new(db, S("crdt:mp"), &cc, &err));
    OK(grove_crdt_counter_increment(cc, 1, &v, &err));
    grove_crdt_counter_free(cc);
    grove_bytes first = {NULL, 0};
    uint64_t cursor = 0;
    OK(grove_store_export_changes(db, 0, &first, &cursor, &err));
    grove_bytes_free(&first);
    close_store(db);

    kid kids[PROCS];
    run_children(target, PROCS, n, crdt_child, kids);
    free_kids(kids, PROCS);
    int64_t want = 1 + 2 * PROCS * n;
    db = open_store(target);
    v = crdt_value(db);
    if (v != want) {
        fprintf(stderr, "  CRDT counter %" PRId64 ", want %" PRId64 "\n", v, want);
    }
    CHECK(v == want);
    uint64_t p = 0, m = 0;
    OK(grove_crdt_counter_new(db, S("crdt:mp"), &cc, &err));
    OK(grove_crdt_counter_totals(cc, &p, &m, &err));
    CHECK(p == (uint64_t)(1 + 3 * PROCS * n) && m == (uint64_t)(PROCS * n));
    grove_crdt_counter_free(cc);
    close_store(db);

    /* Another process's export, since 0 and since this process's earlier cursor, carries
     * everyone's changes. */
    long sinces[2] = {0, (long)cursor};
    for (int s = 0; s < 2; s++) {
        kid ex[1];
        run_children(target, 1, sinces[s], export_child, ex);
        CHECK(ex[0].len > 0);
        grove_store *replica = NULL;
        grove_options *opts = NULL;
        grove_sync_report r;
        OK(grove_options_new(&opts, &err));
        OK(grove_options_set_node_id(opts, S("replica"), &err));
        OK(grove_store_open_memory(opts, &replica, &err));
        grove_options_free(opts);
        OK(grove_store_apply_changes(replica, ex[0].data, ex[0].len, &r, &err));
        v = crdt_value(replica);
        if (v != want) {
            fprintf(stderr, "  replica fed the export since %ld: %" PRId64 ", want %" PRId64 "\n",
                    sinces[s], v, want);
        }
        CHECK(v == want);
        close_store(replica);
        free_kids(ex, 1);
    }
}

/* ---- sessions --------------------------------------------------------------------------- */

static void sessions_child(grove_store *db, int id, long n, int out) {
    grove_sessions *s = NULL;
    OK(grove_sessions_new(db, 3600.0, S("mpsess"), &s, &err));
    for (long i = 0; i < n && s != NULL; i++) {
        char data[32];
        snprintf(data, sizeof data, "p%d-%ld", id, i);
        grove_bytes sid = {NULL, 0};
        OK(grove_sessions_create(s, S(data), &sid, &err));
        uint8_t len = (uint8_t)sid.len, dlen = (uint8_t)strlen(data);
        write_all(out, &len, 1);
        write_all(out, sid.ptr, sid.len);
        write_all(out, &dlen, 1);
        write_all(out, data, dlen);
        grove_bytes_free(&sid);
    }
    grove_sessions_free(s);
}

static void test_sessions(void) {
    char target[600];
    new_target(target, sizeof target);
    long n = 50 / g_scale > 2 ? 50 / g_scale : 2;
    kid kids[PROCS];
    run_children(target, PROCS, n, sessions_child, kids);
    grove_store *db = open_store(target);
    grove_sessions *s = NULL;
    OK(grove_sessions_new(db, 3600.0, S("mpsess"), &s, &err));
    long count = 0;
    for (int i = 0; i < PROCS; i++) {
        for (size_t j = 0; j < kids[i].len;) {
            size_t len = kids[i].data[j];
            const uint8_t *sid = kids[i].data + j + 1;
            size_t dlen = kids[i].data[j + 1 + len];
            const uint8_t *data = kids[i].data + j + 2 + len;
            grove_bytes got = {NULL, 0};
            bool found = false;
            OK(grove_sessions_get(s, sid, len, &got, &found, &err));
            CHECK(found && got.len == dlen && memcmp(got.ptr, data, dlen) == 0);
            grove_bytes_free(&got);
            count++;
            j += 2 + len + dlen;
        }
    }
    CHECK(count == PROCS * n);
    grove_sessions_free(s);
    close_store(db);
    free_kids(kids, PROCS);
}

/* A creates, B reads it and updates it, A reads the update and deletes, B sees it gone and
 * cannot resurrect it. The id travels over a pipe. */
static void pingpong_sessions_child(grove_store *db, int id, long n, int out) {
    (void)n;
    (void)out;
    grove_sessions *s = NULL;
    OK(grove_sessions_new(db, 3600.0, S("peersess"), &s, &err));
    int in = -1, to = -1;
    pingpong_ends(id, &in, &to);
    char sid[64] = {0};
    grove_bytes got = {NULL, 0};
    bool found = false, ok = false;
    if (id == 0) {
        grove_bytes made = {NULL, 0};
        OK(grove_sessions_create(s, S("from-a"), &made, &err));
        CHECK(made.len > 0 && made.len < sizeof sid);
        memcpy(sid, made.ptr, made.len < sizeof sid - 1 ? made.len : sizeof sid - 1);
        grove_bytes_free(&made);
        write_all(to, sid, sizeof sid);
        CHECK(recv_token(in) == 1); /* B read and updated it */
        OK(grove_sessions_get(s, S(sid), &got, &found, &err));
        CHECK(found && got.len == 7 && memcmp(got.ptr, "updated", 7) == 0);
        grove_bytes_free(&got);
        OK(grove_sessions_delete(s, S(sid), &ok, &err));
        CHECK(ok);
        send_token(to, 2);
        CHECK(recv_token(in) == 3);
    } else {
        size_t have = 0;
        while (have < sizeof sid) {
            ssize_t r = read(in, sid + have, sizeof sid - have);
            if (r <= 0) {
                break;
            }
            have += (size_t)r;
        }
        CHECK(have == sizeof sid);
        OK(grove_sessions_get(s, S(sid), &got, &found, &err));
        CHECK(found && got.len == 6 && memcmp(got.ptr, "from-a", 6) == 0);
        grove_bytes_free(&got);
        OK(grove_sessions_update(s, S(sid), S("updated"), &ok, &err));
        CHECK(ok);
        send_token(to, 1);
        CHECK(recv_token(in) == 2); /* A deleted it */
        OK(grove_sessions_exists(s, S(sid), &found, &err));
        CHECK(!found);
        OK(grove_sessions_update(s, S(sid), S("back"), &ok, &err));
        CHECK(!ok);
        OK(grove_sessions_touch(s, S(sid), &ok, &err));
        CHECK(!ok);
        OK(grove_sessions_exists(s, S(sid), &found, &err));
        CHECK(!found);
        send_token(to, 3);
    }
    grove_sessions_free(s);
}

static void test_sessions_seen_at_once(void) { run_pingpong(pingpong_sessions_child); }

/* ---- fork after open: the documented recipe for pre-forking servers ------------------- */

/* The parent has the store open when it forks; the child opens the same target after the
 * fork (a gunicorn/pre-fork worker in post_fork). The child must get a working store of its
 * own, not the parent's environment. */
static void fork_open_child(grove_store *db, int id, long n, int out) {
    (void)id;
    (void)n;
    (void)out;
    grove_counter *c = NULL;
    int64_t v = 0;
    OK(grove_counter_new(db, S("forked"), &c, &err));
    EXPECT(GROVE_OK, grove_counter_increment(c, 1, &v, &err));
    grove_counter_free(c);
}

static void test_fork_after_open_then_open_in_child(void) {
    char target[600];
    new_target(target, sizeof target);
    grove_store *db = open_store(target);
    grove_counter *c = NULL;
    int64_t v = 0;
    OK(grove_counter_new(db, S("forked"), &c, &err));
    OK(grove_counter_increment(c, 10, &v, &err));
    kid kids[2];
    run_children(target, 2, 0, fork_open_child, kids);
    free_kids(kids, 2);
    OK(grove_counter_get(c, &v, &err));
    CHECK(v == 12);
    grove_counter_free(c);
    close_store(db);
}

/* Using the parent's handle in a forked child is refused with a clear error, not undefined
 * behaviour on LMDB's lock table. */
static void test_inherited_handle_refused(void) {
    char target[600];
    new_target(target, sizeof target);
    grove_store *db = open_store(target);
    grove_counter *c = NULL;
    int64_t v = 0;
    OK(grove_counter_new(db, S("inherited"), &c, &err));
    OK(grove_counter_increment(c, 1, &v, &err));
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        g_case_failed = 0;
        EXPECT_MSG(GROVE_INVALID_ARGUMENT, "fork", grove_counter_increment(c, 1, &v, &err));
        fflush(stderr);
        _exit(g_case_failed ? 1 : 0); /* never touches the inherited environment again */
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    OK(grove_counter_get(c, &v, &err));
    CHECK(v == 1); /* the refused increment changed nothing */
    grove_counter_free(c);
    close_store(db);
}

int main(void) {
    const char *scale = getenv("GROVE_TEST_SCALE");
    if (scale != NULL && atol(scale) > 0) {
        g_scale = atol(scale);
    }
    const char *base = getenv("TMPDIR");
    snprintf(g_tmp, sizeof g_tmp, "%s/grove-c-mp-XXXXXX", base ? base : "/tmp");
    if (mkdtemp(g_tmp) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    printf("libgrove %s: multi-process tests on lmdb: (%d processes, scale 1/%ld)\n",
           grove_version(), PROCS, g_scale);
    double t0 = now_secs();
    run_case("mp_counter_exact", test_counter);
    run_case("mp_lock_mutual_exclusion_and_fencing", test_lock);
    run_case("mp_ratelimiter_admits_exactly_limit", test_ratelimit);
    run_case("mp_queue_each_job_once", test_queue);
    run_case("mp_leaderboard_incr_exact", test_leaderboard_incr);
    run_case("mp_leaderboard_write_seen_at_once", test_leaderboard_seen_at_once);
    run_case("mp_crdt_counter_nothing_lost_and_exported", test_crdt);
    run_case("mp_sessions_created_elsewhere", test_sessions);
    run_case("mp_sessions_seen_at_once", test_sessions_seen_at_once);
    run_case("mp_inherited_handle_refused_in_child", test_inherited_handle_refused);
    run_case("mp_open_in_child_after_parent_opened", test_fork_after_open_then_open_in_child);

    /* The same checks on Redis and on a Redis Cluster, when the test command started them (the
       fork cases above are about lmdb's environment and have no Redis counterpart). */
    const char *servers[][2] = {{"GROVE_TEST_REDIS", "redis"},
                                {"GROVE_TEST_REDIS_CLUSTER", "redis_cluster"}};
    for (size_t s = 0; s < sizeof servers / sizeof servers[0]; s++) {
        g_redis = getenv(servers[s][0]);
        if (g_redis == NULL || g_redis[0] == '\0') {
            printf("NOTE: %s is not set: the %s pass did not run\n", servers[s][0], servers[s][1]);
            continue;
        }
        printf("-- the same checks on %s (%s)\n", servers[s][1], g_redis);
        char name[96];
#define REDIS_CASE(n, f)                                              \
    snprintf(name, sizeof name, "%s_%s", servers[s][1], n);           \
    run_case(name, f)
        REDIS_CASE("mp_counter_exact", test_counter);
        REDIS_CASE("mp_lock_mutual_exclusion_and_fencing", test_lock);
        REDIS_CASE("mp_ratelimiter_admits_exactly_limit", test_ratelimit);
        REDIS_CASE("mp_queue_each_job_once", test_queue);
        REDIS_CASE("mp_leaderboard_incr_exact", test_leaderboard_incr);
        REDIS_CASE("mp_leaderboard_write_seen_at_once", test_leaderboard_seen_at_once);
        REDIS_CASE("mp_crdt_counter_nothing_lost_and_exported", test_crdt);
        REDIS_CASE("mp_sessions_created_elsewhere", test_sessions);
        REDIS_CASE("mp_sessions_seen_at_once", test_sessions_seen_at_once);
#undef REDIS_CASE
    }

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmp);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", g_tmp);
    }
    printf("(%.1f s)\n%d passed, %d failed\n", now_secs() - t0, g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
