/*
 * The bad-input matrix of libgrove: every public grove_* function called with NULL for each
 * pointer argument, zero lengths, oversized keys and values, negative/NaN/infinite doubles,
 * INT64/UINT64 extremes, invalid UTF-8, invalid JSON, garbage state and bundles, keys of the
 * wrong type, use after close, and the documented double-free safety. Each call must give the
 * exact status of its kind with a readable message, never crash, leak or hang, and leave the
 * store untouched: every case runs against a store populated with one of each kind (on the
 * memory engine and on sled in a temporary directory), snapshots its observable state before
 * and compares it after.
 *
 * Build: tests/c/Makefile; run: tests/c/run.sh (natively, under valgrind, with ASan+UBSan).
 * Ends with "N passed, M failed". A check that hits a known bug of the Rust core prints
 * "KNOWN core bug: ..." and is not counted.
 */
#include "grove.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------- tiny framework */

static int g_known;
static char g_tmp[512];

/* A message is readable when it is non-empty, valid UTF-8 and free of control characters. */
static int readable(const char *m) {
    if (m == NULL || m[0] == '\0') {
        return 0;
    }
    const unsigned char *p = (const unsigned char *)m;
    while (*p) {
        unsigned c = *p;
        int extra = 0;
        if (c < 0x20 || c == 0x7f) {
            return 0;
        } else if (c < 0x80) {
            extra = 0;
        } else if ((c & 0xe0) == 0xc0 && c >= 0xc2) {
            extra = 1;
        } else if ((c & 0xf0) == 0xe0) {
            extra = 2;
        } else if ((c & 0xf8) == 0xf0 && c <= 0xf4) {
            extra = 3;
        } else {
            return 0;
        }
        p++;
        for (int i = 0; i < extra; i++, p++) {
            if ((*p & 0xc0) != 0x80) {
                return 0;
            }
        }
    }
    return 1;
}

#define CHECK_MESSAGE_OK(msg) readable(msg)
#include "check.h"

/* A NULL argument: INVALID_ARGUMENT whose message says NULL. */
#define NUL_ARG(call) EXPECT_MSG(GROVE_INVALID_ARGUMENT, "NULL", call)
#define CLOSED(call) EXPECT(GROVE_CLOSED, call)
#define WRONG(call) EXPECT(GROVE_WRONG_TYPE, call)
#define CORRUPT(call) EXPECT(GROVE_CORRUPT, call)
#define OVERFLOW(call) EXPECT(GROVE_OVERFLOW, call)

/* For a known bug of the Rust core: reports it (not counted) instead of failing the case. */
#define KNOWN_CORE_BUG(want, what, call)                                                  \
    do {                                                                                  \
        grove_error *err = NULL;                                                          \
        grove_status st_ = (call);                                                        \
        if (st_ == (want) && (want == GROVE_OK || (err && readable(grove_error_message(err))))) { \
            printf("     (known core bug fixed? %s now gives %s)\n", what, grove_status_name(st_)); \
        } else {                                                                          \
            g_known++;                                                                    \
            printf("     KNOWN core bug: %s: want %s, got %s (%s)\n", what,              \
                   grove_status_name(want), grove_status_name(st_),                      \
                   err ? grove_error_message(err) : "no error object");                  \
        }                                                                                 \
        grove_error_free(err);                                                            \
    } while (0)

#define S(s) (const uint8_t *)(s), strlen(s)
#define B(lit) (const uint8_t *)(lit), (sizeof(lit) - 1)

/* Invalid UTF-8 samples: a lone continuation byte, a bad 2-byte sequence, an overlong '/',
 * an encoded surrogate, a truncated 3-byte sequence, a code point above U+10FFFF. */
static const char *const BAD_UTF8[] = {"\xff", "\xc3\x28", "\xc0\xaf", "\xed\xa0\x80",
                                       "abc\xe2\x82", "\xf4\x90\x80\x80"};
#define N_BAD_UTF8 (sizeof BAD_UTF8 / sizeof BAD_UTF8[0])

/* ---------------------------------------------------------------- string builder */

typedef struct {
    char *p;
    size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const char *fmt, ...) {
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0) {
            return;
        }
        if ((size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 1024;
        while (cap - b->len <= (size_t)n) {
            cap *= 2;
        }
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            abort();
        }
        b->p = p;
        b->cap = cap;
    }
}

static void sb_bytes(sbuf *b, const uint8_t *p, size_t n) {
    sb_add(b, "\"");
    for (size_t i = 0; i < n; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\') {
            sb_add(b, "%c", p[i]);
        } else {
            sb_add(b, "\\x%02x", p[i]);
        }
    }
    sb_add(b, "\"");
}

static uint64_t fnv1a(const uint8_t *p, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ p[i]) * 1099511628211ULL;
    }
    return h;
}

/* ---------------------------------------------------------------- the populated store */

#define SID_FAKE "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" /* 43 chars: a well-formed id */

typedef struct {
    grove_store *db;
    char path[600]; /* "" for the memory store */
    grove_counter *hits, *low, *kvcounter;
    grove_lock *lock, *other_lock;
    grove_ratelimiter *rl;
    grove_sessions *sess;
    char sid[64];
    size_t sid_len;
    grove_leaderboard *lb;
    grove_queue *q, *deadq;
    uint64_t inflight_id;
    grove_crdt_counter *cc;
    grove_crdt_register *cr;
    grove_crdt_set *cs;
    grove_crdt_map *cm;
} fixture;

static void populate(fixture *fx) {
    grove_store *db = fx->db;
    double hour = 3600;
    int64_t v = 0;
    bool yes = false;
    const uint8_t bin[] = {0, 0xff, 1};

    OK(grove_store_set(db, S("kv:plain"), S("hello"), NULL, &err));
    OK(grove_store_set(db, S("kv:ttl"), S("bye"), &hour, &err));
    OK(grove_store_set(db, S("kv:empty"), NULL, 0, NULL, &err));
    OK(grove_store_set(db, S("kv:bin"), bin, sizeof bin, NULL, &err));
    /* Bytes where other primitives keep their state. */
    OK(grove_store_set(db, S("counter:kvbytes"), S("not a counter"), NULL, &err));
    OK(grove_store_set(db, S("lock:kvbytes"), S("not a lock"), NULL, &err));
    OK(grove_store_set(db, S("ratelimit:api:kvbytes"), S("not a window"), NULL, &err));
    OK(grove_store_set(db, S("sess:" SID_FAKE), S("not a session"), NULL, &err));

    OK(grove_counter_new(db, S("hits"), &fx->hits, &err));
    OK(grove_counter_increment(fx->hits, 42, &v, &err));
    OK(grove_counter_new(db, S("low"), &fx->low, &err));
    OK(grove_counter_set(fx->low, INT64_MIN + 5, &err));
    OK(grove_counter_new(db, S("kvbytes"), &fx->kvcounter, &err));

    OK(grove_lock_new(db, S("deploy"), hour, &fx->lock, &err));
    OK(grove_lock_try_acquire(fx->lock, &yes, &err));
    CHECK(yes);
    OK(grove_lock_new(db, S("kvbytes"), hour, &fx->other_lock, &err));

    grove_ratelimit_decision d;
    OK(grove_ratelimiter_new(db, S("api"), 10, hour, &fx->rl, &err));
    OK(grove_ratelimiter_allow(fx->rl, S("user1"), 3, &d, &err));
    CHECK(d.allowed && d.remaining == 7);

    grove_bytes id = {NULL, 0};
    OK(grove_sessions_new(db, hour, S("sess"), &fx->sess, &err));
    OK(grove_sessions_create(fx->sess, S("session-data"), &id, &err));
    CHECK(id.len > 0 && id.len < sizeof fx->sid);
    if (id.len > 0 && id.len < sizeof fx->sid) {
        memcpy(fx->sid, id.ptr, id.len);
        fx->sid_len = id.len;
    }
    grove_bytes_free(&id);

    OK(grove_leaderboard_new(db, S("scores"), &fx->lb, &err));
    OK(grove_leaderboard_add(fx->lb, S("alice"), 10, &err));
    OK(grove_leaderboard_add(fx->lb, S("bob"), 20.5, &err));
    OK(grove_leaderboard_add(fx->lb, S("carol"), -3, &err));
    OK(grove_leaderboard_add(fx->lb, S("big"), DBL_MAX, &err));
    OK(grove_leaderboard_add(fx->lb, S("small"), -DBL_MAX, &err));

    uint64_t jid = 0;
    grove_job job;
    bool found = false;
    OK(grove_queue_new(db, S("jobs"), hour, 5, &fx->q, &err));
    OK(grove_queue_enqueue(fx->q, S("j1"), 0, &jid, &err));
    OK(grove_queue_enqueue(fx->q, S("j2"), 0, &jid, &err));
    OK(grove_queue_enqueue(fx->q, S("j3"), hour, &jid, &err));
    OK(grove_queue_dequeue(fx->q, &job, &found, &err));
    CHECK(found);
    fx->inflight_id = job.id;
    grove_job_free(&job);
    OK(grove_queue_new(db, S("deadq"), hour, 1, &fx->deadq, &err));
    OK(grove_queue_enqueue(fx->deadq, S("d1"), 0, &jid, &err));
    OK(grove_queue_dequeue(fx->deadq, &job, &found, &err));
    CHECK(found);
    OK(grove_queue_nack(fx->deadq, job.id, 0, &yes, &err));
    grove_job_free(&job);

    OK(grove_crdt_counter_new(db, S("crdt:c"), &fx->cc, &err));
    OK(grove_crdt_counter_increment(fx->cc, 7, &v, &err));
    OK(grove_crdt_counter_decrement(fx->cc, 2, &v, &err));
    OK(grove_crdt_register_new(db, S("crdt:r"), &fx->cr, &err));
    OK(grove_crdt_register_set(fx->cr, S("{\"v\":1}"), &err));
    OK(grove_crdt_set_new(db, S("crdt:s"), &fx->cs, &err));
    OK(grove_crdt_set_add(fx->cs, S("\"x\""), &err));
    OK(grove_crdt_set_add(fx->cs, S("1"), &err));
    OK(grove_crdt_set_add(fx->cs, S("{\"a\":[1,2]}"), &err));
    OK(grove_crdt_map_new(db, S("crdt:m"), &fx->cm, &err));
    OK(grove_crdt_map_set(fx->cm, S("f1"), S("\"one\""), &err));
    OK(grove_crdt_map_set(fx->cm, S("f2"), S("2"), &err));
    OK(grove_crdt_map_set(fx->cm, S("f3"), S("true"), &err));
    OK(grove_crdt_map_delete(fx->cm, S("f3"), &yes, &err));
}

static void free_handles(fixture *fx) {
    grove_counter_free(fx->hits);
    grove_counter_free(fx->low);
    grove_counter_free(fx->kvcounter);
    grove_lock_free(fx->lock);
    grove_lock_free(fx->other_lock);
    grove_ratelimiter_free(fx->rl);
    grove_sessions_free(fx->sess);
    grove_leaderboard_free(fx->lb);
    grove_queue_free(fx->q);
    grove_queue_free(fx->deadq);
    grove_crdt_counter_free(fx->cc);
    grove_crdt_register_free(fx->cr);
    grove_crdt_set_free(fx->cs);
    grove_crdt_map_free(fx->cm);
    fx->hits = fx->low = fx->kvcounter = NULL;
    fx->lock = fx->other_lock = NULL;
    fx->rl = NULL;
    fx->sess = NULL;
    fx->lb = NULL;
    fx->q = fx->deadq = NULL;
    fx->cc = NULL;
    fx->cr = NULL;
    fx->cs = NULL;
    fx->cm = NULL;
}

/* Everything an observer can read of the populated store, as text; reads through fresh
 * handles so it also works on a reopened store. NULL (and a failed check) if a read fails. */
static char *snapshot(grove_store *db, const fixture *fx) {
    sbuf b = {NULL, 0, 0};
    grove_error *err = NULL;
#define SNAP(call)                                                                        \
    do {                                                                                  \
        if ((call) != GROVE_OK) {                                                         \
            fprintf(stderr, "  FAIL snapshot %s: %s\n", #call, grove_error_message(err)); \
            grove_error_free(err);                                                        \
            g_case_failed = 1;                                                            \
            free(b.p);                                                                    \
            return NULL;                                                                  \
        }                                                                                 \
    } while (0)

    grove_keys *it = NULL;
    SNAP(grove_store_keys(db, NULL, 0, &it, &err));
    for (;;) {
        grove_bytes k = {NULL, 0};
        bool has = false;
        grove_status st = grove_keys_next(it, &k, &has, &err);
        if (st != GROVE_OK) {
            grove_keys_free(it);
        }
        SNAP(st);
        if (!has) {
            break;
        }
        grove_kind kind = GROVE_KIND_NONE;
        double secs = 0;
        bool has_ttl = false;
        st = grove_store_kind_of(db, k.ptr, k.len, &kind, &err);
        if (st == GROVE_OK) {
            st = grove_store_ttl(db, k.ptr, k.len, &secs, &has_ttl, &err);
        }
        sb_add(&b, "key ");
        sb_bytes(&b, k.ptr, k.len);
        sb_add(&b, " kind=%d ttl=%s", (int)kind, has_ttl ? (secs > 3000 ? "long" : "short") : "none");
        if (st == GROVE_OK && kind == GROVE_KIND_BYTES) {
            grove_bytes v = {NULL, 0};
            bool found = false;
            st = grove_store_get(db, k.ptr, k.len, &v, &found, &err);
            sb_add(&b, " value=");
            sb_bytes(&b, v.ptr, v.len);
            grove_bytes_free(&v);
        }
        sb_add(&b, "\n");
        grove_bytes_free(&k);
        if (st != GROVE_OK) {
            grove_keys_free(it);
        }
        SNAP(st);
    }
    grove_keys_free(it);

    static const char *const counters[] = {"hits", "low"};
    for (int i = 0; i < 2; i++) {
        grove_counter *c = NULL;
        int64_t v = 0;
        SNAP(grove_counter_new(db, S(counters[i]), &c, &err));
        grove_status st = grove_counter_get(c, &v, &err);
        grove_counter_free(c);
        SNAP(st);
        sb_add(&b, "counter %s=%lld\n", counters[i], (long long)v);
    }

    grove_lock_info li;
    SNAP(grove_store_lock_info(db, S("deploy"), &li, &err));
    sb_add(&b, "lock held=%d token=%llu\n", (int)li.held, (unsigned long long)li.fencing_token);

    grove_ratelimiter *rl = NULL;
    grove_ratelimit_decision d;
    SNAP(grove_ratelimiter_new(db, S("api"), 10, 3600, &rl, &err));
    grove_status st = grove_ratelimiter_peek(rl, S("user1"), &d, &err);
    grove_ratelimiter_free(rl);
    SNAP(st);
    sb_add(&b, "rl allowed=%d remaining=%llu\n", (int)d.allowed, (unsigned long long)d.remaining);

    grove_sessions *ss = NULL;
    grove_bytes data = {NULL, 0};
    bool found = false, exists = false;
    SNAP(grove_sessions_new(db, 3600, S("sess"), &ss, &err));
    st = grove_sessions_get(ss, (const uint8_t *)fx->sid, fx->sid_len, &data, &found, &err);
    if (st == GROVE_OK) {
        st = grove_sessions_exists(ss, (const uint8_t *)fx->sid, fx->sid_len, &exists, &err);
    }
    grove_sessions_free(ss);
    sb_add(&b, "session found=%d exists=%d data=", (int)found, (int)exists);
    sb_bytes(&b, data.ptr, data.len);
    sb_add(&b, "\n");
    grove_bytes_free(&data);
    SNAP(st);

    grove_leaderboard *lb = NULL;
    grove_ranked_list rl_list = {NULL, 0};
    uint64_t n = 0;
    SNAP(grove_leaderboard_new(db, S("scores"), &lb, &err));
    st = grove_leaderboard_len(lb, &n, &err);
    if (st == GROVE_OK) {
        st = grove_leaderboard_top(lb, 100, &rl_list, &err);
    }
    grove_leaderboard_free(lb);
    SNAP(st);
    sb_add(&b, "lb len=%llu", (unsigned long long)n);
    for (size_t i = 0; i < rl_list.len; i++) {
        sb_add(&b, " %llu:", (unsigned long long)rl_list.ptr[i].rank);
        sb_bytes(&b, rl_list.ptr[i].member.ptr, rl_list.ptr[i].member.len);
        sb_add(&b, "=%a", rl_list.ptr[i].score);
    }
    sb_add(&b, "\n");
    grove_ranked_list_free(&rl_list);

    static const char *const queues[] = {"jobs", "deadq"};
    for (int i = 0; i < 2; i++) {
        grove_queue *q = NULL;
        grove_queue_counts qc;
        grove_job_list dl = {NULL, 0};
        SNAP(grove_queue_new(db, S(queues[i]), 3600, i == 0 ? 5 : 1, &q, &err));
        st = grove_queue_stats(q, &qc, &err);
        if (st == GROVE_OK) {
            st = grove_queue_dead_letters(q, &dl, &err);
        }
        grove_queue_free(q);
        SNAP(st);
        sb_add(&b, "queue %s ready=%llu in_flight=%llu dead=%llu", queues[i],
               (unsigned long long)qc.ready, (unsigned long long)qc.in_flight,
               (unsigned long long)qc.dead);
        for (size_t j = 0; j < dl.len; j++) {
            sb_add(&b, " dead#%llu/%u:", (unsigned long long)dl.ptr[j].id, dl.ptr[j].attempts);
            sb_bytes(&b, dl.ptr[j].payload.ptr, dl.ptr[j].payload.len);
        }
        sb_add(&b, "\n");
        grove_job_list_free(&dl);
    }

    grove_bytes state = {NULL, 0};
    grove_crdt_counter *cc = NULL;
    int64_t cv = 0;
    uint64_t p = 0, nn = 0;
    grove_crdt_contribution_list cl = {NULL, 0};
    SNAP(grove_crdt_counter_new(db, S("crdt:c"), &cc, &err));
    st = grove_crdt_counter_value(cc, &cv, &err);
    if (st == GROVE_OK) {
        st = grove_crdt_counter_totals(cc, &p, &nn, &err);
    }
    if (st == GROVE_OK) {
        st = grove_crdt_counter_contributions(cc, &cl, &err);
    }
    if (st == GROVE_OK) {
        st = grove_crdt_counter_state(cc, &state, &err);
    }
    grove_crdt_counter_free(cc);
    sb_add(&b, "crdt counter value=%lld p=%llu n=%llu contributions=%zu state=%zu/%016llx\n",
           (long long)cv, (unsigned long long)p, (unsigned long long)nn, cl.len, state.len,
           (unsigned long long)fnv1a(state.ptr, state.len));
    grove_crdt_contribution_list_free(&cl);
    grove_bytes_free(&state);
    SNAP(st);

    grove_crdt_register *cr = NULL;
    grove_bytes rv = {NULL, 0};
    SNAP(grove_crdt_register_new(db, S("crdt:r"), &cr, &err));
    st = grove_crdt_register_get(cr, &rv, &found, &err);
    if (st == GROVE_OK) {
        st = grove_crdt_register_state(cr, &state, &err);
    }
    grove_crdt_register_free(cr);
    sb_add(&b, "crdt register found=%d value=", (int)found);
    sb_bytes(&b, rv.ptr, rv.len);
    sb_add(&b, " state=%zu/%016llx\n", state.len, (unsigned long long)fnv1a(state.ptr, state.len));
    grove_bytes_free(&rv);
    grove_bytes_free(&state);
    SNAP(st);

    grove_crdt_set *cs = NULL;
    grove_bytes_list members = {NULL, 0};
    uint64_t slen = 0;
    SNAP(grove_crdt_set_new(db, S("crdt:s"), &cs, &err));
    st = grove_crdt_set_members(cs, &members, &err);
    if (st == GROVE_OK) {
        st = grove_crdt_set_len(cs, &slen, &err);
    }
    if (st == GROVE_OK) {
        st = grove_crdt_set_state(cs, &state, &err);
    }
    grove_crdt_set_free(cs);
    sb_add(&b, "crdt set len=%llu", (unsigned long long)slen);
    for (size_t i = 0; i < members.len; i++) {
        sb_add(&b, " ");
        sb_bytes(&b, members.ptr[i].ptr, members.ptr[i].len);
    }
    sb_add(&b, " state=%zu/%016llx\n", state.len, (unsigned long long)fnv1a(state.ptr, state.len));
    grove_bytes_list_free(&members);
    grove_bytes_free(&state);
    SNAP(st);

    grove_crdt_map *cm = NULL;
    grove_crdt_field_list fields = {NULL, 0};
    grove_bytes_list names = {NULL, 0};
    SNAP(grove_crdt_map_new(db, S("crdt:m"), &cm, &err));
    st = grove_crdt_map_all(cm, &fields, &err);
    if (st == GROVE_OK) {
        st = grove_crdt_map_keys(cm, &names, &err);
    }
    if (st == GROVE_OK) {
        st = grove_crdt_map_state(cm, &state, &err);
    }
    grove_crdt_map_free(cm);
    sb_add(&b, "crdt map names=%zu", names.len);
    for (size_t i = 0; i < fields.len; i++) {
        sb_add(&b, " ");
        sb_bytes(&b, fields.ptr[i].name.ptr, fields.ptr[i].name.len);
        sb_add(&b, "=");
        sb_bytes(&b, fields.ptr[i].value.ptr, fields.ptr[i].value.len);
    }
    sb_add(&b, " state=%zu/%016llx\n", state.len, (unsigned long long)fnv1a(state.ptr, state.len));
    grove_crdt_field_list_free(&fields);
    grove_bytes_list_free(&names);
    grove_bytes_free(&state);
    SNAP(st);

    double drift = 0;
    grove_bytes node = {NULL, 0};
    SNAP(grove_store_max_drift(db, &drift, &err));
    SNAP(grove_store_node_id(db, &node, &err));
    sb_add(&b, "max_drift=%g node=", drift);
    sb_bytes(&b, node.ptr, node.len);
    sb_add(&b, "\n");
    grove_bytes_free(&node);
#undef SNAP
    return b.p;
}

/* Prints the first differing line of two snapshots. */
static void report_diff(const char *before, const char *after) {
    const char *a = before, *b = after;
    while (*a && *b) {
        const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
        size_t la = ea ? (size_t)(ea - a) : strlen(a), lb = eb ? (size_t)(eb - b) : strlen(b);
        if (la != lb || memcmp(a, b, la) != 0) {
            fprintf(stderr, "    before: %.*s\n    after:  %.*s\n", (int)la, a, (int)lb, b);
            return;
        }
        a += la + (ea ? 1 : 0);
        b += lb + (eb ? 1 : 0);
    }
    fprintf(stderr, "    before: %.200s\n    after:  %.200s\n", a, b);
}

/* ---------------------------------------------------------------- harness */

typedef void (*case_fn)(fixture *fx);

static int g_dir_seq;

static grove_store *open_store(const char *path) {
    grove_store *db = NULL;
    if (path[0] == '\0') {
        OK(grove_store_open_memory(NULL, &db, &err));
    } else {
        OK(grove_store_open(S(path), NULL, &db, &err));
    }
    return db;
}

/* Runs `fn` against a populated store of engine `engine` ("memory" or "sled"), then checks
 * the store's observable state is unchanged (after reopening it when `fn` closed it). */
static void run_case(const char *engine, const char *name, case_fn fn) {
    fixture fx;
    memset(&fx, 0, sizeof fx);
    g_case_failed = 0;
    if (strcmp(engine, "sled") == 0) {
        snprintf(fx.path, sizeof fx.path, "%s/sled-%02d", g_tmp, ++g_dir_seq);
    }
    fx.db = open_store(fx.path);
    if (fx.db != NULL) {
        populate(&fx);
        char *before = snapshot(fx.db, &fx);
        fn(&fx);
        bool closed = false;
        OK(grove_store_is_closed(fx.db, &closed, &err));
        free_handles(&fx);
        if (closed) {
            grove_store_free(fx.db);
            fx.db = NULL;
            if (fx.path[0] != '\0') {
                fx.db = open_store(fx.path); /* sled: what was written must be intact */
            }
        }
        if (fx.db != NULL && before != NULL) {
            char *after = snapshot(fx.db, &fx);
            if (after != NULL && strcmp(before, after) != 0) {
                g_case_failed = 1;
                fprintf(stderr, "  FAIL %s/%s: the store changed\n", engine, name);
                report_diff(before, after);
            }
            free(after);
        }
        free(before);
        if (fx.db != NULL) {
            OK(grove_store_close(fx.db, &err));
            grove_store_free(fx.db);
        }
    }
    if (g_case_failed) {
        g_failed++;
        printf("FAIL %s/%s\n", engine, name);
    } else {
        g_passed++;
        printf("ok   %s/%s\n", engine, name);
    }
    fflush(stdout);
}

/* ---------------------------------------------------------------- cases */

/* Every function, each pointer argument NULL in turn (with a non-zero length where there is
 * one). Out-params must be left alone on failure. */
static void case_null_pointers(fixture *fx) {
    grove_store *db = fx->db;
    grove_bytes b = {NULL, 0};
    bool yes = true;
    int64_t i64 = 77;
    uint64_t u64 = 77;
    double dbl = 77;
    grove_kind kind = GROVE_KIND_NONE;
    grove_store *sp = NULL;
    grove_options *opts = NULL;
    double ttl = 10;

    /* options */
    NUL_ARG(grove_options_new(NULL, &err));
    OK(grove_options_new(&opts, &err));
    NUL_ARG(grove_options_set_node_id(NULL, S("n1"), &err));
    NUL_ARG(grove_options_set_node_id(opts, NULL, 2, &err));
    INVALID(grove_options_set_node_id(opts, NULL, 0, &err));
    NUL_ARG(grove_options_set_durability(NULL, GROVE_DURABILITY_PERIODIC, 10, &err));
    NUL_ARG(grove_options_set_connect_timeout(NULL, 1000, &err));
    NUL_ARG(grove_options_set_compression(NULL, 1024, &err));
    static const uint8_t key32[32] = {1};
    NUL_ARG(grove_options_set_encryption_key(NULL, key32, 32, &err));
    NUL_ARG(grove_options_set_encryption_key(opts, NULL, 32, &err));
    NUL_ARG(grove_options_add_old_encryption_key(NULL, key32, 32, &err));
    NUL_ARG(grove_options_add_old_encryption_key(opts, NULL, 0, &err));

    /* opening */
    NUL_ARG(grove_store_open(NULL, 5, NULL, &sp, &err));
    NUL_ARG(grove_store_open(S("/tmp/x"), NULL, NULL, &err));
    NUL_ARG(grove_store_open(S("/tmp/x"), opts, NULL, &err));
    INVALID(grove_store_open(NULL, 0, NULL, &sp, &err));
    NUL_ARG(grove_store_open_memory(NULL, NULL, &err));
    NUL_ARG(grove_store_open_memory(opts, NULL, &err));
    CHECK(sp == NULL);
    grove_options_free(opts);

    /* store inspection */
    NUL_ARG(grove_store_close(NULL, &err));
    NUL_ARG(grove_store_flush(NULL, &err));
    NUL_ARG(grove_store_is_closed(NULL, &yes, &err));
    NUL_ARG(grove_store_is_closed(db, NULL, &err));
    NUL_ARG(grove_store_node_id(NULL, &b, &err));
    NUL_ARG(grove_store_node_id(db, NULL, &err));
    NUL_ARG(grove_store_path(NULL, &b, &err));
    NUL_ARG(grove_store_path(db, NULL, &err));
    NUL_ARG(grove_store_size_on_disk(NULL, &u64, &err));
    NUL_ARG(grove_store_size_on_disk(db, NULL, &err));
    NUL_ARG(grove_store_namespace(NULL, S("ns"), &sp, &err));
    NUL_ARG(grove_store_namespace(db, NULL, 2, &sp, &err));
    NUL_ARG(grove_store_namespace(db, S("ns"), NULL, &err));
    NUL_ARG(grove_store_max_drift(NULL, &dbl, &err));
    NUL_ARG(grove_store_max_drift(db, NULL, &err));
    NUL_ARG(grove_store_set_max_drift(NULL, 5, &err));
    CHECK(b.ptr == NULL && b.len == 0 && u64 == 77 && dbl == 77 && yes && sp == NULL);

    /* key/value */
    NUL_ARG(grove_store_get(NULL, S("kv:plain"), &b, &yes, &err));
    NUL_ARG(grove_store_get(db, NULL, 8, &b, &yes, &err));
    NUL_ARG(grove_store_get(db, S("kv:plain"), NULL, &yes, &err));
    NUL_ARG(grove_store_get(db, S("kv:plain"), &b, NULL, &err));
    NUL_ARG(grove_store_set(NULL, S("kv:plain"), S("x"), NULL, &err));
    NUL_ARG(grove_store_set(db, NULL, 8, S("x"), NULL, &err));
    NUL_ARG(grove_store_set(db, S("kv:plain"), NULL, 1, NULL, &err));
    NUL_ARG(grove_store_set(db, S("kv:plain"), NULL, 1, &ttl, &err));
    NUL_ARG(grove_store_delete(NULL, S("kv:plain"), &yes, &err));
    NUL_ARG(grove_store_delete(db, NULL, 8, &yes, &err));
    grove_slice exp = {(const uint8_t *)"hello", 5};
    NUL_ARG(grove_store_set_if_absent(NULL, S("kv:new"), S("x"), NULL, &yes, &err));
    NUL_ARG(grove_store_set_if_absent(db, NULL, 6, S("x"), NULL, &yes, &err));
    NUL_ARG(grove_store_set_if_absent(db, S("kv:new"), NULL, 1, NULL, &yes, &err));
    NUL_ARG(grove_store_set_if_absent(db, S("kv:new"), S("x"), NULL, NULL, &err));
    NUL_ARG(grove_store_set_if_present(NULL, S("kv:plain"), S("x"), NULL, &yes, &err));
    NUL_ARG(grove_store_set_if_present(db, NULL, 8, S("x"), NULL, &yes, &err));
    NUL_ARG(grove_store_set_if_present(db, S("kv:plain"), NULL, 1, &ttl, &yes, &err));
    NUL_ARG(grove_store_set_if_present(db, S("kv:plain"), S("x"), NULL, NULL, &err));
    NUL_ARG(grove_store_compare_and_set(NULL, S("kv:plain"), &exp, S("x"), NULL, &yes, &err));
    NUL_ARG(grove_store_compare_and_set(db, NULL, 8, &exp, S("x"), NULL, &yes, &err));
    NUL_ARG(grove_store_compare_and_set(db, S("kv:plain"), &exp, NULL, 1, NULL, &yes, &err));
    NUL_ARG(grove_store_compare_and_set(db, S("kv:plain"), &exp, S("x"), NULL, NULL, &err));
    grove_slice nul_exp = {NULL, 5};
    NUL_ARG(grove_store_compare_and_set(db, S("kv:plain"), &nul_exp, S("x"), NULL, &yes, &err));
    NUL_ARG(grove_store_get_set(NULL, S("kv:plain"), S("x"), NULL, &b, &yes, &err));
    NUL_ARG(grove_store_get_set(db, NULL, 8, S("x"), NULL, &b, &yes, &err));
    NUL_ARG(grove_store_get_set(db, S("kv:plain"), NULL, 1, NULL, &b, &yes, &err));
    NUL_ARG(grove_store_get_set(db, S("kv:plain"), S("x"), NULL, NULL, &yes, &err));
    NUL_ARG(grove_store_get_set(db, S("kv:plain"), S("x"), NULL, &b, NULL, &err));
    NUL_ARG(grove_store_get_delete(NULL, S("kv:plain"), &b, &yes, &err));
    NUL_ARG(grove_store_get_delete(db, NULL, 8, &b, &yes, &err));
    NUL_ARG(grove_store_get_delete(db, S("kv:plain"), NULL, &yes, &err));
    NUL_ARG(grove_store_get_delete(db, S("kv:plain"), &b, NULL, &err));
    NUL_ARG(grove_store_delete(db, S("kv:plain"), NULL, &err));
    NUL_ARG(grove_store_exists(NULL, S("kv:plain"), &yes, &err));
    NUL_ARG(grove_store_exists(db, NULL, 8, &yes, &err));
    NUL_ARG(grove_store_exists(db, S("kv:plain"), NULL, &err));
    NUL_ARG(grove_store_expire(NULL, S("kv:plain"), 0, &yes, &err));
    NUL_ARG(grove_store_expire(db, NULL, 8, 0, &yes, &err));
    NUL_ARG(grove_store_expire(db, S("kv:plain"), 0, NULL, &err));
    NUL_ARG(grove_store_persist(NULL, S("kv:ttl"), &yes, &err));
    NUL_ARG(grove_store_persist(db, NULL, 6, &yes, &err));
    NUL_ARG(grove_store_persist(db, S("kv:ttl"), NULL, &err));
    NUL_ARG(grove_store_ttl(NULL, S("kv:ttl"), &dbl, &yes, &err));
    NUL_ARG(grove_store_ttl(db, NULL, 6, &dbl, &yes, &err));
    NUL_ARG(grove_store_ttl(db, S("kv:ttl"), NULL, &yes, &err));
    NUL_ARG(grove_store_ttl(db, S("kv:ttl"), &dbl, NULL, &err));
    NUL_ARG(grove_store_kind_of(NULL, S("kv:plain"), &kind, &err));
    NUL_ARG(grove_store_kind_of(db, NULL, 8, &kind, &err));
    NUL_ARG(grove_store_kind_of(db, S("kv:plain"), NULL, &err));
    NUL_ARG(grove_store_purge_expired(NULL, &u64, &err));
    NUL_ARG(grove_store_purge_expired(db, NULL, &err));
    CHECK(b.ptr == NULL && yes && dbl == 77 && kind == GROVE_KIND_NONE && u64 == 77);

    grove_pair items[2] = {{{(const uint8_t *)"kv:plain", 8}, {(const uint8_t *)"x", 1}},
                           {{NULL, 3}, {(const uint8_t *)"y", 1}}};
    grove_pair items_null_value[2] = {{{(const uint8_t *)"kv:plain", 8}, {(const uint8_t *)"x", 1}},
                                      {{(const uint8_t *)"kv:new", 6}, {NULL, 4}}};
    NUL_ARG(grove_store_set_many(NULL, items, 1, NULL, &err));
    NUL_ARG(grove_store_set_many(db, NULL, 2, NULL, &err));
    NUL_ARG(grove_store_set_many(db, items, 2, NULL, &err));
    NUL_ARG(grove_store_set_many(db, items_null_value, 2, &ttl, &err));
    grove_slice keys[2] = {{(const uint8_t *)"kv:plain", 8}, {NULL, 2}};
    grove_bytes vals[2] = {{(uint8_t *)&ttl, 99}, {(uint8_t *)&ttl, 99}};
    bool found[2] = {true, true};
    NUL_ARG(grove_store_get_many(NULL, keys, 1, vals, found, &err));
    NUL_ARG(grove_store_get_many(db, NULL, 1, vals, found, &err));
    NUL_ARG(grove_store_get_many(db, keys, 1, NULL, found, &err));
    NUL_ARG(grove_store_get_many(db, keys, 1, vals, NULL, &err));
    NUL_ARG(grove_store_get_many(db, keys, 2, vals, found, &err));
    /* nothing written on error: the sentinels are intact */
    CHECK(vals[0].ptr == (uint8_t *)&ttl && vals[0].len == 99 && found[0] && found[1]);

    /* iteration */
    grove_keys *it = NULL;
    NUL_ARG(grove_store_keys(NULL, S("kv:"), &it, &err));
    NUL_ARG(grove_store_keys(db, NULL, 3, &it, &err));
    NUL_ARG(grove_store_keys(db, S("kv:"), NULL, &err));
    CHECK(it == NULL);
    NUL_ARG(grove_keys_next(NULL, &b, &yes, &err));
    OK(grove_store_keys(db, S("kv:"), &it, &err));
    NUL_ARG(grove_keys_next(it, NULL, &yes, &err));
    NUL_ARG(grove_keys_next(it, &b, NULL, &err));
    grove_keys_free(it);

    /* counter */
    grove_counter *c = NULL;
    NUL_ARG(grove_counter_new(NULL, S("hits"), &c, &err));
    NUL_ARG(grove_counter_new(db, NULL, 4, &c, &err));
    NUL_ARG(grove_counter_new(db, S("hits"), NULL, &err));
    CHECK(c == NULL);
    NUL_ARG(grove_counter_increment(NULL, 1, &i64, &err));
    NUL_ARG(grove_counter_increment(fx->hits, 1, NULL, &err));
    NUL_ARG(grove_counter_decrement(NULL, 1, &i64, &err));
    NUL_ARG(grove_counter_decrement(fx->hits, 1, NULL, &err));
    NUL_ARG(grove_counter_try_decrement(NULL, 1, 0, &i64, &yes, &err));
    NUL_ARG(grove_counter_try_decrement(fx->hits, 1, 0, NULL, &yes, &err));
    NUL_ARG(grove_counter_try_decrement(fx->hits, 1, 0, &i64, NULL, &err));
    NUL_ARG(grove_counter_try_increment(NULL, 1, 100, &i64, &yes, &err));
    NUL_ARG(grove_counter_try_increment(fx->hits, 1, 100, NULL, &yes, &err));
    NUL_ARG(grove_counter_try_increment(fx->hits, 1, 100, &i64, NULL, &err));
    NUL_ARG(grove_counter_get(NULL, &i64, &err));
    NUL_ARG(grove_counter_get(fx->hits, NULL, &err));
    NUL_ARG(grove_counter_set(NULL, 1, &err));
    NUL_ARG(grove_counter_reset(NULL, &err));
    CHECK(i64 == 77);

    /* lock */
    grove_lock *l = NULL;
    grove_lock_info li;
    memset(&li, 0x5a, sizeof li);
    NUL_ARG(grove_lock_new(NULL, S("deploy"), 1, &l, &err));
    NUL_ARG(grove_lock_new(db, NULL, 6, 1, &l, &err));
    NUL_ARG(grove_lock_new(db, S("deploy"), 1, NULL, &err));
    CHECK(l == NULL);
    NUL_ARG(grove_lock_try_acquire(NULL, &yes, &err));
    NUL_ARG(grove_lock_try_acquire(fx->lock, NULL, &err));
    NUL_ARG(grove_lock_acquire(NULL, 0, 0.01, &yes, &err));
    NUL_ARG(grove_lock_acquire(fx->lock, 0, 0.01, NULL, &err));
    NUL_ARG(grove_lock_release(NULL, &yes, &err));
    NUL_ARG(grove_lock_release(fx->lock, NULL, &err));
    NUL_ARG(grove_lock_extend(NULL, 5, &yes, &err));
    NUL_ARG(grove_lock_extend(fx->lock, 5, NULL, &err));
    NUL_ARG(grove_lock_held(NULL, &yes, &err));
    NUL_ARG(grove_lock_held(fx->lock, NULL, &err));
    NUL_ARG(grove_lock_fencing_token(NULL, &u64, &err));
    NUL_ARG(grove_lock_fencing_token(fx->lock, NULL, &err));
    NUL_ARG(grove_store_lock_info(NULL, S("deploy"), &li, &err));
    NUL_ARG(grove_store_lock_info(db, NULL, 6, &li, &err));
    NUL_ARG(grove_store_lock_info(db, S("deploy"), NULL, &err));
    CHECK(yes && u64 == 77 && li.fencing_token == 0x5a5a5a5a5a5a5a5aULL);

    /* rate limiter */
    grove_ratelimiter *rl = NULL;
    grove_ratelimit_decision d;
    memset(&d, 0x5a, sizeof d);
    NUL_ARG(grove_ratelimiter_new(NULL, S("api"), 10, 1, &rl, &err));
    NUL_ARG(grove_ratelimiter_new(db, NULL, 3, 10, 1, &rl, &err));
    NUL_ARG(grove_ratelimiter_new(db, S("api"), 10, 1, NULL, &err));
    CHECK(rl == NULL);
    NUL_ARG(grove_ratelimiter_allow(NULL, S("user1"), 1, &d, &err));
    NUL_ARG(grove_ratelimiter_allow(fx->rl, NULL, 5, 1, &d, &err));
    NUL_ARG(grove_ratelimiter_allow(fx->rl, S("user1"), 1, NULL, &err));
    NUL_ARG(grove_ratelimiter_peek(NULL, S("user1"), &d, &err));
    NUL_ARG(grove_ratelimiter_peek(fx->rl, NULL, 5, &d, &err));
    NUL_ARG(grove_ratelimiter_peek(fx->rl, S("user1"), NULL, &err));
    NUL_ARG(grove_ratelimiter_reset(NULL, S("user1"), &yes, &err));
    NUL_ARG(grove_ratelimiter_reset(fx->rl, NULL, 5, &yes, &err));
    NUL_ARG(grove_ratelimiter_reset(fx->rl, S("user1"), NULL, &err));
    CHECK(d.remaining == 0x5a5a5a5a5a5a5a5aULL);

    /* sessions */
    grove_sessions *s = NULL;
    const uint8_t *sid = (const uint8_t *)fx->sid;
    size_t sl = fx->sid_len;
    NUL_ARG(grove_sessions_new(NULL, 60, S("sess"), &s, &err));
    NUL_ARG(grove_sessions_new(db, 60, NULL, 4, &s, &err));
    NUL_ARG(grove_sessions_new(db, 60, S("sess"), NULL, &err));
    CHECK(s == NULL);
    NUL_ARG(grove_sessions_create(NULL, S("d"), &b, &err));
    NUL_ARG(grove_sessions_create(fx->sess, NULL, 3, &b, &err));
    NUL_ARG(grove_sessions_create(fx->sess, S("d"), NULL, &err));
    NUL_ARG(grove_sessions_get(NULL, sid, sl, &b, &yes, &err));
    NUL_ARG(grove_sessions_get(fx->sess, NULL, sl, &b, &yes, &err));
    NUL_ARG(grove_sessions_get(fx->sess, sid, sl, NULL, &yes, &err));
    NUL_ARG(grove_sessions_get(fx->sess, sid, sl, &b, NULL, &err));
    NUL_ARG(grove_sessions_update(NULL, sid, sl, S("new"), &yes, &err));
    NUL_ARG(grove_sessions_update(fx->sess, NULL, sl, S("new"), &yes, &err));
    NUL_ARG(grove_sessions_update(fx->sess, sid, sl, NULL, 3, &yes, &err));
    NUL_ARG(grove_sessions_update(fx->sess, sid, sl, S("new"), NULL, &err));
    NUL_ARG(grove_sessions_touch(NULL, sid, sl, &yes, &err));
    NUL_ARG(grove_sessions_touch(fx->sess, NULL, sl, &yes, &err));
    NUL_ARG(grove_sessions_touch(fx->sess, sid, sl, NULL, &err));
    NUL_ARG(grove_sessions_delete(NULL, sid, sl, &yes, &err));
    NUL_ARG(grove_sessions_delete(fx->sess, NULL, sl, &yes, &err));
    NUL_ARG(grove_sessions_delete(fx->sess, sid, sl, NULL, &err));
    NUL_ARG(grove_sessions_exists(NULL, sid, sl, &yes, &err));
    NUL_ARG(grove_sessions_exists(fx->sess, NULL, sl, &yes, &err));
    NUL_ARG(grove_sessions_exists(fx->sess, sid, sl, NULL, &err));
    CHECK(b.ptr == NULL && yes);

    /* leaderboard */
    grove_leaderboard *lb = NULL;
    grove_ranked_list rlist = {NULL, 0};
    NUL_ARG(grove_leaderboard_new(NULL, S("scores"), &lb, &err));
    NUL_ARG(grove_leaderboard_new(db, NULL, 6, &lb, &err));
    NUL_ARG(grove_leaderboard_new(db, S("scores"), NULL, &err));
    CHECK(lb == NULL);
    NUL_ARG(grove_leaderboard_add(NULL, S("alice"), 1, &err));
    NUL_ARG(grove_leaderboard_add(fx->lb, NULL, 5, 1, &err));
    NUL_ARG(grove_leaderboard_incr(NULL, S("alice"), 1, &dbl, &err));
    NUL_ARG(grove_leaderboard_incr(fx->lb, NULL, 5, 1, &dbl, &err));
    NUL_ARG(grove_leaderboard_incr(fx->lb, S("alice"), 1, NULL, &err));
    NUL_ARG(grove_leaderboard_score(NULL, S("alice"), &dbl, &yes, &err));
    NUL_ARG(grove_leaderboard_score(fx->lb, NULL, 5, &dbl, &yes, &err));
    NUL_ARG(grove_leaderboard_score(fx->lb, S("alice"), NULL, &yes, &err));
    NUL_ARG(grove_leaderboard_score(fx->lb, S("alice"), &dbl, NULL, &err));
    NUL_ARG(grove_leaderboard_rank(NULL, S("alice"), &u64, &yes, &err));
    NUL_ARG(grove_leaderboard_rank(fx->lb, NULL, 5, &u64, &yes, &err));
    NUL_ARG(grove_leaderboard_rank(fx->lb, S("alice"), NULL, &yes, &err));
    NUL_ARG(grove_leaderboard_rank(fx->lb, S("alice"), &u64, NULL, &err));
    NUL_ARG(grove_leaderboard_remove(NULL, S("alice"), &yes, &err));
    NUL_ARG(grove_leaderboard_remove(fx->lb, NULL, 5, &yes, &err));
    NUL_ARG(grove_leaderboard_remove(fx->lb, S("alice"), NULL, &err));
    NUL_ARG(grove_leaderboard_top(NULL, 3, &rlist, &err));
    NUL_ARG(grove_leaderboard_top(fx->lb, 3, NULL, &err));
    NUL_ARG(grove_leaderboard_range(NULL, 0, 3, &rlist, &err));
    NUL_ARG(grove_leaderboard_range(fx->lb, 0, 3, NULL, &err));
    NUL_ARG(grove_leaderboard_around(NULL, S("bob"), 1, &rlist, &err));
    NUL_ARG(grove_leaderboard_around(fx->lb, NULL, 3, 1, &rlist, &err));
    NUL_ARG(grove_leaderboard_around(fx->lb, S("bob"), 1, NULL, &err));
    NUL_ARG(grove_leaderboard_len(NULL, &u64, &err));
    NUL_ARG(grove_leaderboard_len(fx->lb, NULL, &err));
    NUL_ARG(grove_leaderboard_clear(NULL, &u64, &err));
    NUL_ARG(grove_leaderboard_clear(fx->lb, NULL, &err));
    CHECK(rlist.ptr == NULL && dbl == 77 && u64 == 77);

    /* queue */
    grove_queue *q = NULL;
    grove_job job = {55, {NULL, 0}, 5, 5};
    grove_job_list jl = {NULL, 0};
    grove_queue_counts qc = {7, 7, 7};
    NUL_ARG(grove_queue_new(NULL, S("jobs"), 30, 5, &q, &err));
    NUL_ARG(grove_queue_new(db, NULL, 4, 30, 5, &q, &err));
    NUL_ARG(grove_queue_new(db, S("jobs"), 30, 5, NULL, &err));
    CHECK(q == NULL);
    NUL_ARG(grove_queue_enqueue(NULL, S("p"), 0, &u64, &err));
    NUL_ARG(grove_queue_enqueue(fx->q, NULL, 1, 0, &u64, &err));
    NUL_ARG(grove_queue_enqueue(fx->q, S("p"), 0, NULL, &err));
    NUL_ARG(grove_queue_dequeue(NULL, &job, &yes, &err));
    NUL_ARG(grove_queue_dequeue(fx->q, NULL, &yes, &err));
    NUL_ARG(grove_queue_dequeue(fx->q, &job, NULL, &err));
    NUL_ARG(grove_queue_dequeue_wait(NULL, 0.01, &job, &yes, &err));
    NUL_ARG(grove_queue_dequeue_wait(fx->q, 0.01, NULL, &yes, &err));
    NUL_ARG(grove_queue_dequeue_wait(fx->q, 0.01, &job, NULL, &err));
    NUL_ARG(grove_queue_ack(NULL, fx->inflight_id, &yes, &err));
    NUL_ARG(grove_queue_ack(fx->q, fx->inflight_id, NULL, &err));
    NUL_ARG(grove_queue_nack(NULL, fx->inflight_id, 0, &yes, &err));
    NUL_ARG(grove_queue_nack(fx->q, fx->inflight_id, 0, NULL, &err));
    NUL_ARG(grove_queue_stats(NULL, &qc, &err));
    NUL_ARG(grove_queue_stats(fx->q, NULL, &err));
    NUL_ARG(grove_queue_dead_letters(NULL, &jl, &err));
    NUL_ARG(grove_queue_dead_letters(fx->q, NULL, &err));
    CHECK(job.id == 55 && qc.ready == 7 && jl.ptr == NULL && u64 == 77);

    /* CRDT counter */
    grove_crdt_counter *cc = NULL;
    grove_crdt_contribution_list cl = {NULL, 0};
    uint64_t p = 77, n = 77;
    bool changed = true;
    const uint8_t state[] = {1, 2, 3};
    NUL_ARG(grove_crdt_counter_new(NULL, S("crdt:c"), &cc, &err));
    NUL_ARG(grove_crdt_counter_new(db, NULL, 6, &cc, &err));
    NUL_ARG(grove_crdt_counter_new(db, S("crdt:c"), NULL, &err));
    CHECK(cc == NULL);
    NUL_ARG(grove_crdt_counter_increment(NULL, 1, &i64, &err));
    NUL_ARG(grove_crdt_counter_increment(fx->cc, 1, NULL, &err));
    NUL_ARG(grove_crdt_counter_decrement(NULL, 1, &i64, &err));
    NUL_ARG(grove_crdt_counter_decrement(fx->cc, 1, NULL, &err));
    NUL_ARG(grove_crdt_counter_add(NULL, 1, &i64, &err));
    NUL_ARG(grove_crdt_counter_add(fx->cc, 1, NULL, &err));
    NUL_ARG(grove_crdt_counter_value(NULL, &i64, &err));
    NUL_ARG(grove_crdt_counter_value(fx->cc, NULL, &err));
    NUL_ARG(grove_crdt_counter_totals(NULL, &p, &n, &err));
    NUL_ARG(grove_crdt_counter_totals(fx->cc, NULL, &n, &err));
    NUL_ARG(grove_crdt_counter_totals(fx->cc, &p, NULL, &err));
    NUL_ARG(grove_crdt_counter_contributions(NULL, &cl, &err));
    NUL_ARG(grove_crdt_counter_contributions(fx->cc, NULL, &err));
    NUL_ARG(grove_crdt_counter_reset_local(NULL, &i64, &err));
    NUL_ARG(grove_crdt_counter_reset_local(fx->cc, NULL, &err));
    NUL_ARG(grove_crdt_counter_state(NULL, &b, &err));
    NUL_ARG(grove_crdt_counter_state(fx->cc, NULL, &err));
    NUL_ARG(grove_crdt_counter_merge(NULL, state, sizeof state, &changed, &err));
    NUL_ARG(grove_crdt_counter_merge(fx->cc, NULL, 3, &changed, &err));
    NUL_ARG(grove_crdt_counter_merge(fx->cc, state, sizeof state, NULL, &err));
    CHECK(i64 == 77 && p == 77 && n == 77 && cl.ptr == NULL && b.ptr == NULL && changed);

    /* CRDT register */
    grove_crdt_register *cr = NULL;
    NUL_ARG(grove_crdt_register_new(NULL, S("crdt:r"), &cr, &err));
    NUL_ARG(grove_crdt_register_new(db, NULL, 6, &cr, &err));
    NUL_ARG(grove_crdt_register_new(db, S("crdt:r"), NULL, &err));
    CHECK(cr == NULL);
    NUL_ARG(grove_crdt_register_set(NULL, S("1"), &err));
    NUL_ARG(grove_crdt_register_set(fx->cr, NULL, 1, &err));
    NUL_ARG(grove_crdt_register_get(NULL, &b, &yes, &err));
    NUL_ARG(grove_crdt_register_get(fx->cr, NULL, &yes, &err));
    NUL_ARG(grove_crdt_register_get(fx->cr, &b, NULL, &err));
    NUL_ARG(grove_crdt_register_state(NULL, &b, &err));
    NUL_ARG(grove_crdt_register_state(fx->cr, NULL, &err));
    NUL_ARG(grove_crdt_register_merge(NULL, state, sizeof state, &changed, &err));
    NUL_ARG(grove_crdt_register_merge(fx->cr, NULL, 3, &changed, &err));
    NUL_ARG(grove_crdt_register_merge(fx->cr, state, sizeof state, NULL, &err));

    /* CRDT set */
    grove_crdt_set *cs = NULL;
    grove_bytes_list bl = {NULL, 0};
    NUL_ARG(grove_crdt_set_new(NULL, S("crdt:s"), &cs, &err));
    NUL_ARG(grove_crdt_set_new(db, NULL, 6, &cs, &err));
    NUL_ARG(grove_crdt_set_new(db, S("crdt:s"), NULL, &err));
    CHECK(cs == NULL);
    NUL_ARG(grove_crdt_set_add(NULL, S("1"), &err));
    NUL_ARG(grove_crdt_set_add(fx->cs, NULL, 1, &err));
    NUL_ARG(grove_crdt_set_remove(NULL, S("1"), &yes, &err));
    NUL_ARG(grove_crdt_set_remove(fx->cs, NULL, 1, &yes, &err));
    NUL_ARG(grove_crdt_set_remove(fx->cs, S("1"), NULL, &err));
    NUL_ARG(grove_crdt_set_contains(NULL, S("1"), &yes, &err));
    NUL_ARG(grove_crdt_set_contains(fx->cs, NULL, 1, &yes, &err));
    NUL_ARG(grove_crdt_set_contains(fx->cs, S("1"), NULL, &err));
    NUL_ARG(grove_crdt_set_members(NULL, &bl, &err));
    NUL_ARG(grove_crdt_set_members(fx->cs, NULL, &err));
    NUL_ARG(grove_crdt_set_len(NULL, &u64, &err));
    NUL_ARG(grove_crdt_set_len(fx->cs, NULL, &err));
    NUL_ARG(grove_crdt_set_state(NULL, &b, &err));
    NUL_ARG(grove_crdt_set_state(fx->cs, NULL, &err));
    NUL_ARG(grove_crdt_set_merge(NULL, state, sizeof state, &changed, &err));
    NUL_ARG(grove_crdt_set_merge(fx->cs, NULL, 3, &changed, &err));
    NUL_ARG(grove_crdt_set_merge(fx->cs, state, sizeof state, NULL, &err));

    /* CRDT map */
    grove_crdt_map *cm = NULL;
    grove_crdt_field_list fl = {NULL, 0};
    NUL_ARG(grove_crdt_map_new(NULL, S("crdt:m"), &cm, &err));
    NUL_ARG(grove_crdt_map_new(db, NULL, 6, &cm, &err));
    NUL_ARG(grove_crdt_map_new(db, S("crdt:m"), NULL, &err));
    CHECK(cm == NULL);
    NUL_ARG(grove_crdt_map_set(NULL, S("f1"), S("1"), &err));
    NUL_ARG(grove_crdt_map_set(fx->cm, NULL, 2, S("1"), &err));
    NUL_ARG(grove_crdt_map_set(fx->cm, S("f1"), NULL, 1, &err));
    NUL_ARG(grove_crdt_map_get(NULL, S("f1"), &b, &yes, &err));
    NUL_ARG(grove_crdt_map_get(fx->cm, NULL, 2, &b, &yes, &err));
    NUL_ARG(grove_crdt_map_get(fx->cm, S("f1"), NULL, &yes, &err));
    NUL_ARG(grove_crdt_map_get(fx->cm, S("f1"), &b, NULL, &err));
    NUL_ARG(grove_crdt_map_delete(NULL, S("f1"), &yes, &err));
    NUL_ARG(grove_crdt_map_delete(fx->cm, NULL, 2, &yes, &err));
    NUL_ARG(grove_crdt_map_delete(fx->cm, S("f1"), NULL, &err));
    NUL_ARG(grove_crdt_map_keys(NULL, &bl, &err));
    NUL_ARG(grove_crdt_map_keys(fx->cm, NULL, &err));
    NUL_ARG(grove_crdt_map_all(NULL, &fl, &err));
    NUL_ARG(grove_crdt_map_all(fx->cm, NULL, &err));
    NUL_ARG(grove_crdt_map_state(NULL, &b, &err));
    NUL_ARG(grove_crdt_map_state(fx->cm, NULL, &err));
    NUL_ARG(grove_crdt_map_merge(NULL, state, sizeof state, &changed, &err));
    NUL_ARG(grove_crdt_map_merge(fx->cm, NULL, 3, &changed, &err));
    NUL_ARG(grove_crdt_map_merge(fx->cm, state, sizeof state, NULL, &err));
    CHECK(b.ptr == NULL && bl.ptr == NULL && fl.ptr == NULL && yes && changed);

    /* sync */
    grove_sync_report rep = {9, 9, 9};
    NUL_ARG(grove_sync(NULL, db, &rep, &err));
    NUL_ARG(grove_sync(db, NULL, &rep, &err));
    NUL_ARG(grove_sync(db, db, NULL, &err));
    NUL_ARG(grove_store_export_changes(NULL, 0, &b, &u64, &err));
    NUL_ARG(grove_store_export_changes(db, 0, NULL, &u64, &err));
    NUL_ARG(grove_store_export_changes(db, 0, &b, NULL, &err));
    NUL_ARG(grove_store_apply_changes(NULL, state, sizeof state, &rep, &err));
    NUL_ARG(grove_store_apply_changes(db, NULL, 3, &rep, &err));
    NUL_ARG(grove_store_apply_changes(db, state, sizeof state, NULL, &err));
    CHECK(rep.pulled == 9 && b.ptr == NULL && u64 == 77);

    /* Functions with no status: NULL is harmless. */
    CHECK(grove_error_status(NULL) == GROVE_OK);
    CHECK(strcmp(grove_error_message(NULL), "") == 0);
    CHECK(grove_version() != NULL && grove_abi_version() != 0);
}

/* A failing call with `err` NULL reports its status only; a successful one too. */
static void case_error_out_null(fixture *fx) {
    bool yes = false;
    int64_t v = 0;
    double inf = INFINITY;
    CHECK(grove_store_get(fx->db, NULL, 3, NULL, NULL, NULL) == GROVE_INVALID_ARGUMENT);
    CHECK(grove_store_set(fx->db, S("kv:plain"), S("x"), &inf, NULL) == GROVE_INVALID_ARGUMENT);
    CHECK(grove_counter_increment(fx->hits, INT64_MAX, &v, NULL) == GROVE_OVERFLOW);
    CHECK(grove_counter_get(fx->kvcounter, &v, NULL) == GROVE_WRONG_TYPE);
    CHECK(grove_crdt_counter_merge(fx->cc, B("junk"), &yes, NULL) == GROVE_CORRUPT);
    CHECK(grove_store_exists(fx->db, S("kv:plain"), &yes, NULL) == GROVE_OK && yes);
    CHECK(grove_counter_get(fx->hits, &v, NULL) == GROVE_OK && v == 42);
}

/* Zero lengths: empty keys, names, members, fields, ids, prefixes, JSON, state and bundles. */
static void case_empty_inputs(fixture *fx) {
    grove_store *db = fx->db;
    grove_bytes b = {NULL, 0};
    bool yes = true;
    double dbl = 77;
    uint64_t u64 = 77;
    grove_kind kind = GROVE_KIND_NONE;
    static const uint8_t nothing[1] = {0};

    /* Empty keys, as NULL with 0 and as a real pointer with 0. A real empty key given to set,
     * expire, compare_and_set, the primitives' constructors and leaderboard_add is a row of
     * tests/bad_input/rules.tsv (test_rules_table.c): those run here only as NULL with 0. */
    for (int pass = 0; pass < 2; pass++) {
        const uint8_t *e = pass == 0 ? NULL : nothing;
        const bool c_only = pass == 0;
        INVALID(grove_store_get(db, e, 0, &b, &yes, &err));
        INVALID(grove_store_set_if_absent(db, e, 0, S("v"), NULL, &yes, &err));
        INVALID(grove_store_set_if_present(db, e, 0, S("v"), NULL, &yes, &err));
        if (c_only) INVALID(grove_store_compare_and_set(db, e, 0, NULL, S("v"), NULL, &yes, &err));
        INVALID(grove_store_get_set(db, e, 0, S("v"), NULL, &b, &yes, &err));
        INVALID(grove_store_get_delete(db, e, 0, &b, &yes, &err));
        if (c_only) INVALID(grove_store_set(db, e, 0, S("v"), NULL, &err));
        INVALID(grove_store_delete(db, e, 0, &yes, &err));
        INVALID(grove_store_exists(db, e, 0, &yes, &err));
        if (c_only) INVALID(grove_store_expire(db, e, 0, 5, &yes, &err));
        INVALID(grove_store_persist(db, e, 0, &yes, &err));
        INVALID(grove_store_ttl(db, e, 0, &dbl, &yes, &err));
        INVALID(grove_store_kind_of(db, e, 0, &kind, &err));
        grove_pair items[2] = {{{(const uint8_t *)"kv:plain", 8}, {(const uint8_t *)"x", 1}},
                               {{e, 0}, {(const uint8_t *)"y", 1}}};
        INVALID(grove_store_set_many(db, items, 2, NULL, &err));
        grove_slice keys[2] = {{(const uint8_t *)"kv:plain", 8}, {e, 0}};
        grove_bytes vals[2];
        bool found[2];
        INVALID(grove_store_get_many(db, keys, 2, vals, found, &err));

        /* Empty names of every primitive. */
        grove_counter *c = NULL;
        grove_lock *l = NULL;
        grove_ratelimiter *rl = NULL;
        grove_sessions *s = NULL;
        grove_leaderboard *lb = NULL;
        grove_queue *q = NULL;
        grove_store *ns = NULL;
        grove_crdt_counter *cc = NULL;
        grove_crdt_register *cr = NULL;
        grove_crdt_set *cs = NULL;
        grove_crdt_map *cm = NULL;
        grove_lock_info li;
        if (c_only) INVALID(grove_counter_new(db, e, 0, &c, &err));
        if (c_only) INVALID(grove_lock_new(db, e, 0, 10, &l, &err));
        INVALID(grove_store_lock_info(db, e, 0, &li, &err));
        if (c_only) INVALID(grove_ratelimiter_new(db, e, 0, 10, 10, &rl, &err));
        INVALID(grove_sessions_new(db, 60, e, 0, &s, &err));
        if (c_only) INVALID(grove_leaderboard_new(db, e, 0, &lb, &err));
        if (c_only) INVALID(grove_queue_new(db, e, 0, 30, 5, &q, &err));
        INVALID(grove_store_namespace(db, e, 0, &ns, &err));
        if (c_only) INVALID(grove_crdt_counter_new(db, e, 0, &cc, &err));
        if (c_only) INVALID(grove_crdt_register_new(db, e, 0, &cr, &err));
        if (c_only) INVALID(grove_crdt_set_new(db, e, 0, &cs, &err));
        if (c_only) INVALID(grove_crdt_map_new(db, e, 0, &cm, &err));
        CHECK(!c && !l && !rl && !s && !lb && !q && !ns && !cc && !cr && !cs && !cm);

        /* Empty members, rate-limit keys and map fields. */
        grove_ranked_list rlist = {NULL, 0};
        grove_ratelimit_decision d;
        if (c_only) INVALID(grove_leaderboard_add(fx->lb, e, 0, 1, &err));
        INVALID(grove_leaderboard_incr(fx->lb, e, 0, 1, &dbl, &err));
        INVALID(grove_leaderboard_score(fx->lb, e, 0, &dbl, &yes, &err));
        INVALID(grove_leaderboard_rank(fx->lb, e, 0, &u64, &yes, &err));
        INVALID(grove_leaderboard_remove(fx->lb, e, 0, &yes, &err));
        INVALID(grove_leaderboard_around(fx->lb, e, 0, 1, &rlist, &err));
        INVALID(grove_ratelimiter_allow(fx->rl, e, 0, 1, &d, &err));
        INVALID(grove_ratelimiter_peek(fx->rl, e, 0, &d, &err));
        INVALID(grove_ratelimiter_reset(fx->rl, e, 0, &yes, &err));
        INVALID(grove_crdt_map_set(fx->cm, e, 0, S("1"), &err));
        INVALID(grove_crdt_map_delete(fx->cm, e, 0, &yes, &err));
        if (e == NULL) {
            NUL_ARG(grove_crdt_map_get(fx->cm, e, 0, &b, &yes, &err));
        } else {
            INVALID(grove_crdt_map_get(fx->cm, e, 0, &b, &yes, &err));
        }

        /* Empty JSON text is not JSON. */
        INVALID(grove_crdt_register_set(fx->cr, e, 0, &err));
        INVALID(grove_crdt_set_add(fx->cs, e, 0, &err));
        INVALID(grove_crdt_set_remove(fx->cs, e, 0, &yes, &err));
        INVALID(grove_crdt_set_contains(fx->cs, e, 0, &yes, &err));
        INVALID(grove_crdt_map_set(fx->cm, S("f1"), e, 0, &err));

        /* Empty state bytes and bundles are not a Grove state. */
        bool changed = false;
        grove_sync_report rep;
        CORRUPT(grove_crdt_counter_merge(fx->cc, e, 0, &changed, &err));
        CORRUPT(grove_crdt_register_merge(fx->cr, e, 0, &changed, &err));
        CORRUPT(grove_crdt_set_merge(fx->cs, e, 0, &changed, &err));
        CORRUPT(grove_crdt_map_merge(fx->cm, e, 0, &changed, &err));
        CORRUPT(grove_store_apply_changes(db, e, 0, &rep, &err));

        /* An empty session id is one Grove never issues: not found, not an error. */
        b.ptr = NULL;
        OK(grove_sessions_get(fx->sess, e == NULL ? nothing : e, 0, &b, &yes, &err));
        CHECK(!yes && b.ptr == NULL);
        OK(grove_sessions_exists(fx->sess, nothing, 0, &yes, &err));
        CHECK(!yes);
        OK(grove_sessions_touch(fx->sess, nothing, 0, &yes, &err));
        CHECK(!yes);
        OK(grove_sessions_update(fx->sess, nothing, 0, S("x"), &yes, &err));
        CHECK(!yes);
        OK(grove_sessions_delete(fx->sess, nothing, 0, &yes, &err));
        CHECK(!yes);
        /* An empty node id and path. */
        grove_options *opts = NULL;
        grove_store *other = NULL;
        OK(grove_options_new(&opts, &err));
        INVALID(grove_options_set_node_id(opts, e, 0, &err));
        grove_options_free(opts);
        INVALID(grove_store_open(e, 0, NULL, &other, &err));
        CHECK(other == NULL);
    }

    /* Zero-sized reads that are valid: empty batches, limits of 0. */
    OK(grove_store_set_many(db, NULL, 0, NULL, &err));
    OK(grove_store_get_many(db, NULL, 0, NULL, NULL, &err));
    grove_ranked_list rlist = {NULL, 0};
    OK(grove_leaderboard_top(fx->lb, 0, &rlist, &err));
    CHECK(rlist.ptr == NULL && rlist.len == 0);
    OK(grove_leaderboard_range(fx->lb, 3, 3, &rlist, &err));
    CHECK(rlist.len == 0);
    OK(grove_leaderboard_range(fx->lb, 4, 1, &rlist, &err));
    CHECK(rlist.len == 0);
    grove_ratelimit_decision d;
    OK(grove_ratelimiter_allow(fx->rl, S("user1"), 0, &d, &err)); /* cost 0 only reports */
    CHECK(d.allowed && d.remaining == 7);
    grove_ratelimiter *rl = NULL;
    INVALID(grove_ratelimiter_new(db, S("zero"), 0, 10, &rl, &err)); /* limit 0 */
    grove_queue *q = NULL;
    INVALID(grove_queue_new(db, S("zero"), 30, 0, &q, &err)); /* max_attempts 0 */
    CHECK(rl == NULL && q == NULL);
    /* A flush interval of 0 is a row of tests/bad_input/rules.tsv (test_rules_table.c). */
}

/* Keys over MAX_KEY_LEN (1024 bytes), names that make one, values over 16 MiB. */
static void case_oversized(fixture *fx) {
    grove_store *db = fx->db;
    enum { BIG = 1025, VBIG = 16 * 1024 * 1024 + 1 };
    uint8_t *key = malloc(BIG);
    uint8_t *val = malloc(VBIG);
    if (key == NULL || val == NULL) {
        free(key);
        free(val);
        CHECK(!"out of memory");
        return;
    }
    memset(key, 'k', BIG);
    memset(val, 'v', VBIG);
    grove_bytes b = {NULL, 0};
    bool yes = false;
    double dbl = 0, ttl = 60;
    grove_kind kind;
    uint64_t u64 = 0;

    INVALID(grove_store_get(db, key, BIG, &b, &yes, &err));
    /* set with a key of BIG bytes and no TTL is a row of tests/bad_input/rules.tsv. */
    INVALID(grove_store_set(db, key, BIG, S("v"), &ttl, &err));
    INVALID(grove_store_delete(db, key, BIG, &yes, &err));
    INVALID(grove_store_exists(db, key, BIG, &yes, &err));
    INVALID(grove_store_expire(db, key, BIG, 5, &yes, &err));
    INVALID(grove_store_persist(db, key, BIG, &yes, &err));
    INVALID(grove_store_ttl(db, key, BIG, &dbl, &yes, &err));
    INVALID(grove_store_kind_of(db, key, BIG, &kind, &err));
    /* The value limit, alone and in a batch (which must stay all-or-nothing). */
    INVALID(grove_store_set(db, S("kv:plain"), val, VBIG, NULL, &err));
    INVALID(grove_store_set(db, S("kv:huge"), val, VBIG, &ttl, &err));
    grove_pair items[2] = {{{(const uint8_t *)"kv:plain", 8}, {(const uint8_t *)"changed", 7}},
                           {{(const uint8_t *)"kv:huge", 7}, {val, VBIG}}};
    INVALID(grove_store_set_many(db, items, 2, NULL, &err));
    grove_pair kitems[2] = {{{(const uint8_t *)"kv:plain", 8}, {(const uint8_t *)"changed", 7}},
                            {{key, BIG}, {(const uint8_t *)"v", 1}}};
    INVALID(grove_store_set_many(db, kitems, 2, NULL, &err));
    grove_slice keys[2] = {{(const uint8_t *)"kv:plain", 8}, {key, BIG}};
    grove_bytes vals[2];
    bool found[2];
    INVALID(grove_store_get_many(db, keys, 2, vals, found, &err));

    /* Names whose key would exceed the limit: "counter:" + 1024 bytes, and so on. */
    grove_counter *c = NULL;
    grove_lock *l = NULL;
    grove_ratelimiter *rl = NULL;
    grove_sessions *s = NULL;
    grove_leaderboard *lb = NULL;
    grove_queue *q = NULL;
    grove_crdt_counter *cc = NULL;
    grove_crdt_set *cs = NULL;
    grove_crdt_map *cm = NULL;
    grove_store *ns = NULL;
    grove_lock_info li;
    int64_t v = 0;
    /* A counter handle may be made (the docs list only NULL/empty/UTF-8 errors); its key is
     * then refused by every operation. */
    grove_error *cerr = NULL;
    grove_status st = grove_counter_new(db, key, BIG - 8, &c, &cerr); /* "counter:" + 1017 */
    if (st == GROVE_OK) {
        INVALID(grove_counter_increment(c, 1, &v, &err));
        INVALID(grove_counter_get(c, &v, &err));
        INVALID(grove_counter_set(c, 1, &err));
        grove_counter_free(c);
    } else {
        check_status(__FILE__, __LINE__, "grove_counter_new(long name)", st, cerr,
                     GROVE_INVALID_ARGUMENT, NULL);
        cerr = NULL;
    }
    grove_error_free(cerr);
    INVALID(grove_lock_new(db, key, BIG, 10, &l, &err));
    INVALID(grove_store_lock_info(db, key, BIG, &li, &err));
    INVALID(grove_sessions_new(db, 60, key, BIG - 10, &s, &err)); /* prefix + ':' + 43-char id */
    INVALID(grove_leaderboard_new(db, key, BIG, &lb, &err));
    INVALID(grove_queue_new(db, key, BIG, 30, 5, &q, &err));
    INVALID(grove_crdt_counter_new(db, key, BIG, &cc, &err));
    /* crdt_register_new with a key of BIG bytes is a row of tests/bad_input/rules.tsv. */
    INVALID(grove_crdt_set_new(db, key, BIG, &cs, &err));
    INVALID(grove_crdt_map_new(db, key, BIG, &cm, &err));
    /* Refused up front, even when "ratelimit:" + name + ':' fills the key with no room for
     * a one-byte key. */
    INVALID(grove_ratelimiter_new(db, key, BIG, 10, 10, &rl, &err));
    INVALID(grove_ratelimiter_new(db, key, BIG - 1 - strlen("ratelimit:") - 1, 10, 10, &rl, &err));
    CHECK(rl == NULL);
    /* A namespace whose prefix alone fills a key. */
    st = grove_store_namespace(db, key, BIG, &ns, &cerr);
    if (st == GROVE_OK) {
        INVALID(grove_store_set(ns, S("x"), S("v"), NULL, &err));
        grove_store_free(ns);
    } else {
        check_status(__FILE__, __LINE__, "grove_store_namespace(long name)", st, cerr,
                     GROVE_INVALID_ARGUMENT, NULL);
        cerr = NULL;
    }
    grove_error_free(cerr);

    /* Long members, rate-limit keys and map fields (their keys exceed the limit). */
    grove_ratelimit_decision d;
    grove_ranked_list rlist = {NULL, 0};
    memset(key, 'm', BIG);
    /* leaderboard_add with a member of BIG bytes is a row of tests/bad_input/rules.tsv. */
    INVALID(grove_leaderboard_incr(fx->lb, key, BIG, 1, &dbl, &err));
    INVALID(grove_ratelimiter_allow(fx->rl, key, BIG, 1, &d, &err));
    (void)rlist;
    (void)u64;

    /* Values over the limit everywhere data goes in. */
    INVALID(grove_sessions_create(fx->sess, val, VBIG, &b, &err));
    INVALID(grove_sessions_update(fx->sess, (const uint8_t *)fx->sid, fx->sid_len, val, VBIG, &yes,
                                  &err));
    INVALID(grove_queue_enqueue(fx->q, val, VBIG, 0, &u64, &err));
    /* JSON over the value limit: a 16 MiB + 3 string. */
    uint8_t *json = malloc(VBIG + 2);
    if (json != NULL) {
        json[0] = '"';
        memset(json + 1, 'j', VBIG);
        json[VBIG + 1] = '"';
        INVALID(grove_crdt_register_set(fx->cr, json, VBIG + 2, &err));
        INVALID(grove_crdt_map_set(fx->cm, S("f1"), json, VBIG + 2, &err));
        INVALID(grove_crdt_set_add(fx->cs, json, VBIG + 2, &err));
        free(json);
    }
    /* A node id over 64 bytes; a path with an interior NUL. */
    grove_options *opts = NULL;
    OK(grove_options_new(&opts, &err));
    INVALID(grove_options_set_node_id(opts, key, 65, &err));
    grove_options_free(opts);
    free(key);
    free(val);
}

/* Negative, NaN, infinite and absurd doubles wherever seconds or scores go in. */
static void case_bad_doubles(fixture *fx) {
    grove_store *db = fx->db;
    const double bad[] = {-1.0, -1e-9, NAN, -NAN, INFINITY, -INFINITY, 1e300, DBL_MAX, -DBL_MAX};
    const size_t nbad = sizeof bad / sizeof bad[0];
    bool yes = false;
    uint64_t u64 = 0;
    double dbl = 0;
    grove_bytes b = {NULL, 0};
    grove_job job;
    for (size_t i = 0; i < nbad; i++) {
        double x = bad[i];
        /* -1, NaN and +inf for sessions_new and queue_enqueue, and as a new member's score, are
         * rows of tests/bad_input/rules.tsv (-inf too for leaderboard_add). */
        const bool in_table = x == -1.0 || (isnan(x) && !signbit(x)) || x == INFINITY;
        grove_lock *l = NULL;
        grove_ratelimiter *rl = NULL;
        grove_sessions *s = NULL;
        grove_queue *q = NULL;
        INVALID(grove_store_set(db, S("kv:plain"), S("changed"), &x, &err));
        INVALID(grove_store_set(db, S("kv:new"), S("new"), &x, &err));
        INVALID(grove_store_set_if_absent(db, S("kv:new"), S("new"), &x, &yes, &err));
        INVALID(grove_store_set_if_present(db, S("kv:plain"), S("c"), &x, &yes, &err));
        INVALID(grove_store_compare_and_set(db, S("kv:new"), NULL, S("c"), &x, &yes, &err));
        INVALID(grove_store_get_set(db, S("kv:plain"), S("c"), &x, &b, &yes, &err));
        grove_pair items[1] = {{{(const uint8_t *)"kv:plain", 8}, {(const uint8_t *)"c", 1}}};
        INVALID(grove_store_set_many(db, items, 1, &x, &err));
        INVALID(grove_store_expire(db, S("kv:plain"), x, &yes, &err));
        INVALID(grove_store_expire(db, S("counter:hits"), x, &yes, &err));
        INVALID(grove_lock_new(db, S("deploy"), x, &l, &err));
        INVALID(grove_lock_extend(fx->lock, x, &yes, &err));
        INVALID(grove_lock_acquire(fx->lock, x, 0.01, &yes, &err));
        INVALID(grove_lock_acquire(fx->other_lock, 0, x, &yes, &err));
        INVALID(grove_ratelimiter_new(db, S("api"), 10, x, &rl, &err));
        if (!in_table) INVALID(grove_sessions_new(db, x, S("sess"), &s, &err));
        INVALID(grove_queue_new(db, S("jobs"), x, 5, &q, &err));
        if (!in_table) INVALID(grove_queue_enqueue(fx->q, S("p"), x, &u64, &err));
        INVALID(grove_queue_nack(fx->q, fx->inflight_id, x, &yes, &err));
        INVALID(grove_queue_dequeue_wait(fx->q, x, &job, &yes, &err));
        INVALID(grove_store_set_max_drift(db, x, &err));
        CHECK(l == NULL && rl == NULL && s == NULL && q == NULL);
        if (isnan(x) || isinf(x)) {
            INVALID(grove_leaderboard_add(fx->lb, S("alice"), x, &err));
            if (!in_table && x != -INFINITY)
                INVALID(grove_leaderboard_add(fx->lb, S("newcomer"), x, &err));
            INVALID(grove_leaderboard_incr(fx->lb, S("alice"), x, &dbl, &err));
            if (!in_table) INVALID(grove_leaderboard_incr(fx->lb, S("newcomer"), x, &dbl, &err));
        }
    }
    /* Zero where a positive duration is needed. */
    double zero = 0.0, negzero = -0.0, tiny = 1e-300;
    grove_lock *l = NULL;
    grove_sessions *s = NULL;
    grove_queue *q = NULL;
    grove_ratelimiter *rl = NULL;
    INVALID(grove_store_set(db, S("kv:plain"), S("c"), &zero, &err));
    INVALID(grove_store_set(db, S("kv:plain"), S("c"), &negzero, &err));
    INVALID(grove_store_set(db, S("kv:plain"), S("c"), &tiny, &err));
    const double *zeros[3] = {&zero, &negzero, &tiny};
    grove_slice hello = {(const uint8_t *)"hello", 5};
    for (int z = 0; z < 3; z++) {
        INVALID(grove_store_set_if_absent(db, S("kv:new"), S("c"), zeros[z], &yes, &err));
        INVALID(grove_store_set_if_present(db, S("kv:plain"), S("c"), zeros[z], &yes, &err));
        INVALID(grove_store_compare_and_set(db, S("kv:plain"), &hello, S("c"), zeros[z], &yes, &err));
        INVALID(grove_store_compare_and_set(db, S("kv:new"), NULL, S("c"), zeros[z], &yes, &err));
        INVALID(grove_store_get_set(db, S("kv:plain"), S("c"), zeros[z], &b, &yes, &err));
    }
    INVALID(grove_lock_new(db, S("deploy"), 0, &l, &err));
    INVALID(grove_lock_extend(fx->lock, 0, &yes, &err));
    /* sessions_new with a ttl of 0 is a row of tests/bad_input/rules.tsv. */
    INVALID(grove_queue_new(db, S("jobs"), 0, 5, &q, &err));
    INVALID(grove_ratelimiter_new(db, S("api"), 10, 0.0005, &rl, &err)); /* window under 1 ms */
    CHECK(l == NULL && s == NULL && q == NULL && rl == NULL);
    /* A finite score that would leave the finite range: OVERFLOW, nothing changed. */
    OVERFLOW(grove_leaderboard_incr(fx->lb, S("big"), DBL_MAX, &dbl, &err));
    OVERFLOW(grove_leaderboard_incr(fx->lb, S("small"), -DBL_MAX, &dbl, &err));
    CHECK(dbl == 0);
    /* Valid doubles that are merely unusual still work and read back exactly. */
    OK(grove_leaderboard_score(fx->lb, S("big"), &dbl, &yes, &err));
    CHECK(yes && dbl == DBL_MAX);
    (void)b;
}

/* INT64_MIN/MAX and UINT64_MAX at every integer input: OVERFLOW, never a wrap. */
static void case_integer_extremes(fixture *fx) {
    int64_t v = 77;
    uint64_t u64 = 0;
    bool yes = false;
    /* hits = 42, low = INT64_MIN + 5 */
    OVERFLOW(grove_counter_increment(fx->hits, INT64_MAX, &v, &err));
    OVERFLOW(grove_counter_decrement(fx->hits, INT64_MIN, &v, &err));
    OVERFLOW(grove_counter_decrement(fx->hits, -INT64_MAX, &v, &err));
    OVERFLOW(grove_counter_increment(fx->low, INT64_MIN, &v, &err));
    OVERFLOW(grove_counter_increment(fx->low, -6, &v, &err));
    OVERFLOW(grove_counter_decrement(fx->low, INT64_MAX, &v, &err));
    OVERFLOW(grove_counter_decrement(fx->low, 6, &v, &err));
    /* Bounded changes: a negative delta is INVALID_ARGUMENT (never a disguised opposite
     * change); past the i64 range is refused, never OVERFLOW nor a wrap. */
    /* A delta of -1 is a row of tests/bad_input/rules.tsv. */
    const int64_t negs[2] = {-42, INT64_MIN};
    for (int i = 0; i < 2; i++) {
        INVALID(grove_counter_try_decrement(fx->hits, negs[i], 0, &v, &yes, &err));
        INVALID(grove_counter_try_increment(fx->hits, negs[i], INT64_MAX, &v, &yes, &err));
    }
    CHECK(v == 77);
    yes = true;
    OK(grove_counter_try_decrement(fx->low, 6, INT64_MIN, &v, &yes, &err));
    CHECK(!yes && v == 0);
    yes = true;
    OK(grove_counter_try_decrement(fx->low, INT64_MAX, INT64_MIN, &v, &yes, &err));
    CHECK(!yes);
    yes = true;
    OK(grove_counter_try_increment(fx->hits, INT64_MAX, INT64_MAX, &v, &yes, &err));
    CHECK(!yes);
    v = 77;
    CHECK(v == 77);
    /* A fresh counter at 0: decrement(INT64_MIN) would be +2^63. */
    grove_counter *zero = NULL;
    OK(grove_counter_new(fx->db, S("never-written"), &zero, &err));
    OVERFLOW(grove_counter_decrement(zero, INT64_MIN, &v, &err));
    grove_counter_free(zero);

    /* CRDT counter: p = 7, n = 2 (value 5). */
    OVERFLOW(grove_crdt_counter_increment(fx->cc, UINT64_MAX, &v, &err));
    OVERFLOW(grove_crdt_counter_decrement(fx->cc, UINT64_MAX, &v, &err));
    OVERFLOW(grove_crdt_counter_increment(fx->cc, (uint64_t)INT64_MAX, &v, &err));
    OVERFLOW(grove_crdt_counter_add(fx->cc, INT64_MAX, &v, &err));
    OVERFLOW(grove_crdt_counter_decrement(fx->cc, (uint64_t)INT64_MAX + 7, &v, &err));
    CHECK(v == 77);
    /* Another replica's INT64_MAX increments: merged here the value would pass INT64_MAX, so
     * merge, apply_changes and sync all refuse and change nothing. */
    grove_store *big = NULL;
    grove_crdt_counter *bigc = NULL;
    grove_bytes state = {NULL, 0}, big_bundle = {NULL, 0};
    grove_sync_report report;
    OK(grove_store_open_memory(NULL, &big, &err));
    OK(grove_crdt_counter_new(big, S("crdt:c"), &bigc, &err));
    OK(grove_crdt_counter_increment(bigc, (uint64_t)INT64_MAX, &v, &err));
    OK(grove_crdt_counter_state(bigc, &state, &err));
    OK(grove_store_export_changes(big, 0, &big_bundle, &u64, &err));
    OVERFLOW(grove_crdt_counter_merge(fx->cc, state.ptr, state.len, &yes, &err));
    OVERFLOW(grove_store_apply_changes(fx->db, big_bundle.ptr, big_bundle.len, &report, &err));
    OVERFLOW(grove_sync(big, fx->db, &report, &err));
    OK(grove_crdt_counter_value(fx->cc, &v, &err));
    CHECK(v == 5);
    v = 77;
    grove_bytes_free(&state);
    grove_bytes_free(&big_bundle);
    grove_crdt_counter_free(bigc);
    grove_store_free(big);

    /* Rate limiter: a cost that can never fit. */
    grove_ratelimit_decision d;
    /* A cost of 11 on a limit of 10 is a row of tests/bad_input/rules.tsv. */
    INVALID(grove_ratelimiter_allow(fx->rl, S("user1"), UINT64_MAX, &d, &err));

    /* Ids that do not exist, and the extremes of ranges: no error, no change. */
    OK(grove_queue_ack(fx->q, 0, &yes, &err));
    CHECK(!yes);
    OK(grove_queue_ack(fx->q, UINT64_MAX, &yes, &err));
    CHECK(!yes);
    OK(grove_queue_nack(fx->q, UINT64_MAX, 0, &yes, &err));
    CHECK(!yes);
    grove_ranked_list rl = {NULL, 0};
    OK(grove_leaderboard_top(fx->lb, UINT64_MAX, &rl, &err));
    CHECK(rl.len == 5);
    grove_ranked_list_free(&rl);
    OK(grove_leaderboard_range(fx->lb, 0, UINT64_MAX, &rl, &err));
    CHECK(rl.len == 5);
    grove_ranked_list_free(&rl);
    OK(grove_leaderboard_range(fx->lb, UINT64_MAX - 1, UINT64_MAX, &rl, &err));
    CHECK(rl.len == 0);
    grove_ranked_list_free(&rl);
    OK(grove_leaderboard_range(fx->lb, 2, UINT64_MAX, &rl, &err));
    CHECK(rl.len == 3);
    grove_ranked_list_free(&rl);
    OK(grove_leaderboard_around(fx->lb, S("alice"), UINT64_MAX, &rl, &err));
    CHECK(rl.len == 5);
    grove_ranked_list_free(&rl);
    OK(grove_leaderboard_around(fx->lb, S("alice"), (uint64_t)INT64_MAX + 1, &rl, &err));
    CHECK(rl.len == 5);
    grove_ranked_list_free(&rl);
    grove_bytes bundle = {NULL, 0};
    OK(grove_store_export_changes(fx->db, UINT64_MAX, &bundle, &u64, &err));
    grove_bytes_free(&bundle);
    /* Durability modes that do not exist. */
    grove_options *opts = NULL;
    OK(grove_options_new(&opts, &err));
    INVALID(grove_options_set_durability(opts, -1, 10, &err));
    INVALID(grove_options_set_durability(opts, 2, 10, &err));
    INVALID(grove_options_set_durability(opts, INT32_MIN, 10, &err));
    INVALID(grove_options_set_durability(opts, INT32_MAX, 10, &err));
    grove_options_free(opts);
    /* Connect timeouts at the ends of the range: the core decides, nothing panics. */
    grove_store *sp = NULL;
    OK(grove_options_new(&opts, &err));
    OK(grove_options_set_connect_timeout(opts, UINT64_MAX, &err));
    INVALID(grove_store_open(S("memory:"), opts, &sp, &err));
    EXPECT(GROVE_IO, grove_store_open(S("redis://127.0.0.1:1"), opts, &sp, &err));
    OK(grove_options_set_connect_timeout(opts, 1, &err));
    EXPECT(GROVE_IO, grove_store_open(S("redis://127.0.0.1:1"), opts, &sp, &err));
    OK(grove_options_set_connect_timeout(opts, 0, &err));
    INVALID(grove_store_open(S("redis://127.0.0.1:1"), opts, &sp, &err));
    CHECK(sp == NULL);
    grove_options_free(opts);
    /* A status that is none. */
    CHECK(strcmp(grove_status_name(INT32_MIN), "Unknown") == 0);
    CHECK(strcmp(grove_status_name(INT32_MAX), "Unknown") == 0);
}

/* Invalid UTF-8 wherever text is expected. */
static void case_invalid_utf8(fixture *fx) {
    grove_store *db = fx->db;
    bool yes = false;
    double dbl = 0;
    uint64_t u64 = 0;
    grove_bytes b = {NULL, 0};
    for (size_t i = 0; i < N_BAD_UTF8; i++) {
        const char *t = BAD_UTF8[i];
        const uint8_t *p = (const uint8_t *)t;
        size_t n = strlen(t);
        grove_counter *c = NULL;
        grove_lock *l = NULL;
        grove_ratelimiter *rl = NULL;
        grove_sessions *s = NULL;
        grove_leaderboard *lb = NULL;
        grove_queue *q = NULL;
        grove_store *ns = NULL;
        grove_crdt_counter *cc = NULL;
        grove_crdt_register *cr = NULL;
        grove_crdt_set *cs = NULL;
        grove_crdt_map *cm = NULL;
        grove_lock_info li;
        grove_ratelimit_decision d;
        grove_ranked_list rlist = {NULL, 0};
        /* names */
        INVALID(grove_counter_new(db, p, n, &c, &err));
        INVALID(grove_lock_new(db, p, n, 10, &l, &err));
        INVALID(grove_store_lock_info(db, p, n, &li, &err));
        INVALID(grove_ratelimiter_new(db, p, n, 10, 10, &rl, &err));
        INVALID(grove_sessions_new(db, 60, p, n, &s, &err));
        INVALID(grove_leaderboard_new(db, p, n, &lb, &err));
        INVALID(grove_queue_new(db, p, n, 30, 5, &q, &err));
        INVALID(grove_store_namespace(db, p, n, &ns, &err));
        INVALID(grove_crdt_counter_new(db, p, n, &cc, &err));
        INVALID(grove_crdt_register_new(db, p, n, &cr, &err));
        INVALID(grove_crdt_set_new(db, p, n, &cs, &err));
        INVALID(grove_crdt_map_new(db, p, n, &cm, &err));
        CHECK(!c && !l && !rl && !s && !lb && !q && !ns && !cc && !cr && !cs && !cm);
        /* members, rate-limit keys, session ids, map fields */
        INVALID(grove_leaderboard_add(fx->lb, p, n, 1, &err));
        INVALID(grove_leaderboard_incr(fx->lb, p, n, 1, &dbl, &err));
        INVALID(grove_leaderboard_score(fx->lb, p, n, &dbl, &yes, &err));
        INVALID(grove_leaderboard_rank(fx->lb, p, n, &u64, &yes, &err));
        INVALID(grove_leaderboard_remove(fx->lb, p, n, &yes, &err));
        INVALID(grove_leaderboard_around(fx->lb, p, n, 1, &rlist, &err));
        INVALID(grove_ratelimiter_allow(fx->rl, p, n, 1, &d, &err));
        INVALID(grove_ratelimiter_peek(fx->rl, p, n, &d, &err));
        INVALID(grove_ratelimiter_reset(fx->rl, p, n, &yes, &err));
        INVALID(grove_sessions_get(fx->sess, p, n, &b, &yes, &err));
        INVALID(grove_sessions_update(fx->sess, p, n, S("x"), &yes, &err));
        INVALID(grove_sessions_touch(fx->sess, p, n, &yes, &err));
        INVALID(grove_sessions_delete(fx->sess, p, n, &yes, &err));
        INVALID(grove_sessions_exists(fx->sess, p, n, &yes, &err));
        INVALID(grove_crdt_map_set(fx->cm, p, n, S("1"), &err));
        INVALID(grove_crdt_map_get(fx->cm, p, n, &b, &yes, &err));
        INVALID(grove_crdt_map_delete(fx->cm, p, n, &yes, &err));
        /* JSON text: bare, and inside a JSON string literal */
        char js[32];
        snprintf(js, sizeof js, "\"%s\"", t);
        INVALID(grove_crdt_register_set(fx->cr, p, n, &err));
        INVALID(grove_crdt_register_set(fx->cr, S(js), &err));
        INVALID(grove_crdt_set_add(fx->cs, S(js), &err));
        INVALID(grove_crdt_set_remove(fx->cs, S(js), &yes, &err));
        INVALID(grove_crdt_set_contains(fx->cs, S(js), &yes, &err));
        INVALID(grove_crdt_map_set(fx->cm, S("f1"), S(js), &err));
        /* node ids and paths */
        grove_options *opts = NULL;
        grove_store *other = NULL;
        OK(grove_options_new(&opts, &err));
        INVALID(grove_options_set_node_id(opts, p, n, &err));
        grove_options_free(opts);
        char path[700];
        snprintf(path, sizeof path, "%s/bad-%s", g_tmp, t);
        INVALID(grove_store_open(S(path), NULL, &other, &err));
        CHECK(other == NULL);
    }
    /* Keys and values are bytes: invalid UTF-8 there is fine (and read-only here). */
    OK(grove_store_exists(db, B("\xff\xfe"), &yes, &err));
    CHECK(!yes);
    /* A node id with characters outside [A-Za-z0-9._:-], valid UTF-8 or not. */
    grove_options *opts = NULL;
    OK(grove_options_new(&opts, &err));
    INVALID(grove_options_set_node_id(opts, S("n\xc3\xa9"), &err));
    INVALID(grove_options_set_node_id(opts, S("a b"), &err));
    INVALID(grove_options_set_node_id(opts, B("a\0b"), &err));
    grove_options_free(opts);
    /* Names with ':' where the docs forbid it. */
    grove_leaderboard *lb = NULL;
    grove_queue *q = NULL;
    grove_ratelimiter *rl = NULL;
    INVALID(grove_leaderboard_new(db, S("a:b"), &lb, &err));
    INVALID(grove_queue_new(db, S("a:b"), 30, 5, &q, &err));
    INVALID(grove_ratelimiter_new(db, S("a:b"), 10, 10, &rl, &err));
    CHECK(lb == NULL && q == NULL && rl == NULL);
}

/* Text that is not JSON where JSON is expected. */
static void case_invalid_json(fixture *fx) {
    static const char *const bad[] = {
        " ", "{", "}", "[1,", "[1,]", "nul", "tru", "'a'", "{\"a\":}", "{a:1}", "1 2", "NaN",
        "Infinity", "-Infinity", "\"unterminated", "{} x", "01", "1.", ".5", "+1", "0x10",
        "\"\\x41\"", "\"tab\there\"", "/* c */ 1", "[1] // c", "{\"a\" 1}", "\"\\ud800\""};
    bool yes = false;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        INVALID(grove_crdt_register_set(fx->cr, S(bad[i]), &err));
        INVALID(grove_crdt_set_add(fx->cs, S(bad[i]), &err));
        INVALID(grove_crdt_set_remove(fx->cs, S(bad[i]), &yes, &err));
        INVALID(grove_crdt_set_contains(fx->cs, S(bad[i]), &yes, &err));
        INVALID(grove_crdt_map_set(fx->cm, S("f1"), S(bad[i]), &err));
        INVALID(grove_crdt_map_set(fx->cm, S("fresh"), S(bad[i]), &err));
    }
    /* A NUL inside the text, and text cut short by the length. */
    INVALID(grove_crdt_register_set(fx->cr, B("\"a\0b\""), &err));
    INVALID(grove_crdt_register_set(fx->cr, (const uint8_t *)"{\"v\":2}", 5, &err));
    /* 1e999 does not fit a double. */
    INVALID(grove_crdt_register_set(fx->cr, S("1e999"), &err));
    /* Deep nesting must be refused, not overflow the stack. */
    size_t depth = 200000;
    char *deep = malloc(2 * depth);
    if (deep != NULL) {
        memset(deep, '[', depth);
        memset(deep + depth, ']', depth);
        INVALID(grove_crdt_register_set(fx->cr, (const uint8_t *)deep, 2 * depth, &err));
        INVALID(grove_crdt_set_add(fx->cs, (const uint8_t *)deep, 2 * depth, &err));
        INVALID(grove_crdt_set_contains(fx->cs, (const uint8_t *)deep, 2 * depth, &yes, &err));
        INVALID(grove_crdt_map_set(fx->cm, S("f1"), (const uint8_t *)deep, 2 * depth, &err));
        /* unbalanced */
        INVALID(grove_crdt_register_set(fx->cr, (const uint8_t *)deep, depth, &err));
        for (size_t i = 0; i < depth; i++) {
            deep[2 * i] = '{';
            deep[2 * i + 1] = '"';
        }
        INVALID(grove_crdt_register_set(fx->cr, (const uint8_t *)deep, 2 * depth, &err));
        free(deep);
    }
}

/* Flips, cuts and swaps state bytes; returns 1 when `st` is one of the refusals merge has. */
static int merge_refused(grove_status st) {
    return st == GROVE_CORRUPT || st == GROVE_WRONG_TYPE;
}

typedef grove_status (*merge_fn)(const void *h, const uint8_t *s, size_t n, bool *changed,
                                 grove_error **err);
static grove_status m_counter(const void *h, const uint8_t *s, size_t n, bool *c, grove_error **e) {
    return grove_crdt_counter_merge(h, s, n, c, e);
}
static grove_status m_register(const void *h, const uint8_t *s, size_t n, bool *c, grove_error **e) {
    return grove_crdt_register_merge(h, s, n, c, e);
}
static grove_status m_set(const void *h, const uint8_t *s, size_t n, bool *c, grove_error **e) {
    return grove_crdt_set_merge(h, s, n, c, e);
}
static grove_status m_map(const void *h, const uint8_t *s, size_t n, bool *c, grove_error **e) {
    return grove_crdt_map_merge(h, s, n, c, e);
}

/* Garbage, truncated and mistyped state into every merge, and into apply_changes. */
static void case_garbage_merge(fixture *fx) {
    grove_store *db = fx->db;
    /* Real states of each type, made on a second store (other node id) so that merging them
     * as they are would change this store. */
    grove_store *peer = NULL;
    OK(grove_store_open_memory(NULL, &peer, &err));
    if (peer == NULL) {
        return;
    }
    grove_crdt_counter *pc = NULL;
    grove_crdt_register *pr = NULL;
    grove_crdt_set *ps = NULL;
    grove_crdt_map *pm = NULL;
    int64_t v = 0;
    OK(grove_crdt_counter_new(peer, S("crdt:c"), &pc, &err));
    OK(grove_crdt_counter_increment(pc, 1000, &v, &err));
    OK(grove_crdt_register_new(peer, S("crdt:r"), &pr, &err));
    OK(grove_crdt_register_set(pr, S("{\"peer\":true}"), &err));
    OK(grove_crdt_set_new(peer, S("crdt:s"), &ps, &err));
    OK(grove_crdt_set_add(ps, S("\"peer\""), &err));
    OK(grove_crdt_map_new(peer, S("crdt:m"), &pm, &err));
    OK(grove_crdt_map_set(pm, S("peer"), S("1"), &err));
    grove_bytes states[4] = {{NULL, 0}, {NULL, 0}, {NULL, 0}, {NULL, 0}};
    OK(grove_crdt_counter_state(pc, &states[0], &err));
    OK(grove_crdt_register_state(pr, &states[1], &err));
    OK(grove_crdt_set_state(ps, &states[2], &err));
    OK(grove_crdt_map_state(pm, &states[3], &err));
    const void *handles[4] = {fx->cc, fx->cr, fx->cs, fx->cm};
    merge_fn merges[4] = {m_counter, m_register, m_set, m_map};
    static const char *const names[4] = {"counter", "register", "set", "map"};

    bool changed = true;
    static const uint8_t junk[][8] = {{0}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
                                      {'G', 'R', 'O', 'V', 'E', 0, 0, 0}, {'{', '}', 0, 0, 0, 0, 0, 0}};
    for (int t = 0; t < 4; t++) {
        grove_error *err = NULL;
        grove_status st;
        /* junk */
        for (size_t j = 0; j < sizeof junk / sizeof junk[0]; j++) {
            for (size_t len = 1; len <= 8; len++) {
                err = NULL;
                st = merges[t](handles[t], junk[j], len, &changed, &err);
                check_status(__FILE__, __LINE__, names[t], st, err, GROVE_CORRUPT, NULL);
            }
        }
        /* 4 KiB of pseudo-random bytes */
        uint8_t rnd[4096];
        uint32_t x = 2463534242u + (uint32_t)t;
        for (size_t i = 0; i < sizeof rnd; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            rnd[i] = (uint8_t)x;
        }
        err = NULL;
        st = merges[t](handles[t], rnd, sizeof rnd, &changed, &err);
        check_status(__FILE__, __LINE__, names[t], st, err, GROVE_CORRUPT, NULL);
        /* every proper prefix of a real state of this type */
        for (size_t len = 1; len < states[t].len; len++) {
            err = NULL;
            st = merges[t](handles[t], states[t].ptr, len, &changed, &err);
            if (!merge_refused(st)) {
                fprintf(stderr, "  FAIL %s merge of a %zu/%zu-byte prefix gave %s\n", names[t], len,
                        states[t].len, grove_status_name(st));
                g_case_failed = 1;
            } else if (st != GROVE_CORRUPT) {
                fprintf(stderr, "  FAIL %s merge of a %zu/%zu-byte prefix gave %s, want Corrupt\n",
                        names[t], len, states[t].len, grove_status_name(st));
                g_case_failed = 1;
            }
            grove_error_free(err);
        }
        /* the real state with trailing garbage */
        uint8_t *longer = malloc(states[t].len + 3);
        if (longer != NULL) {
            memcpy(longer, states[t].ptr, states[t].len);
            memcpy(longer + states[t].len, "xyz", 3);
            err = NULL;
            st = merges[t](handles[t], longer, states[t].len + 3, &changed, &err);
            check_status(__FILE__, __LINE__, names[t], st, err, GROVE_CORRUPT, NULL);
            /* every single byte of the header and version changed */
            for (size_t k = 0; k < states[t].len && k < 8; k++) {
                memcpy(longer, states[t].ptr, states[t].len);
                longer[k] ^= 0x80;
                err = NULL;
                st = merges[t](handles[t], longer, states[t].len, &changed, &err);
                if (st == GROVE_OK) {
                    /* a flip may still be a valid state; the snapshot will tell if it changed
                     * anything, which would then have to be a real merge */
                    fprintf(stderr, "  note: %s merge with byte %zu flipped was accepted\n",
                            names[t], k);
                } else if (!merge_refused(st)) {
                    check_status(__FILE__, __LINE__, names[t], st, err, GROVE_CORRUPT, NULL);
                    err = NULL;
                }
                grove_error_free(err);
            }
            free(longer);
        }
        /* a real state of every other type */
        for (int u = 0; u < 4; u++) {
            if (u == t) {
                continue;
            }
            err = NULL;
            st = merges[t](handles[t], states[u].ptr, states[u].len, &changed, &err);
            check_status(__FILE__, __LINE__, names[t], st, err, GROVE_WRONG_TYPE, NULL);
        }
    }
    CHECK(changed); /* never written on error */

    /* A handle over a key that holds another kind: the merge is refused as WRONG_TYPE. */
    grove_crdt_counter *cc_on_kv = NULL;
    grove_crdt_register *cr_on_counter = NULL;
    OK(grove_crdt_counter_new(db, S("kv:plain"), &cc_on_kv, &err));
    OK(grove_crdt_register_new(db, S("crdt:c"), &cr_on_counter, &err));
    WRONG(grove_crdt_counter_merge(cc_on_kv, states[0].ptr, states[0].len, &changed, &err));
    WRONG(grove_crdt_register_merge(cr_on_counter, states[1].ptr, states[1].len, &changed, &err));
    grove_crdt_counter_free(cc_on_kv);
    grove_crdt_register_free(cr_on_counter);

    /* apply_changes: junk, random, truncated and extended bundles, a bundle with a
     * mistyped entry (all-or-nothing: the valid entries are not applied either). */
    grove_sync_report rep = {9, 9, 9};
    CORRUPT(grove_store_apply_changes(db, junk[1], 8, &rep, &err));
    CORRUPT(grove_store_apply_changes(db, junk[2], 8, &rep, &err));
    CORRUPT(grove_store_apply_changes(db, states[0].ptr, states[0].len, &rep, &err));
    grove_bytes bundle = {NULL, 0};
    uint64_t cursor = 0;
    OK(grove_store_export_changes(peer, 0, &bundle, &cursor, &err));
    for (size_t len = 1; len < bundle.len; len += (bundle.len > 64 ? 7 : 1)) {
        grove_error *err = NULL;
        grove_status st = grove_store_apply_changes(db, bundle.ptr, len, &rep, &err);
        if (st != GROVE_CORRUPT) {
            fprintf(stderr, "  FAIL apply_changes of a %zu/%zu-byte prefix gave %s\n", len,
                    bundle.len, grove_status_name(st));
            g_case_failed = 1;
        }
        grove_error_free(err);
    }
    uint8_t *longer = malloc(bundle.len + 1);
    if (longer != NULL) {
        memcpy(longer, bundle.ptr, bundle.len);
        longer[bundle.len] = 0;
        CORRUPT(grove_store_apply_changes(db, longer, bundle.len + 1, &rep, &err));
        free(longer);
    }
    grove_bytes_free(&bundle);
    /* The peer gets a key that is a register there and bytes here, plus a valid change. */
    grove_crdt_register *clash = NULL;
    OK(grove_crdt_register_new(peer, S("kv:plain"), &clash, &err));
    OK(grove_crdt_register_set(clash, S("1"), &err));
    grove_crdt_register_free(clash);
    OK(grove_crdt_register_new(peer, S("counter:hits"), &clash, &err));
    OK(grove_crdt_register_set(clash, S("2"), &err));
    grove_crdt_register_free(clash);
    OK(grove_store_export_changes(peer, 0, &bundle, &cursor, &err));
    WRONG(grove_store_apply_changes(db, bundle.ptr, bundle.len, &rep, &err));
    grove_bytes_free(&bundle);
    CHECK(rep.pulled == 9);
    /* grove_sync: the same clash; one engine with itself; the same node id. */
    WRONG(grove_sync(db, peer, &rep, &err));
    WRONG(grove_sync(peer, db, &rep, &err));
    grove_store *view = NULL;
    OK(grove_store_namespace(db, S("view"), &view, &err));
    INVALID(grove_sync(db, db, &rep, &err));
    INVALID(grove_sync(db, view, &rep, &err));
    grove_store_free(view);
    grove_bytes node = {NULL, 0};
    OK(grove_store_node_id(db, &node, &err));
    grove_options *opts = NULL;
    grove_store *twin = NULL;
    OK(grove_options_new(&opts, &err));
    OK(grove_options_set_node_id(opts, node.ptr, node.len, &err));
    OK(grove_store_open_memory(opts, &twin, &err));
    INVALID(grove_sync(db, twin, &rep, &err));
    OK(grove_store_close(twin, &err));
    grove_store_free(twin);
    grove_options_free(opts);
    grove_bytes_free(&node);
    CHECK(rep.pulled == 9);

    for (int t = 0; t < 4; t++) {
        grove_bytes_free(&states[t]);
    }
    grove_crdt_counter_free(pc);
    grove_crdt_register_free(pr);
    grove_crdt_set_free(ps);
    grove_crdt_map_free(pm);
    OK(grove_store_close(peer, &err));
    grove_store_free(peer);
}

/* Keys holding one kind used as another: WRONG_TYPE, nothing written. */
static void case_wrong_type(fixture *fx) {
    grove_store *db = fx->db;
    grove_bytes b = {(uint8_t *)"sentinel", 8};
    bool yes = true;
    int64_t v = 77;
    uint64_t u64 = 77;
    double dbl = 77;

    /* KV bytes read and written as a counter. */
    WRONG(grove_counter_get(fx->kvcounter, &v, &err));
    WRONG(grove_counter_increment(fx->kvcounter, 1, &v, &err));
    WRONG(grove_counter_decrement(fx->kvcounter, 1, &v, &err));
    WRONG(grove_counter_try_decrement(fx->kvcounter, 1, 0, &v, &yes, &err));
    WRONG(grove_counter_try_increment(fx->kvcounter, 1, 100, &v, &yes, &err));
    WRONG(grove_counter_set(fx->kvcounter, 1, &err));
    WRONG(grove_counter_reset(fx->kvcounter, &err));
    CHECK(v == 77);
    /* KV bytes as a lock. */
    grove_lock_info li;
    WRONG(grove_lock_try_acquire(fx->other_lock, &yes, &err));
    WRONG(grove_lock_acquire(fx->other_lock, 0.05, 0.01, &yes, &err));
    WRONG(grove_store_lock_info(db, S("kvbytes"), &li, &err));
    /* A handle that never acquired still reads the key for held/release/extend. */
    WRONG(grove_lock_held(fx->other_lock, &yes, &err));
    WRONG(grove_lock_release(fx->other_lock, &yes, &err));
    WRONG(grove_lock_extend(fx->other_lock, 5, &yes, &err));
    /* KV bytes as rate-limiter state, as a session. */
    grove_ratelimit_decision d;
    WRONG(grove_ratelimiter_allow(fx->rl, S("kvbytes"), 1, &d, &err));
    WRONG(grove_ratelimiter_peek(fx->rl, S("kvbytes"), &d, &err));
    WRONG(grove_ratelimiter_reset(fx->rl, S("kvbytes"), &yes, &err));
    WRONG(grove_sessions_get(fx->sess, S(SID_FAKE), &b, &yes, &err));
    WRONG(grove_sessions_update(fx->sess, S(SID_FAKE), S("x"), &yes, &err));
    WRONG(grove_sessions_touch(fx->sess, S(SID_FAKE), &yes, &err));
    WRONG(grove_sessions_exists(fx->sess, S(SID_FAKE), &yes, &err));
    WRONG(grove_sessions_delete(fx->sess, S(SID_FAKE), &yes, &err));
    CHECK(b.len == 8); /* the sentinel: never written on error */

    /* Every other kind read and written as KV bytes. */
    static const char *const others[] = {"counter:hits", "lock:deploy", "crdt:c", "crdt:r",
                                         "crdt:s", "crdt:m"};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        WRONG(grove_store_get(db, S(others[i]), &b, &yes, &err));
        WRONG(grove_store_set(db, S(others[i]), S("bytes"), NULL, &err));
        WRONG(grove_store_set_if_absent(db, S(others[i]), S("bytes"), NULL, &yes, &err));
        WRONG(grove_store_set_if_present(db, S(others[i]), S("bytes"), NULL, &yes, &err));
        WRONG(grove_store_compare_and_set(db, S(others[i]), NULL, S("bytes"), NULL, &yes, &err));
        WRONG(grove_store_get_set(db, S(others[i]), S("bytes"), NULL, &b, &yes, &err));
        WRONG(grove_store_get_delete(db, S(others[i]), &b, &yes, &err));
        double ttl = 60;
        WRONG(grove_store_set(db, S(others[i]), S("bytes"), &ttl, &err));
    }
    CHECK(b.len == 8);
    /* Keys of sessions, rate limits, leaderboards and queues, found by iteration. */
    static const char *const prefixes[] = {"sess:", "ratelimit:api:user1", "lb:scores:", "queue:jobs:"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        grove_keys *it = NULL;
        OK(grove_store_keys(db, S(prefixes[i]), &it, &err));
        for (;;) {
            grove_bytes k = {NULL, 0};
            bool has = false;
            grove_kind kind = GROVE_KIND_NONE;
            OK(grove_keys_next(it, &k, &has, &err));
            if (!has) {
                break;
            }
            OK(grove_store_kind_of(db, k.ptr, k.len, &kind, &err));
            if (kind != GROVE_KIND_BYTES) {
                grove_bytes val = {NULL, 0};
                bool found = false;
                WRONG(grove_store_get(db, k.ptr, k.len, &val, &found, &err));
                grove_error *e2 = NULL;
                grove_status st = grove_store_set(db, k.ptr, k.len, S("bytes"), NULL, &e2);
                /* lb:/queue: keys are refused as INVALID_ARGUMENT (reserved) or WRONG_TYPE */
                if (st != GROVE_WRONG_TYPE && st != GROVE_INVALID_ARGUMENT) {
                    check_status(__FILE__, __LINE__, "grove_store_set(other kind)", st, e2,
                                 GROVE_WRONG_TYPE, NULL);
                    e2 = NULL;
                }
                grove_error_free(e2);
                grove_slice keys[2] = {{(const uint8_t *)"kv:plain", 8}, {k.ptr, k.len}};
                grove_bytes vals[2] = {{NULL, 0}, {NULL, 0}};
                bool found2[2];
                WRONG(grove_store_get_many(db, keys, 2, vals, found2, &err));
                CHECK(vals[0].ptr == NULL);
            }
            grove_bytes_free(&k);
        }
        grove_keys_free(it);
    }
    /* New keys under lb: and queue: belong to leaderboards and queues. */
    INVALID(grove_store_set(db, S("lb:scores:mallory"), S("1"), NULL, &err));
    INVALID(grove_store_set(db, S("queue:jobs:x"), S("1"), NULL, &err));
    /* set_many is all or nothing when one key is of another kind. */
    grove_pair items[3] = {{{(const uint8_t *)"kv:plain", 8}, {(const uint8_t *)"changed", 7}},
                           {{(const uint8_t *)"kv:new", 6}, {(const uint8_t *)"new", 3}},
                           {{(const uint8_t *)"counter:hits", 12}, {(const uint8_t *)"x", 1}}};
    WRONG(grove_store_set_many(db, items, 3, NULL, &err));
    grove_pair items2[2] = {{{(const uint8_t *)"kv:new", 6}, {(const uint8_t *)"new", 3}},
                            {{(const uint8_t *)"lb:scores:zed", 13}, {(const uint8_t *)"x", 1}}};
    INVALID(grove_store_set_many(db, items2, 2, NULL, &err));

    /* CRDT handles over keys of another kind (KV bytes, a counter, another CRDT). */
    grove_crdt_counter *cc = NULL;
    grove_crdt_register *cr = NULL;
    grove_crdt_set *cs = NULL;
    grove_crdt_map *cm = NULL;
    OK(grove_crdt_counter_new(db, S("kv:plain"), &cc, &err));
    OK(grove_crdt_register_new(db, S("counter:hits"), &cr, &err));
    OK(grove_crdt_set_new(db, S("crdt:m"), &cs, &err));
    OK(grove_crdt_map_new(db, S("crdt:s"), &cm, &err));
    grove_bytes_list bl = {NULL, 0};
    grove_crdt_field_list fl = {NULL, 0};
    grove_crdt_contribution_list cl = {NULL, 0};
    uint64_t p = 0, n = 0;
    WRONG(grove_crdt_counter_value(cc, &v, &err));
    WRONG(grove_crdt_counter_increment(cc, 1, &v, &err));
    WRONG(grove_crdt_counter_decrement(cc, 1, &v, &err));
    WRONG(grove_crdt_counter_add(cc, -1, &v, &err));
    WRONG(grove_crdt_counter_totals(cc, &p, &n, &err));
    WRONG(grove_crdt_counter_contributions(cc, &cl, &err));
    WRONG(grove_crdt_counter_reset_local(cc, &v, &err));
    grove_bytes st = {NULL, 0};
    WRONG(grove_crdt_counter_state(cc, &st, &err));
    WRONG(grove_crdt_register_get(cr, &st, &yes, &err));
    WRONG(grove_crdt_register_set(cr, S("1"), &err));
    WRONG(grove_crdt_register_state(cr, &st, &err));
    WRONG(grove_crdt_set_add(cs, S("1"), &err));
    WRONG(grove_crdt_set_remove(cs, S("1"), &yes, &err));
    WRONG(grove_crdt_set_contains(cs, S("1"), &yes, &err));
    WRONG(grove_crdt_set_members(cs, &bl, &err));
    WRONG(grove_crdt_set_len(cs, &u64, &err));
    WRONG(grove_crdt_set_state(cs, &st, &err));
    WRONG(grove_crdt_map_set(cm, S("f"), S("1"), &err));
    WRONG(grove_crdt_map_get(cm, S("f"), &st, &yes, &err));
    WRONG(grove_crdt_map_delete(cm, S("f"), &yes, &err));
    WRONG(grove_crdt_map_keys(cm, &bl, &err));
    WRONG(grove_crdt_map_all(cm, &fl, &err));
    WRONG(grove_crdt_map_state(cm, &st, &err));
    CHECK(st.ptr == NULL && bl.ptr == NULL && fl.ptr == NULL && cl.ptr == NULL && v == 77);
    grove_crdt_counter_free(cc);
    grove_crdt_register_free(cr);
    grove_crdt_set_free(cs);
    grove_crdt_map_free(cm);

    /* Primitives over CRDT keys (a counter and a lock made to land on one). */
    grove_store *crdt_ns = NULL;
    grove_counter *c = NULL;
    grove_crdt_counter *cnt_key = NULL;
    OK(grove_crdt_counter_new(db, S("counter:hits"), &cnt_key, &err));
    WRONG(grove_crdt_counter_value(cnt_key, &v, &err));
    WRONG(grove_crdt_counter_increment(cnt_key, 1, &v, &err));
    grove_crdt_counter_free(cnt_key);
    (void)crdt_ns;
    (void)c;
    (void)dbl;
}

/* A closed store and everything made from it: CLOSED, including handles made before and after
 * closing and views; closing twice is fine; the fencing token still reads. */
static void case_use_after_close(fixture *fx) {
    grove_store *db = fx->db;
    grove_store *view = NULL;
    grove_keys *it = NULL;
    grove_store *peer = NULL;
    OK(grove_store_namespace(db, S("view"), &view, &err));
    OK(grove_store_keys(db, NULL, 0, &it, &err));
    OK(grove_store_open_memory(NULL, &peer, &err));
    OK(grove_store_close(view, &err)); /* a view closes the whole store */
    OK(grove_store_close(db, &err));   /* twice is fine */
    OK(grove_store_close(view, &err));

    bool yes = false, changed = false;
    int64_t v = 0;
    uint64_t u64 = 0, p = 0, n = 0;
    double dbl = 0, ttl = 5;
    grove_bytes b = {NULL, 0};
    grove_kind kind;
    grove_store *sp = NULL;
    grove_keys *it2 = NULL;

    OK(grove_store_is_closed(db, &yes, &err));
    CHECK(yes);
    OK(grove_store_is_closed(view, &yes, &err));
    CHECK(yes);
    grove_store *handles[2] = {db, view};
    for (int h = 0; h < 2; h++) {
        grove_store *s = handles[h];
        CLOSED(grove_store_get(s, S("kv:plain"), &b, &yes, &err));
        CLOSED(grove_store_set(s, S("kv:plain"), S("x"), NULL, &err));
        CLOSED(grove_store_set_if_absent(s, S("kv:new"), S("x"), NULL, &yes, &err));
        CLOSED(grove_store_set_if_present(s, S("kv:plain"), S("x"), NULL, &yes, &err));
        CLOSED(grove_store_compare_and_set(s, S("kv:plain"), NULL, S("x"), NULL, &yes, &err));
        CLOSED(grove_store_get_set(s, S("kv:plain"), S("x"), NULL, &b, &yes, &err));
        CLOSED(grove_store_get_delete(s, S("kv:plain"), &b, &yes, &err));
        CLOSED(grove_store_set(s, S("kv:plain"), S("x"), &ttl, &err));
        CLOSED(grove_store_delete(s, S("kv:plain"), &yes, &err));
        CLOSED(grove_store_exists(s, S("kv:plain"), &yes, &err));
        CLOSED(grove_store_expire(s, S("kv:plain"), 0, &yes, &err));
        CLOSED(grove_store_persist(s, S("kv:ttl"), &yes, &err));
        CLOSED(grove_store_ttl(s, S("kv:ttl"), &dbl, &yes, &err));
        CLOSED(grove_store_kind_of(s, S("kv:plain"), &kind, &err));
        CLOSED(grove_store_purge_expired(s, &u64, &err));
        grove_pair items[1] = {{{(const uint8_t *)"kv:plain", 8}, {(const uint8_t *)"x", 1}}};
        CLOSED(grove_store_set_many(s, items, 1, NULL, &err));
        grove_slice keys[1] = {{(const uint8_t *)"kv:plain", 8}};
        grove_bytes vals[1];
        bool found[1];
        CLOSED(grove_store_get_many(s, keys, 1, vals, found, &err));
        CLOSED(grove_store_get_many(s, NULL, 0, NULL, NULL, &err));
        CLOSED(grove_store_set_many(s, NULL, 0, NULL, &err));
        CLOSED(grove_store_keys(s, NULL, 0, &it2, &err));
        CLOSED(grove_store_namespace(s, S("x"), &sp, &err));
        CLOSED(grove_store_flush(s, &err));
        CLOSED(grove_store_node_id(s, &b, &err));
        CLOSED(grove_store_path(s, &b, &err));
        CLOSED(grove_store_size_on_disk(s, &u64, &err));
        CLOSED(grove_store_max_drift(s, &dbl, &err));
        CLOSED(grove_store_set_max_drift(s, 5, &err));
        grove_lock_info li;
        CLOSED(grove_store_lock_info(s, S("deploy"), &li, &err));
        grove_sync_report rep;
        CLOSED(grove_store_export_changes(s, 0, &b, &u64, &err));
        CLOSED(grove_store_apply_changes(s, B("x"), &rep, &err));
        CLOSED(grove_sync(s, peer, &rep, &err));
        CLOSED(grove_sync(peer, s, &rep, &err));
        /* Bad input on a closed store: the argument check may come first, never a crash. */
        grove_error *e = NULL;
        grove_status st = grove_store_set(s, NULL, 3, S("x"), NULL, &e);
        CHECK(st == GROVE_INVALID_ARGUMENT || st == GROVE_CLOSED);
        grove_error_free(e);
    }
    CHECK(sp == NULL && it2 == NULL && b.ptr == NULL);
    CLOSED(grove_keys_next(it, &b, &yes, &err));
    grove_keys_free(it);

    /* Handles made before closing. */
    grove_ratelimit_decision d;
    grove_ranked_list rl = {NULL, 0};
    grove_job job;
    grove_job_list jl = {NULL, 0};
    grove_queue_counts qc;
    grove_bytes_list bl = {NULL, 0};
    grove_crdt_field_list fl = {NULL, 0};
    grove_crdt_contribution_list cl = {NULL, 0};
    const uint8_t *sid = (const uint8_t *)fx->sid;
    size_t sl = fx->sid_len;
    CLOSED(grove_counter_increment(fx->hits, 1, &v, &err));
    CLOSED(grove_counter_decrement(fx->hits, 1, &v, &err));
    CLOSED(grove_counter_try_decrement(fx->hits, 1, 0, &v, &yes, &err));
    CLOSED(grove_counter_try_increment(fx->hits, 1, 100, &v, &yes, &err));
    CLOSED(grove_counter_get(fx->hits, &v, &err));
    CLOSED(grove_counter_set(fx->hits, 1, &err));
    CLOSED(grove_counter_reset(fx->hits, &err));
    CLOSED(grove_lock_try_acquire(fx->lock, &yes, &err));
    CLOSED(grove_lock_acquire(fx->lock, 0.05, 0.01, &yes, &err));
    CLOSED(grove_lock_release(fx->lock, &yes, &err));
    CLOSED(grove_lock_extend(fx->lock, 5, &yes, &err));
    CLOSED(grove_lock_held(fx->lock, &yes, &err));
    OK(grove_lock_fencing_token(fx->lock, &u64, &err)); /* reads no storage */
    CHECK(u64 >= 1);
    CLOSED(grove_ratelimiter_allow(fx->rl, S("user1"), 1, &d, &err));
    CLOSED(grove_ratelimiter_peek(fx->rl, S("user1"), &d, &err));
    CLOSED(grove_ratelimiter_reset(fx->rl, S("user1"), &yes, &err));
    CLOSED(grove_sessions_create(fx->sess, S("d"), &b, &err));
    CLOSED(grove_sessions_get(fx->sess, sid, sl, &b, &yes, &err));
    CLOSED(grove_sessions_update(fx->sess, sid, sl, S("d"), &yes, &err));
    CLOSED(grove_sessions_touch(fx->sess, sid, sl, &yes, &err));
    CLOSED(grove_sessions_delete(fx->sess, sid, sl, &yes, &err));
    CLOSED(grove_sessions_exists(fx->sess, sid, sl, &yes, &err));
    CLOSED(grove_leaderboard_add(fx->lb, S("alice"), 1, &err));
    CLOSED(grove_leaderboard_incr(fx->lb, S("alice"), 1, &dbl, &err));
    CLOSED(grove_leaderboard_score(fx->lb, S("alice"), &dbl, &yes, &err));
    CLOSED(grove_leaderboard_rank(fx->lb, S("alice"), &u64, &yes, &err));
    CLOSED(grove_leaderboard_remove(fx->lb, S("alice"), &yes, &err));
    CLOSED(grove_leaderboard_top(fx->lb, 3, &rl, &err));
    CLOSED(grove_leaderboard_range(fx->lb, 0, 3, &rl, &err));
    CLOSED(grove_leaderboard_around(fx->lb, S("bob"), 1, &rl, &err));
    CLOSED(grove_leaderboard_len(fx->lb, &u64, &err));
    CLOSED(grove_leaderboard_clear(fx->lb, &u64, &err));
    CLOSED(grove_queue_enqueue(fx->q, S("p"), 0, &u64, &err));
    CLOSED(grove_queue_dequeue(fx->q, &job, &yes, &err));
    CLOSED(grove_queue_dequeue_wait(fx->q, 0.05, &job, &yes, &err));
    CLOSED(grove_queue_ack(fx->q, fx->inflight_id, &yes, &err));
    CLOSED(grove_queue_nack(fx->q, fx->inflight_id, 0, &yes, &err));
    CLOSED(grove_queue_stats(fx->q, &qc, &err));
    CLOSED(grove_queue_dead_letters(fx->deadq, &jl, &err));
    CLOSED(grove_crdt_counter_increment(fx->cc, 1, &v, &err));
    CLOSED(grove_crdt_counter_decrement(fx->cc, 1, &v, &err));
    CLOSED(grove_crdt_counter_add(fx->cc, 1, &v, &err));
    CLOSED(grove_crdt_counter_value(fx->cc, &v, &err));
    CLOSED(grove_crdt_counter_totals(fx->cc, &p, &n, &err));
    CLOSED(grove_crdt_counter_contributions(fx->cc, &cl, &err));
    CLOSED(grove_crdt_counter_reset_local(fx->cc, &v, &err));
    CLOSED(grove_crdt_counter_state(fx->cc, &b, &err));
    CLOSED(grove_crdt_counter_merge(fx->cc, B("x"), &changed, &err));
    CLOSED(grove_crdt_register_set(fx->cr, S("1"), &err));
    CLOSED(grove_crdt_register_get(fx->cr, &b, &yes, &err));
    CLOSED(grove_crdt_register_state(fx->cr, &b, &err));
    CLOSED(grove_crdt_register_merge(fx->cr, B("x"), &changed, &err));
    CLOSED(grove_crdt_set_add(fx->cs, S("1"), &err));
    CLOSED(grove_crdt_set_remove(fx->cs, S("1"), &yes, &err));
    CLOSED(grove_crdt_set_contains(fx->cs, S("1"), &yes, &err));
    CLOSED(grove_crdt_set_members(fx->cs, &bl, &err));
    CLOSED(grove_crdt_set_len(fx->cs, &u64, &err));
    CLOSED(grove_crdt_set_state(fx->cs, &b, &err));
    CLOSED(grove_crdt_set_merge(fx->cs, B("x"), &changed, &err));
    CLOSED(grove_crdt_map_set(fx->cm, S("f1"), S("1"), &err));
    CLOSED(grove_crdt_map_get(fx->cm, S("f1"), &b, &yes, &err));
    CLOSED(grove_crdt_map_delete(fx->cm, S("f1"), &yes, &err));
    CLOSED(grove_crdt_map_keys(fx->cm, &bl, &err));
    CLOSED(grove_crdt_map_all(fx->cm, &fl, &err));
    CLOSED(grove_crdt_map_state(fx->cm, &b, &err));
    CLOSED(grove_crdt_map_merge(fx->cm, B("x"), &changed, &err));
    CHECK(b.ptr == NULL && rl.ptr == NULL && jl.ptr == NULL && bl.ptr == NULL && fl.ptr == NULL &&
          cl.ptr == NULL);

    /* Handles made after closing: refused at once, or CLOSED at first use. */
#define NEW_AFTER_CLOSE(type, make, use, freefn)                                          \
    do {                                                                                  \
        type *h_ = NULL;                                                                  \
        grove_error *e_ = NULL;                                                           \
        grove_status st_ = (make);                                                        \
        if (st_ == GROVE_OK) {                                                            \
            CLOSED(use);                                                                  \
            freefn(h_);                                                                   \
        } else {                                                                          \
            check_status(__FILE__, __LINE__, #make, st_, e_, GROVE_CLOSED, NULL);         \
            e_ = NULL;                                                                    \
        }                                                                                 \
        grove_error_free(e_);                                                             \
    } while (0)
    NEW_AFTER_CLOSE(grove_counter, grove_counter_new(db, S("hits"), &h_, &e_),
                    grove_counter_get(h_, &v, &err), grove_counter_free);
    NEW_AFTER_CLOSE(grove_lock, grove_lock_new(db, S("deploy"), 5, &h_, &e_),
                    grove_lock_held(h_, &yes, &err), grove_lock_free);
    NEW_AFTER_CLOSE(grove_ratelimiter, grove_ratelimiter_new(db, S("api"), 10, 60, &h_, &e_),
                    grove_ratelimiter_peek(h_, S("user1"), &d, &err), grove_ratelimiter_free);
    NEW_AFTER_CLOSE(grove_sessions, grove_sessions_new(db, 60, S("sess"), &h_, &e_),
                    grove_sessions_exists(h_, sid, sl, &yes, &err), grove_sessions_free);
    NEW_AFTER_CLOSE(grove_leaderboard, grove_leaderboard_new(view, S("scores"), &h_, &e_),
                    grove_leaderboard_len(h_, &u64, &err), grove_leaderboard_free);
    NEW_AFTER_CLOSE(grove_queue, grove_queue_new(db, S("jobs"), 30, 5, &h_, &e_),
                    grove_queue_stats(h_, &qc, &err), grove_queue_free);
    NEW_AFTER_CLOSE(grove_crdt_counter, grove_crdt_counter_new(db, S("crdt:c"), &h_, &e_),
                    grove_crdt_counter_value(h_, &v, &err), grove_crdt_counter_free);
    NEW_AFTER_CLOSE(grove_crdt_register, grove_crdt_register_new(db, S("crdt:r"), &h_, &e_),
                    grove_crdt_register_get(h_, &b, &yes, &err), grove_crdt_register_free);
    NEW_AFTER_CLOSE(grove_crdt_set, grove_crdt_set_new(view, S("crdt:s"), &h_, &e_),
                    grove_crdt_set_len(h_, &u64, &err), grove_crdt_set_free);
    NEW_AFTER_CLOSE(grove_crdt_map, grove_crdt_map_new(db, S("crdt:m"), &h_, &e_),
                    grove_crdt_map_keys(h_, &bl, &err), grove_crdt_map_free);
#undef NEW_AFTER_CLOSE

    /* NULL out-params on a closed store are still INVALID_ARGUMENT (checked first). */
    NUL_ARG(grove_store_get(db, S("kv:plain"), NULL, &yes, &err));
    NUL_ARG(grove_counter_get(fx->hits, NULL, &err));
    grove_store_free(view);
    OK(grove_store_close(peer, &err));
    grove_store_free(peer);
}

/* The documented double-free safety: every _free accepts NULL, and buffers, lists and jobs
 * are reset to empty so freeing them again is harmless. */
static void case_free_safety(fixture *fx) {
    grove_error_free(NULL);
    grove_bytes_free(NULL);
    grove_bytes_list_free(NULL);
    grove_options_free(NULL);
    grove_store_free(NULL);
    grove_keys_free(NULL);
    grove_counter_free(NULL);
    grove_lock_free(NULL);
    grove_ratelimiter_free(NULL);
    grove_sessions_free(NULL);
    grove_leaderboard_free(NULL);
    grove_queue_free(NULL);
    grove_ranked_list_free(NULL);
    grove_job_free(NULL);
    grove_job_list_free(NULL);
    grove_crdt_counter_free(NULL);
    grove_crdt_register_free(NULL);
    grove_crdt_set_free(NULL);
    grove_crdt_map_free(NULL);
    grove_crdt_contribution_list_free(NULL);
    grove_crdt_field_list_free(NULL);

    grove_bytes b = {NULL, 0};
    bool found = false;
    OK(grove_store_get(fx->db, S("kv:plain"), &b, &found, &err));
    CHECK(found && b.len == 5);
    grove_bytes_free(&b);
    CHECK(b.ptr == NULL && b.len == 0);
    grove_bytes_free(&b);

    grove_bytes_list bl = {NULL, 0};
    OK(grove_crdt_set_members(fx->cs, &bl, &err));
    CHECK(bl.len == 3);
    grove_bytes_list_free(&bl);
    CHECK(bl.ptr == NULL && bl.len == 0);
    grove_bytes_list_free(&bl);

    grove_ranked_list rl = {NULL, 0};
    OK(grove_leaderboard_top(fx->lb, 3, &rl, &err));
    CHECK(rl.len == 3);
    grove_ranked_list_free(&rl);
    CHECK(rl.ptr == NULL && rl.len == 0);
    grove_ranked_list_free(&rl);

    grove_crdt_contribution_list cl = {NULL, 0};
    OK(grove_crdt_counter_contributions(fx->cc, &cl, &err));
    CHECK(cl.len == 1);
    grove_crdt_contribution_list_free(&cl);
    CHECK(cl.ptr == NULL && cl.len == 0);
    grove_crdt_contribution_list_free(&cl);

    grove_crdt_field_list fl = {NULL, 0};
    OK(grove_crdt_map_all(fx->cm, &fl, &err));
    CHECK(fl.len == 2);
    grove_crdt_field_list_free(&fl);
    CHECK(fl.ptr == NULL && fl.len == 0);
    grove_crdt_field_list_free(&fl);

    grove_job_list jl = {NULL, 0};
    OK(grove_queue_dead_letters(fx->deadq, &jl, &err));
    grove_job_list_free(&jl);
    CHECK(jl.ptr == NULL && jl.len == 0);
    grove_job_list_free(&jl);

    grove_job job = {0, {NULL, 0}, 0, 0};
    grove_job_free(&job);
    grove_job_free(&job);
    CHECK(job.id == 0 && job.payload.ptr == NULL);

    /* Errors: each failure makes its own object; freeing NULL is fine. */
    grove_error *e1 = NULL, *e2 = NULL;
    CHECK(grove_store_get(fx->db, NULL, 1, &b, &found, &e1) == GROVE_INVALID_ARGUMENT);
    CHECK(grove_store_get(fx->db, NULL, 1, &b, &found, &e2) == GROVE_INVALID_ARGUMENT);
    CHECK(e1 != NULL && e2 != NULL && e1 != e2);
    CHECK(readable(grove_error_message(e1)) && grove_error_status(e2) == GROVE_INVALID_ARGUMENT);
    grove_error_free(e1);
    grove_error_free(e2);

    /* Freeing a store handle while handles made from it live keeps them usable. */
    grove_store *view = NULL;
    grove_counter *c = NULL;
    int64_t v = 0;
    OK(grove_store_namespace(fx->db, S("tmpview"), &view, &err));
    OK(grove_counter_new(view, S("hits"), &c, &err));
    grove_store_free(view);
    OK(grove_counter_get(c, &v, &err));
    CHECK(v == 0);
    grove_counter_free(c);
}

/* Store-level bad input: paths that are files, paths with a NUL, a namespace of a view. */
static void case_bad_paths(fixture *fx) {
    grove_store *db = NULL;
    char file[700];
    snprintf(file, sizeof file, "%s/plain-file", g_tmp);
    FILE *f = fopen(file, "w");
    if (f != NULL) {
        fputs("not a store", f);
        fclose(f);
    }
    EXPECT(GROVE_IO, grove_store_open(S(file), NULL, &db, &err));
    char under[760];
    snprintf(under, sizeof under, "%s/sub", file);
    EXPECT(GROVE_IO, grove_store_open(S(under), NULL, &db, &err));
    INVALID(grove_store_open(B("/tmp/a\0b"), NULL, &db, &err));
    CHECK(db == NULL);
    /* A store path that is this store's own directory shares the engine (no lock error). */
    if (fx->path[0] != '\0') {
        grove_store *again = NULL;
        OK(grove_store_open(S(fx->path), NULL, &again, &err));
        grove_store_free(again); /* freeing a second handle must not close the first */
        bool yes = false;
        OK(grove_store_exists(fx->db, S("kv:plain"), &yes, &err));
        CHECK(yes);
    }
}

/* ---------------------------------------------------------------- main */

static void remove_tree(const char *root) {
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", root);
    }
}

int main(void) {
    const char *base = getenv("TMPDIR");
    snprintf(g_tmp, sizeof g_tmp, "%s/grove-c-bad-XXXXXX", base ? base : "/tmp");
    if (mkdtemp(g_tmp) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    printf("libgrove %s: bad-input matrix\n", grove_version());
    static const struct {
        const char *name;
        case_fn fn;
    } cases[] = {
        {"null_pointers", case_null_pointers},
        {"error_out_null", case_error_out_null},
        {"empty_inputs", case_empty_inputs},
        {"oversized", case_oversized},
        {"bad_doubles", case_bad_doubles},
        {"integer_extremes", case_integer_extremes},
        {"invalid_utf8", case_invalid_utf8},
        {"invalid_json", case_invalid_json},
        {"garbage_merge", case_garbage_merge},
        {"wrong_type", case_wrong_type},
        {"use_after_close", case_use_after_close},
        {"free_safety", case_free_safety},
        {"bad_paths", case_bad_paths},
    };
    static const char *const engines[] = {"memory", "sled"};
    for (size_t e = 0; e < 2; e++) {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            run_case(engines[e], cases[i].name, cases[i].fn);
        }
    }
    remove_tree(g_tmp);
    if (g_known > 0) {
        printf("%d known core bug check(s) reported above (not counted)\n", g_known);
    }
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
