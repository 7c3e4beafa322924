/*
 * C tests of libgrove: every exported function, every error path, threads on one counter.
 *
 * Build: see tests/c/Makefile; run: tests/c/run.sh (also under valgrind and ASan/UBSan).
 * Ends with a line "N passed, M failed" and exits non-zero on any failure.
 *
 * `test_grove --hold PATH` is the helper mode used by the locked-store test: it opens PATH,
 * prints "ready" and holds the store until its stdin is closed.
 */
#include "grove.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- tiny framework */

static int g_passed, g_failed, g_case_failed;
static char g_self[PATH_MAX];
static char g_tmp[512];
static long g_scale = 1; /* divides the work of the thread tests (valgrind runs set 10) */

#define CHECK(cond)                                                               \
    do {                                                                          \
        if (!(cond)) {                                                            \
            g_case_failed = 1;                                                    \
            fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);     \
        }                                                                         \
    } while (0)

/* Checks a status and the error object that came with it; frees the error. */
static void check_status(const char *file, int line, const char *expr, grove_status got,
                         grove_error *err, grove_status want, const char *msg_part) {
    int ok = got == want;
    if (want == GROVE_OK) {
        ok = ok && err == NULL;
    } else {
        ok = ok && err != NULL && grove_error_status(err) == want &&
             strlen(grove_error_message(err)) > 0;
        if (ok && msg_part != NULL) {
            ok = strstr(grove_error_message(err), msg_part) != NULL;
        }
    }
    if (!ok) {
        g_case_failed = 1;
        fprintf(stderr, "  FAIL %s:%d: %s\n    want %s, got %s (%s)%s%s\n", file, line, expr,
                grove_status_name(want), grove_status_name(got),
                err ? grove_error_message(err) : "no error object",
                msg_part ? " expecting message part " : "", msg_part ? msg_part : "");
    }
    grove_error_free(err);
}

/* Runs `call`, which must pass `&err` as its error out-param, and checks its status. */
#define EXPECT(want, call)                                                             \
    do {                                                                               \
        grove_error *err = NULL;                                                       \
        grove_status st_ = (call);                                                     \
        check_status(__FILE__, __LINE__, #call, st_, err, (want), NULL);               \
    } while (0)

/* As EXPECT, and the error message must contain `part`. */
#define EXPECT_MSG(want, part, call)                                                   \
    do {                                                                               \
        grove_error *err = NULL;                                                       \
        grove_status st_ = (call);                                                     \
        check_status(__FILE__, __LINE__, #call, st_, err, (want), (part));             \
    } while (0)

#define OK(call) EXPECT(GROVE_OK, call)
#define INVALID(call) EXPECT(GROVE_INVALID_ARGUMENT, call)

/* A string literal or C string as (ptr, len). */
#define S(s) (const uint8_t *)(s), strlen(s)

static void run_case(const char *name, void (*fn)(void)) {
    g_case_failed = 0;
    fn();
    if (g_case_failed) {
        g_failed++;
        printf("FAIL %s\n", name);
    } else {
        g_passed++;
        printf("ok   %s\n", name);
    }
    fflush(stdout);
}

static int bytes_eq(grove_bytes b, const char *want) {
    size_t n = strlen(want);
    return b.len == n && (n == 0 ? b.ptr == NULL : memcmp(b.ptr, want, n) == 0);
}

static grove_store *open_mem(void) {
    grove_store *db = NULL;
    OK(grove_store_open_memory(NULL, &db, &err));
    return db;
}

/* A fresh directory under the test's temporary root. */
static void fresh_dir(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "%s/%s", g_tmp, name);
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---------------------------------------------------------------- tests */

static void test_version_and_status_names(void) {
    const char *v = grove_version();
    CHECK(v != NULL && strlen(v) >= 5);
    CHECK(strchr(v, '.') != NULL);
    CHECK(grove_abi_version() ==
          (((uint32_t)GROVE_ABI_VERSION_MAJOR << 16) | (uint32_t)GROVE_ABI_VERSION_MINOR));
    static const char *names[] = {"OK",          "NotFound",  "WrongType",  "InvalidArgument",
                                  "Overflow",    "Closed",    "StoreLocked", "LockTimeout",
                                  "ClockDrift",  "Corrupt",   "Io",          "Internal"};
    for (int i = 0; i <= 11; i++) {
        CHECK(strcmp(grove_status_name(i), names[i]) == 0);
    }
    CHECK(strcmp(grove_status_name(12), "Unknown") == 0);
    CHECK(strcmp(grove_status_name(-1), "Unknown") == 0);
    CHECK(GROVE_OK == 0 && GROVE_NOT_FOUND == 1 && GROVE_INTERNAL == 11);
    CHECK(GROVE_STORE_LOCKED == 6 && GROVE_CLOSED == 5 && GROVE_WRONG_TYPE == 2);
}

static void test_free_functions_accept_null(void) {
    grove_error_free(NULL);
    grove_bytes_free(NULL);
    grove_options_free(NULL);
    grove_store_free(NULL);
    grove_keys_free(NULL);
    grove_counter_free(NULL);
    grove_bytes empty = {NULL, 0};
    grove_bytes_free(&empty);
    CHECK(grove_error_status(NULL) == GROVE_OK);
    CHECK(strcmp(grove_error_message(NULL), "") == 0);
}

static void test_error_out_param_may_be_null(void) {
    grove_store *db = open_mem();
    grove_bytes v = {NULL, 0};
    bool found = true;
    /* Failure without an error object: only the status comes back. */
    CHECK(grove_store_get(db, NULL, 3, &v, &found, NULL) == GROVE_INVALID_ARGUMENT);
    CHECK(grove_store_get(db, S("missing"), &v, &found, NULL) == GROVE_OK);
    CHECK(!found && v.ptr == NULL && v.len == 0);
    /* The error object names the NULL argument. */
    EXPECT_MSG(GROVE_INVALID_ARGUMENT, "out_found", grove_store_get(db, S("k"), &v, NULL, &err));
    EXPECT_MSG(GROVE_INVALID_ARGUMENT, "store", grove_store_get(NULL, S("k"), &v, &found, &err));
    OK(grove_store_close(db, &err));
    grove_store_free(db);
}

static void test_options(void) {
    grove_options *opts = NULL;
    INVALID(grove_options_new(NULL, &err));
    OK(grove_options_new(&opts, &err));
    CHECK(opts != NULL);
    OK(grove_options_set_node_id(opts, S("node-a.1:x_y"), &err));
    INVALID(grove_options_set_node_id(opts, S(""), &err));
    INVALID(grove_options_set_node_id(opts, S("has space"), &err));
    INVALID(grove_options_set_node_id(opts, S("0123456789012345678901234567890123456789"
                                              "0123456789012345678901234567890123456789"),
                                      &err));
    INVALID(grove_options_set_node_id(opts, (const uint8_t *)"\xff\xfe", 2, &err));
    INVALID(grove_options_set_node_id(NULL, S("n"), &err));
    INVALID(grove_options_set_node_id(opts, NULL, 1, &err));
    OK(grove_options_set_durability(opts, GROVE_DURABILITY_PERIODIC, 100, &err));
    OK(grove_options_set_durability(opts, GROVE_DURABILITY_EVERY_WRITE, 0, &err));
    INVALID(grove_options_set_durability(opts, GROVE_DURABILITY_PERIODIC, 0, &err));
    INVALID(grove_options_set_durability(opts, 7, 10, &err));
    INVALID(grove_options_set_durability(NULL, GROVE_DURABILITY_PERIODIC, 10, &err));

    grove_store *db = NULL;
    OK(grove_store_open_memory(opts, &db, &err));
    grove_bytes id = {NULL, 0};
    OK(grove_store_node_id(db, &id, &err));
    CHECK(bytes_eq(id, "node-a.1:x_y"));
    grove_bytes_free(&id);
    CHECK(id.ptr == NULL && id.len == 0);
    grove_bytes_free(&id); /* freeing the reset struct again is harmless */
    OK(grove_store_close(db, &err));
    grove_store_free(db);
    grove_options_free(opts);
}

static void test_open_memory_and_inspect(void) {
    grove_store *db = NULL;
    INVALID(grove_store_open_memory(NULL, NULL, &err));
    OK(grove_store_open_memory(NULL, &db, &err));
    grove_bytes id = {NULL, 0}, path = {NULL, 0};
    OK(grove_store_node_id(db, &id, &err));
    CHECK(id.len == 16); /* generated: 8 random bytes as hex */
    grove_bytes_free(&id);
    OK(grove_store_path(db, &path, &err));
    CHECK(path.ptr == NULL && path.len == 0);
    uint64_t size = 1;
    OK(grove_store_size_on_disk(db, &size, &err));
    CHECK(size == 0);
    bool closed = true;
    OK(grove_store_is_closed(db, &closed, &err));
    CHECK(!closed);
    OK(grove_store_flush(db, &err));
    INVALID(grove_store_node_id(NULL, &id, &err));
    INVALID(grove_store_node_id(db, NULL, &err));
    INVALID(grove_store_path(NULL, &path, &err));
    INVALID(grove_store_path(db, NULL, &err));
    INVALID(grove_store_size_on_disk(NULL, &size, &err));
    INVALID(grove_store_size_on_disk(db, NULL, &err));
    INVALID(grove_store_is_closed(NULL, &closed, &err));
    INVALID(grove_store_is_closed(db, NULL, &err));
    INVALID(grove_store_flush(NULL, &err));
    INVALID(grove_store_close(NULL, &err));
    OK(grove_store_close(db, &err));
    OK(grove_store_is_closed(db, &closed, &err));
    CHECK(closed);
    grove_store_free(db);
}

static void test_kv_basics(void) {
    grove_store *db = open_mem();
    grove_bytes v = {NULL, 0};
    bool found = false, yes = false;
    grove_kind kind = GROVE_KIND_BYTES;

    OK(grove_store_set(db, S("greeting"), S("hello"), NULL, &err));
    OK(grove_store_get(db, S("greeting"), &v, &found, &err));
    CHECK(found && bytes_eq(v, "hello"));
    grove_bytes_free(&v);
    OK(grove_store_set(db, S("greeting"), S("bye"), NULL, &err));
    OK(grove_store_get(db, S("greeting"), &v, &found, &err));
    CHECK(found && bytes_eq(v, "bye"));
    grove_bytes_free(&v);

    /* Binary keys and values with NUL bytes; an empty value is found and empty. */
    const uint8_t bkey[] = {0, 1, 2, 0xff};
    const uint8_t bval[] = {0xde, 0, 0xad};
    OK(grove_store_set(db, bkey, sizeof bkey, bval, sizeof bval, NULL, &err));
    OK(grove_store_get(db, bkey, sizeof bkey, &v, &found, &err));
    CHECK(found && v.len == 3 && memcmp(v.ptr, bval, 3) == 0);
    grove_bytes_free(&v);
    OK(grove_store_set(db, S("empty"), NULL, 0, NULL, &err));
    found = false;
    OK(grove_store_get(db, S("empty"), &v, &found, &err));
    CHECK(found && v.len == 0 && v.ptr == NULL);

    OK(grove_store_exists(db, S("greeting"), &yes, &err));
    CHECK(yes);
    OK(grove_store_kind_of(db, S("greeting"), &kind, &err));
    CHECK(kind == GROVE_KIND_BYTES);
    OK(grove_store_delete(db, S("greeting"), &yes, &err));
    CHECK(yes);
    OK(grove_store_delete(db, S("greeting"), &yes, &err));
    CHECK(!yes);
    OK(grove_store_exists(db, S("greeting"), &yes, &err));
    CHECK(!yes);
    OK(grove_store_kind_of(db, S("greeting"), &kind, &err));
    CHECK(kind == GROVE_KIND_NONE);
    OK(grove_store_get(db, S("greeting"), &v, &found, &err));
    CHECK(!found && v.ptr == NULL);

    /* Bad keys and buffers: nothing stored. */
    char big[1100];
    memset(big, 'k', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    INVALID(grove_store_set(db, S(""), S("v"), NULL, &err));
    INVALID(grove_store_set(db, S(big), S("v"), NULL, &err));
    INVALID(grove_store_set(db, S("k"), NULL, 5, NULL, &err));
    INVALID(grove_store_get(db, S(""), &v, &found, &err));
    INVALID(grove_store_exists(db, S(big), &yes, &err));

    /* NULL handle and NULL out-params. */
    INVALID(grove_store_get(NULL, S("k"), &v, &found, &err));
    INVALID(grove_store_get(db, NULL, 1, &v, &found, &err));
    INVALID(grove_store_get(db, S("k"), NULL, &found, &err));
    INVALID(grove_store_get(db, S("k"), &v, NULL, &err));
    INVALID(grove_store_set(NULL, S("k"), S("v"), NULL, &err));
    INVALID(grove_store_set(db, NULL, 1, S("v"), NULL, &err));
    INVALID(grove_store_delete(NULL, S("k"), &yes, &err));
    INVALID(grove_store_delete(db, NULL, 1, &yes, &err));
    INVALID(grove_store_delete(db, S("k"), NULL, &err));
    INVALID(grove_store_exists(NULL, S("k"), &yes, &err));
    INVALID(grove_store_exists(db, NULL, 1, &yes, &err));
    INVALID(grove_store_exists(db, S("k"), NULL, &err));
    INVALID(grove_store_kind_of(NULL, S("k"), &kind, &err));
    INVALID(grove_store_kind_of(db, NULL, 1, &kind, &err));
    INVALID(grove_store_kind_of(db, S("k"), NULL, &err));

    OK(grove_store_close(db, &err));
    grove_store_free(db);
}

static void test_ttl(void) {
    grove_store *db = open_mem();
    grove_bytes v = {NULL, 0};
    bool found = false, has = false, yes = false;
    double secs = -1;
    double ttl = 0.4, neg = -1.0, zero = 0.0, nan_v = NAN, inf_v = INFINITY, hour = 3600;

    OK(grove_store_set(db, S("t"), S("v"), &ttl, &err));
    OK(grove_store_ttl(db, S("t"), &secs, &has, &err));
    CHECK(has && secs > 0.0 && secs <= 0.4);
    OK(grove_store_set(db, S("p"), S("v"), NULL, &err));
    OK(grove_store_ttl(db, S("p"), &secs, &has, &err));
    CHECK(!has && secs == 0.0);
    EXPECT(GROVE_NOT_FOUND, grove_store_ttl(db, S("absent"), &secs, &has, &err));

    /* Invalid TTLs: nothing is stored. */
    INVALID(grove_store_set(db, S("bad"), S("v"), &neg, &err));
    INVALID(grove_store_set(db, S("bad"), S("v"), &zero, &err));
    INVALID(grove_store_set(db, S("bad"), S("v"), &nan_v, &err));
    INVALID(grove_store_set(db, S("bad"), S("v"), &inf_v, &err));
    OK(grove_store_exists(db, S("bad"), &yes, &err));
    CHECK(!yes);
    INVALID(grove_store_expire(db, S("p"), -0.5, &found, &err));
    INVALID(grove_store_expire(db, S("p"), NAN, &found, &err));
    INVALID(grove_store_expire(db, S("p"), INFINITY, &found, &err));

    /* expire / persist */
    OK(grove_store_expire(db, S("p"), hour, &found, &err));
    CHECK(found);
    OK(grove_store_ttl(db, S("p"), &secs, &has, &err));
    CHECK(has && secs > 3500 && secs <= 3600);
    OK(grove_store_persist(db, S("p"), &yes, &err));
    CHECK(yes);
    OK(grove_store_persist(db, S("p"), &yes, &err));
    CHECK(!yes);
    OK(grove_store_expire(db, S("absent"), 1.0, &found, &err));
    CHECK(!found);
    OK(grove_store_expire(db, S("p"), 0.0, &found, &err)); /* 0 deletes at once */
    CHECK(found);
    OK(grove_store_exists(db, S("p"), &yes, &err));
    CHECK(!yes);

    /* Expired keys are invisible at once and purged later. */
    double short_ttl = 0.05;
    OK(grove_store_set(db, S("gone1"), S("v"), &short_ttl, &err));
    OK(grove_store_set(db, S("gone2"), S("v"), &short_ttl, &err));
    sleep_ms(600);
    OK(grove_store_get(db, S("t"), &v, &found, &err));
    CHECK(!found);
    OK(grove_store_exists(db, S("gone1"), &yes, &err));
    CHECK(!yes);
    uint64_t purged = 0;
    OK(grove_store_purge_expired(db, &purged, &err));
    CHECK(purged >= 1); /* gone2 for sure; t and gone1 may have been reclaimed on read */
    OK(grove_store_purge_expired(db, &purged, &err));
    CHECK(purged == 0);

    INVALID(grove_store_ttl(NULL, S("k"), &secs, &has, &err));
    INVALID(grove_store_ttl(db, NULL, 1, &secs, &has, &err));
    INVALID(grove_store_ttl(db, S("k"), NULL, &has, &err));
    INVALID(grove_store_ttl(db, S("k"), &secs, NULL, &err));
    INVALID(grove_store_expire(NULL, S("k"), 1.0, &found, &err));
    INVALID(grove_store_expire(db, NULL, 1, 1.0, &found, &err));
    INVALID(grove_store_expire(db, S("k"), 1.0, NULL, &err));
    INVALID(grove_store_persist(NULL, S("k"), &yes, &err));
    INVALID(grove_store_persist(db, NULL, 1, &yes, &err));
    INVALID(grove_store_persist(db, S("k"), NULL, &err));
    INVALID(grove_store_purge_expired(NULL, &purged, &err));
    INVALID(grove_store_purge_expired(db, NULL, &err));

    OK(grove_store_close(db, &err));
    grove_store_free(db);
}

/* Collects every key of an iterator as "a,b,c". */
static void collect_keys(grove_keys *it, char *out, size_t cap) {
    out[0] = '\0';
    for (;;) {
        grove_bytes k = {NULL, 0};
        bool has = false;
        grove_error *err = NULL;
        if (grove_keys_next(it, &k, &has, &err) != GROVE_OK) {
            fprintf(stderr, "  keys_next failed: %s\n", grove_error_message(err));
            grove_error_free(err);
            g_case_failed = 1;
            return;
        }
        if (!has) {
            CHECK(k.ptr == NULL && k.len == 0);
            return;
        }
        if (out[0] != '\0') {
            strncat(out, ",", cap - strlen(out) - 1);
        }
        strncat(out, (const char *)k.ptr, k.len < cap - strlen(out) - 1 ? k.len : cap - strlen(out) - 1);
        grove_bytes_free(&k);
    }
}

static void test_keys_and_namespaces(void) {
    grove_store *db = open_mem();
    grove_store *ns = NULL;
    grove_keys *it = NULL;
    char buf[512];

    OK(grove_store_set(db, S("user:2"), S("b"), NULL, &err));
    OK(grove_store_set(db, S("user:1"), S("a"), NULL, &err));
    OK(grove_store_set(db, S("other"), S("c"), NULL, &err));
    OK(grove_store_keys(db, S("user:"), &it, &err));
    collect_keys(it, buf, sizeof buf);
    CHECK(strcmp(buf, "user:1,user:2") == 0);
    grove_keys_free(it);

    OK(grove_store_namespace(db, S("tenant-a"), &ns, &err));
    OK(grove_store_set(ns, S("user:9"), S("z"), NULL, &err));
    OK(grove_store_keys(ns, NULL, 0, &it, &err));
    collect_keys(it, buf, sizeof buf);
    CHECK(strcmp(buf, "user:9") == 0);
    grove_keys_free(it);
    OK(grove_store_keys(db, NULL, 0, &it, &err));
    collect_keys(it, buf, sizeof buf);
    CHECK(strcmp(buf, "other,tenant-a:user:9,user:1,user:2") == 0);
    grove_keys_free(it);

    /* A namespaced counter lives under the view's prefix. */
    grove_counter *c = NULL;
    int64_t val = 0;
    OK(grove_counter_new(ns, S("hits"), &c, &err));
    OK(grove_counter_increment(c, 2, &val, &err));
    CHECK(val == 2);
    grove_counter_free(c);
    bool yes = false;
    OK(grove_store_exists(db, S("tenant-a:counter:hits"), &yes, &err));
    CHECK(yes);

    /* Many keys cross the iterator's page size. */
    char key[32];
    for (int i = 0; i < 600; i++) {
        snprintf(key, sizeof key, "bulk:%04d", i);
        OK(grove_store_set(db, S(key), S("x"), NULL, &err));
    }
    OK(grove_store_keys(db, S("bulk:"), &it, &err));
    int n = 0;
    for (;;) {
        grove_bytes k = {NULL, 0};
        bool has = false;
        OK(grove_keys_next(it, &k, &has, &err));
        if (!has) {
            break;
        }
        snprintf(key, sizeof key, "bulk:%04d", n);
        CHECK(k.len == strlen(key) && memcmp(k.ptr, key, k.len) == 0);
        grove_bytes_free(&k);
        n++;
    }
    CHECK(n == 600);
    grove_keys_free(it);

    /* Errors. */
    grove_bytes k = {NULL, 0};
    bool has = false;
    INVALID(grove_store_namespace(db, S(""), &ns, &err));
    INVALID(grove_store_namespace(db, (const uint8_t *)"\xc3\x28", 2, &ns, &err));
    INVALID(grove_store_namespace(NULL, S("x"), &ns, &err));
    INVALID(grove_store_namespace(db, NULL, 1, &ns, &err));
    INVALID(grove_store_namespace(db, S("x"), NULL, &err));
    INVALID(grove_store_keys(NULL, S("x"), &it, &err));
    INVALID(grove_store_keys(db, NULL, 2, &it, &err));
    INVALID(grove_store_keys(db, S("x"), NULL, &err));
    INVALID(grove_keys_next(NULL, &k, &has, &err));
    OK(grove_store_keys(db, S("x"), &it, &err));
    INVALID(grove_keys_next(it, NULL, &has, &err));
    INVALID(grove_keys_next(it, &k, NULL, &err));
    grove_keys_free(it);

    grove_store_free(ns); /* freeing a view does not close the store */
    OK(grove_store_exists(db, S("other"), &yes, &err));
    CHECK(yes);
    OK(grove_store_close(db, &err));
    grove_store_free(db);
}

static void test_get_many_set_many(void) {
    grove_store *db = open_mem();
    grove_pair items[3] = {
        {{(const uint8_t *)"a", 1}, {(const uint8_t *)"1", 1}},
        {{(const uint8_t *)"b", 1}, {(const uint8_t *)"22", 2}},
        {{(const uint8_t *)"c", 1}, {NULL, 0}},
    };
    OK(grove_store_set_many(db, items, 3, NULL, &err));
    grove_slice keys[4] = {{(const uint8_t *)"a", 1},
                           {(const uint8_t *)"missing", 7},
                           {(const uint8_t *)"b", 1},
                           {(const uint8_t *)"c", 1}};
    grove_bytes vals[4];
    bool found[4];
    OK(grove_store_get_many(db, keys, 4, vals, found, &err));
    CHECK(found[0] && bytes_eq(vals[0], "1"));
    CHECK(!found[1] && vals[1].ptr == NULL && vals[1].len == 0);
    CHECK(found[2] && bytes_eq(vals[2], "22"));
    CHECK(found[3] && vals[3].len == 0);
    for (int i = 0; i < 4; i++) {
        grove_bytes_free(&vals[i]);
    }

    /* Zero items with NULL arrays is fine; NULL arrays with items are not. */
    OK(grove_store_set_many(db, NULL, 0, NULL, &err));
    OK(grove_store_get_many(db, NULL, 0, NULL, NULL, &err));
    INVALID(grove_store_set_many(db, NULL, 2, NULL, &err));
    INVALID(grove_store_get_many(db, NULL, 2, vals, found, &err));
    INVALID(grove_store_get_many(db, keys, 2, NULL, found, &err));
    INVALID(grove_store_get_many(db, keys, 2, vals, NULL, &err));
    INVALID(grove_store_get_many(NULL, keys, 2, vals, found, &err));
    INVALID(grove_store_set_many(NULL, items, 3, NULL, &err));
    grove_slice bad_keys[2] = {{(const uint8_t *)"a", 1}, {NULL, 4}};
    INVALID(grove_store_get_many(db, bad_keys, 2, vals, found, &err));
    grove_slice empty_key[1] = {{(const uint8_t *)"", 0}};
    INVALID(grove_store_get_many(db, empty_key, 1, vals, found, &err));

    /* With a TTL, and invalid TTLs. */
    double ttl = 60, neg = -2;
    grove_pair ttl_items[1] = {{{(const uint8_t *)"ttl-a", 5}, {(const uint8_t *)"x", 1}}};
    OK(grove_store_set_many(db, ttl_items, 1, &ttl, &err));
    double secs = 0;
    bool has = false;
    OK(grove_store_ttl(db, S("ttl-a"), &secs, &has, &err));
    CHECK(has && secs > 59 && secs <= 60);
    INVALID(grove_store_set_many(db, ttl_items, 1, &neg, &err));

    /* Atomic: a wrong-typed key fails the whole batch. */
    grove_counter *c = NULL;
    int64_t val = 0;
    OK(grove_counter_new(db, S("n"), &c, &err));
    OK(grove_counter_increment(c, 1, &val, &err));
    grove_pair mixed[2] = {
        {{(const uint8_t *)"fresh", 5}, {(const uint8_t *)"x", 1}},
        {{(const uint8_t *)"counter:n", 9}, {(const uint8_t *)"y", 1}},
    };
    EXPECT(GROVE_WRONG_TYPE, grove_store_set_many(db, mixed, 2, NULL, &err));
    bool yes = true;
    OK(grove_store_exists(db, S("fresh"), &yes, &err));
    CHECK(!yes);
    grove_slice with_counter[2] = {{(const uint8_t *)"a", 1}, {(const uint8_t *)"counter:n", 9}};
    EXPECT(GROVE_WRONG_TYPE, grove_store_get_many(db, with_counter, 2, vals, found, &err));
    grove_counter_free(c);

    OK(grove_store_close(db, &err));
    grove_store_free(db);
}

static void test_counter(void) {
    grove_store *db = open_mem();
    grove_counter *c = NULL;
    int64_t v = -1;
    OK(grove_counter_new(db, S("visitors"), &c, &err));
    OK(grove_counter_get(c, &v, &err));
    CHECK(v == 0);
    OK(grove_counter_increment(c, 1, &v, &err));
    CHECK(v == 1);
    OK(grove_counter_increment(c, 5, &v, &err));
    CHECK(v == 6);
    OK(grove_counter_decrement(c, 2, &v, &err));
    CHECK(v == 4);
    OK(grove_counter_decrement(c, 10, &v, &err));
    CHECK(v == -6);
    OK(grove_counter_set(c, 1000, &err));
    OK(grove_counter_get(c, &v, &err));
    CHECK(v == 1000);
    OK(grove_counter_reset(c, &err));
    OK(grove_counter_get(c, &v, &err));
    CHECK(v == 0);
    grove_kind kind = GROVE_KIND_NONE;
    OK(grove_store_kind_of(db, S("counter:visitors"), &kind, &err));
    CHECK(kind == GROVE_KIND_COUNTER);

    /* Overflow is an error and changes nothing. */
    OK(grove_counter_set(c, INT64_MAX, &err));
    EXPECT(GROVE_OVERFLOW, grove_counter_increment(c, 1, &v, &err));
    OK(grove_counter_get(c, &v, &err));
    CHECK(v == INT64_MAX);
    OK(grove_counter_set(c, INT64_MIN, &err));
    EXPECT(GROVE_OVERFLOW, grove_counter_decrement(c, 1, &v, &err));
    EXPECT(GROVE_OVERFLOW, grove_counter_decrement(c, INT64_MIN, &v, &err));
    OK(grove_counter_get(c, &v, &err));
    CHECK(v == INT64_MIN);

    /* Wrong type both ways. */
    grove_bytes b = {NULL, 0};
    bool found = false;
    EXPECT_MSG(GROVE_WRONG_TYPE, "counter", grove_store_get(db, S("counter:visitors"), &b, &found, &err));
    EXPECT(GROVE_WRONG_TYPE, grove_store_set(db, S("counter:visitors"), S("x"), NULL, &err));
    OK(grove_store_set(db, S("counter:text"), S("hello"), NULL, &err));
    grove_counter *t = NULL;
    OK(grove_counter_new(db, S("text"), &t, &err));
    EXPECT(GROVE_WRONG_TYPE, grove_counter_increment(t, 1, &v, &err));
    EXPECT(GROVE_WRONG_TYPE, grove_counter_get(t, &v, &err));
    EXPECT(GROVE_WRONG_TYPE, grove_counter_set(t, 3, &err));
    EXPECT(GROVE_WRONG_TYPE, grove_counter_reset(t, &err));
    EXPECT(GROVE_WRONG_TYPE, grove_counter_decrement(t, 1, &v, &err));
    OK(grove_store_get(db, S("counter:text"), &b, &found, &err));
    CHECK(found && bytes_eq(b, "hello"));
    grove_bytes_free(&b);
    grove_counter_free(t);

    /* Bad arguments. */
    grove_counter *x = NULL;
    INVALID(grove_counter_new(db, S(""), &x, &err));
    INVALID(grove_counter_new(db, (const uint8_t *)"\xff", 1, &x, &err));
    INVALID(grove_counter_new(NULL, S("a"), &x, &err));
    INVALID(grove_counter_new(db, NULL, 1, &x, &err));
    INVALID(grove_counter_new(db, S("a"), NULL, &err));
    INVALID(grove_counter_increment(NULL, 1, &v, &err));
    INVALID(grove_counter_increment(c, 1, NULL, &err));
    INVALID(grove_counter_decrement(NULL, 1, &v, &err));
    INVALID(grove_counter_decrement(c, 1, NULL, &err));
    INVALID(grove_counter_get(NULL, &v, &err));
    INVALID(grove_counter_get(c, NULL, &err));
    INVALID(grove_counter_set(NULL, 1, &err));
    INVALID(grove_counter_reset(NULL, &err));

    grove_counter_free(c);
    OK(grove_store_close(db, &err));
    grove_store_free(db);
}

static void test_closed_store(void) {
    grove_store *db = open_mem();
    grove_store *view = NULL;
    grove_counter *c = NULL;
    grove_keys *it = NULL;
    OK(grove_store_namespace(db, S("ns"), &view, &err));
    OK(grove_counter_new(db, S("c"), &c, &err));
    OK(grove_store_set(db, S("k"), S("v"), NULL, &err));
    OK(grove_store_keys(db, NULL, 0, &it, &err));
    OK(grove_store_close(view, &err)); /* closing a view closes the whole handle */
    OK(grove_store_close(db, &err));   /* closing twice is fine */

    grove_bytes b = {NULL, 0};
    bool yes = false, has = false;
    int64_t v = 0;
    double secs = 0;
    uint64_t n = 0;
    grove_kind kind;
    grove_store *ns2 = NULL;
    grove_keys *it2 = NULL;
    double ttl = 1;
    grove_pair items[1] = {{{(const uint8_t *)"a", 1}, {(const uint8_t *)"b", 1}}};
    grove_slice keys[1] = {{(const uint8_t *)"a", 1}};
    bool found[1];
    grove_bytes vals[1];

    EXPECT(GROVE_CLOSED, grove_store_get(db, S("k"), &b, &yes, &err));
    EXPECT(GROVE_CLOSED, grove_store_get(view, S("k"), &b, &yes, &err));
    EXPECT(GROVE_CLOSED, grove_store_set(db, S("k"), S("v"), NULL, &err));
    EXPECT(GROVE_CLOSED, grove_store_set(db, S("k"), S("v"), &ttl, &err));
    EXPECT(GROVE_CLOSED, grove_store_delete(db, S("k"), &yes, &err));
    EXPECT(GROVE_CLOSED, grove_store_exists(db, S("k"), &yes, &err));
    EXPECT(GROVE_CLOSED, grove_store_kind_of(db, S("k"), &kind, &err));
    EXPECT(GROVE_CLOSED, grove_store_expire(db, S("k"), 1.0, &yes, &err));
    EXPECT(GROVE_CLOSED, grove_store_persist(db, S("k"), &yes, &err));
    EXPECT(GROVE_CLOSED, grove_store_ttl(db, S("k"), &secs, &has, &err));
    EXPECT(GROVE_CLOSED, grove_store_get_many(db, keys, 1, vals, found, &err));
    EXPECT(GROVE_CLOSED, grove_store_set_many(db, items, 1, NULL, &err));
    EXPECT(GROVE_CLOSED, grove_store_purge_expired(db, &n, &err));
    EXPECT(GROVE_CLOSED, grove_store_keys(db, NULL, 0, &it2, &err));
    EXPECT(GROVE_CLOSED, grove_keys_next(it, &b, &has, &err));
    EXPECT(GROVE_CLOSED, grove_store_namespace(db, S("x"), &ns2, &err));
    EXPECT(GROVE_CLOSED, grove_store_flush(db, &err));
    EXPECT(GROVE_CLOSED, grove_store_node_id(db, &b, &err));
    EXPECT(GROVE_CLOSED, grove_store_path(db, &b, &err));
    EXPECT(GROVE_CLOSED, grove_store_size_on_disk(db, &n, &err));
    EXPECT(GROVE_CLOSED, grove_counter_increment(c, 1, &v, &err));
    EXPECT(GROVE_CLOSED, grove_counter_decrement(c, 1, &v, &err));
    EXPECT(GROVE_CLOSED, grove_counter_get(c, &v, &err));
    EXPECT(GROVE_CLOSED, grove_counter_set(c, 1, &err));
    EXPECT(GROVE_CLOSED, grove_counter_reset(c, &err));
    grove_counter *c2 = NULL;
    if (grove_counter_new(db, S("later"), &c2, NULL) == GROVE_OK) {
        EXPECT(GROVE_CLOSED, grove_counter_increment(c2, 1, &v, &err));
        grove_counter_free(c2);
    }
    OK(grove_store_is_closed(view, &yes, &err));
    CHECK(yes);
    OK(grove_store_close(db, &err));

    grove_keys_free(it);
    grove_counter_free(c);
    grove_store_free(view);
    grove_store_free(db);
}

static void test_disk_store_persists(void) {
    char dir[PATH_MAX];
    fresh_dir(dir, sizeof dir, "persist");
    grove_options *opts = NULL;
    OK(grove_options_new(&opts, &err));
    OK(grove_options_set_node_id(opts, S("disk-node"), &err));
    OK(grove_options_set_durability(opts, GROVE_DURABILITY_EVERY_WRITE, 0, &err));
    grove_store *db = NULL, *again = NULL;
    OK(grove_store_open(S(dir), opts, &db, &err));
    grove_options_free(opts);

    /* The same path twice in one process shares the engine. */
    OK(grove_store_open(S(dir), NULL, &again, &err));
    OK(grove_store_set(db, S("k"), S("v1"), NULL, &err));
    grove_bytes b = {NULL, 0};
    bool found = false;
    OK(grove_store_get(again, S("k"), &b, &found, &err));
    CHECK(found && bytes_eq(b, "v1"));
    grove_bytes_free(&b);
    OK(grove_store_close(again, &err)); /* the other handle stays open */
    grove_store_free(again);

    grove_counter *c = NULL;
    int64_t v = 0;
    OK(grove_counter_new(db, S("visits"), &c, &err));
    OK(grove_counter_increment(c, 41, &v, &err));
    OK(grove_counter_increment(c, 1, &v, &err));
    CHECK(v == 42);
    grove_counter_free(c);
    OK(grove_store_flush(db, &err));
    uint64_t size = 0;
    OK(grove_store_size_on_disk(db, &size, &err));
    CHECK(size > 0);
    grove_bytes path = {NULL, 0};
    OK(grove_store_path(db, &path, &err));
    CHECK(path.len > 0 && memmem(path.ptr, path.len, "persist", 7) != NULL);
    grove_bytes_free(&path);
    OK(grove_store_close(db, &err));
    grove_store_free(db);

    /* Reopen: data and node id survived. */
    OK(grove_store_open(S(dir), NULL, &db, &err));
    OK(grove_store_get(db, S("k"), &b, &found, &err));
    CHECK(found && bytes_eq(b, "v1"));
    grove_bytes_free(&b);
    grove_bytes id = {NULL, 0};
    OK(grove_store_node_id(db, &id, &err));
    CHECK(bytes_eq(id, "disk-node"));
    grove_bytes_free(&id);
    OK(grove_counter_new(db, S("visits"), &c, &err));
    OK(grove_counter_get(c, &v, &err));
    CHECK(v == 42);
    grove_counter_free(c);
    grove_store_free(db); /* free without close: the last reference closes it */

    /* Bad paths. */
    INVALID(grove_store_open(S(""), NULL, &db, &err));
    INVALID(grove_store_open((const uint8_t *)"/tmp/\xff\xfe", 7, NULL, &db, &err));
    INVALID(grove_store_open(NULL, 3, NULL, &db, &err));
    INVALID(grove_store_open(S(dir), NULL, NULL, &err));
    char file[PATH_MAX];
    fresh_dir(file, sizeof file, "plain-file");
    FILE *f = fopen(file, "w");
    if (f) {
        fputs("x", f);
        fclose(f);
    }
    EXPECT(GROVE_IO, grove_store_open(S(file), NULL, &db, &err));
}

/* Starts `self --hold dir`; returns its pid and the write end of its stdin, after "ready". */
static pid_t spawn_holder(const char *dir, int *stdin_w) {
    int to_child[2], from_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0) {
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(to_child[0], 0);
        dup2(from_child[1], 1);
        close(to_child[0]);
        close(to_child[1]);
        close(from_child[0]);
        close(from_child[1]);
        execl(g_self, g_self, "--hold", dir, (char *)NULL);
        _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    char line[64] = {0};
    ssize_t got = 0, r;
    while (got < (ssize_t)sizeof line - 1 &&
           (r = read(from_child[0], line + got, sizeof line - 1 - (size_t)got)) > 0) {
        got += r;
        if (strchr(line, '\n')) {
            break;
        }
    }
    close(from_child[0]);
    *stdin_w = to_child[1];
    if (strncmp(line, "ready", 5) != 0) {
        fprintf(stderr, "  holder said: %s\n", line);
        return -1;
    }
    return pid;
}

static int hold_main(const char *dir) {
    grove_store *db = NULL;
    grove_error *err = NULL;
    if (grove_store_open(S(dir), NULL, &db, &err) != GROVE_OK) {
        printf("error %s\n", grove_error_message(err));
        grove_error_free(err);
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    char buf[16];
    while (read(0, buf, sizeof buf) > 0) {
    }
    grove_store_close(db, NULL);
    grove_store_free(db);
    return 0;
}

static void test_locked_store(void) {
    char dir[PATH_MAX];
    fresh_dir(dir, sizeof dir, "locked");
    int stdin_w = -1;
    pid_t pid = spawn_holder(dir, &stdin_w);
    CHECK(pid > 0);
    if (pid <= 0) {
        return;
    }
    grove_store *db = NULL;
    EXPECT_MSG(GROVE_STORE_LOCKED, "locked", grove_store_open(S(dir), NULL, &db, &err));
    CHECK(db == NULL);
    close(stdin_w); /* the holder closes the store and exits */
    int wstatus = 0;
    CHECK(waitpid(pid, &wstatus, 0) == pid && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
    OK(grove_store_open(S(dir), NULL, &db, &err));
    OK(grove_store_close(db, &err));
    grove_store_free(db);
}

#define THREADS 8

struct worker {
    grove_counter *counter;
    long iterations;
    int failures;
};

static void *increment_worker(void *arg) {
    struct worker *w = arg;
    for (long i = 0; i < w->iterations; i++) {
        int64_t v;
        grove_error *err = NULL;
        if (grove_counter_increment(w->counter, 1, &v, &err) != GROVE_OK) {
            w->failures++;
            grove_error_free(err);
        }
    }
    return NULL;
}

static void hammer(grove_store *db, long per_thread) {
    grove_counter *c = NULL;
    OK(grove_counter_new(db, S("hits"), &c, &err));
    pthread_t threads[THREADS];
    struct worker workers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i].counter = c; /* one handle shared by every thread */
        workers[i].iterations = per_thread;
        workers[i].failures = 0;
        CHECK(pthread_create(&threads[i], NULL, increment_worker, &workers[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        CHECK(workers[i].failures == 0);
    }
    int64_t v = 0;
    OK(grove_counter_get(c, &v, &err));
    CHECK(v == (int64_t)THREADS * per_thread);
    if (v != (int64_t)THREADS * per_thread) {
        fprintf(stderr, "  counter is %lld, want %lld\n", (long long)v,
                (long long)THREADS * per_thread);
    }
    grove_counter_free(c);
}

static void test_threads_memory(void) {
    grove_store *db = open_mem();
    hammer(db, 20000 / g_scale);
    OK(grove_store_close(db, &err));
    grove_store_free(db);
}

static void test_threads_disk(void) {
    char dir[PATH_MAX];
    fresh_dir(dir, sizeof dir, "threads");
    grove_store *db = NULL;
    OK(grove_store_open(S(dir), NULL, &db, &err));
    if (db != NULL) {
        hammer(db, 5000 / g_scale);
        OK(grove_store_close(db, &err));
    }
    grove_store_free(db);
}

static void remove_tree(const char *root) {
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", root);
    }
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--hold") == 0) {
        return hold_main(argv[2]);
    }
    if (realpath(argv[0], g_self) == NULL) {
        perror("realpath");
        return 2;
    }
    const char *scale = getenv("GROVE_TEST_SCALE");
    if (scale != NULL && atol(scale) > 0) {
        g_scale = atol(scale);
    }
    const char *base = getenv("TMPDIR");
    snprintf(g_tmp, sizeof g_tmp, "%s/grove-c-test-XXXXXX", base ? base : "/tmp");
    if (mkdtemp(g_tmp) == NULL) {
        perror("mkdtemp");
        return 2;
    }

    printf("libgrove %s (ABI %u.%u)\n", grove_version(), GROVE_ABI_VERSION_MAJOR,
           GROVE_ABI_VERSION_MINOR);
    run_case("version_and_status_names", test_version_and_status_names);
    run_case("free_functions_accept_null", test_free_functions_accept_null);
    run_case("error_out_param_may_be_null", test_error_out_param_may_be_null);
    run_case("options", test_options);
    run_case("open_memory_and_inspect", test_open_memory_and_inspect);
    run_case("kv_basics", test_kv_basics);
    run_case("ttl", test_ttl);
    run_case("keys_and_namespaces", test_keys_and_namespaces);
    run_case("get_many_set_many", test_get_many_set_many);
    run_case("counter", test_counter);
    run_case("closed_store", test_closed_store);
    run_case("disk_store_persists", test_disk_store_persists);
    run_case("locked_store", test_locked_store);
    run_case("threads_memory", test_threads_memory);
    run_case("threads_disk", test_threads_disk);

    remove_tree(g_tmp);
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
