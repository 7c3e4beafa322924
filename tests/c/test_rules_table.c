/* The shared table of bad inputs (tests/bad_input/rules.tsv), run through the C ABI. Each row
 * names an operation, its arguments and the error kind the core gives (grove_status_name of the
 * status here); this file only turns a row into a call. A new argument rule is a row in the
 * table, not a test here.
 *
 * Usage: test_rules_table [TABLE]   (default tests/bad_input/rules.tsv, then
 * ../bad_input/rules.tsv, so it runs from the repository root or from tests/c). */
#include <grove.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FIELDS 16
#define SKIP (-1)

static int g_rows, g_passed, g_failed, g_skipped;
static char g_dir[PATH_MAX];

/* A token of the table as text in `buf` (malloc'd when large; *owned says so). */
static char *text(const char *token, char *buf, size_t cap, int *owned) {
    size_t n = 0;
    *owned = 0;
    if (strcmp(token, "{empty}") == 0) {
        buf[0] = '\0';
    } else if (strcmp(token, "{sled}") == 0) {
        snprintf(buf, cap, "%s/store", g_dir);
    } else if (strcmp(token, "{lmdb}") == 0) {
        snprintf(buf, cap, "lmdb:%s/store", g_dir);
    } else if (sscanf(token, "{x*%zu}", &n) == 1) {
        char *big = malloc(n + 1);
        if (big == NULL) abort();
        memset(big, 'x', n);
        big[n] = '\0';
        *owned = 1;
        return big;
    } else {
        snprintf(buf, cap, "%s", token);
    }
    return buf;
}

static double number(const char *token) {
    if (strcmp(token, "nan") == 0) return NAN;
    if (strcmp(token, "inf") == 0) return INFINITY;
    if (strcmp(token, "-inf") == 0) return -INFINITY;
    return strtod(token, NULL);
}

/* Runs `open TARGET OPTIONS…`; returns the status (SKIP when C cannot say it). */
static grove_status run_open(char **a, int n, grove_error **err) {
    char tbuf[PATH_MAX + 16], vbuf[256];
    int owned_t, owned_v;
    grove_options *opts = NULL;
    grove_status st = grove_options_new(&opts, err);
    if (st != GROVE_OK) return st;
    int durable = 0;
    long long flush = -1;
    for (int i = 1; i < n && st == GROVE_OK; i++) {
        char *eq = strchr(a[i], '=');
        if (eq == NULL) abort();
        *eq = '\0';
        const char *name = a[i], *value = eq + 1;
        if (strcmp(name, "flush_ms") == 0) {
            flush = atoll(value);
        } else if (strcmp(name, "durable") == 0) {
            durable = strcmp(value, "1") == 0;
        } else if (strcmp(name, "node_id") == 0) {
            char *id = text(value, vbuf, sizeof vbuf, &owned_v);
            st = grove_options_set_node_id(opts, (const uint8_t *)id, strlen(id), err);
            if (owned_v) free(id);
        } else if (strcmp(name, "connect_timeout_ms") == 0) {
            st = grove_options_set_connect_timeout(opts, (uint64_t)atoll(value), err);
        } else if (strcmp(name, "key_bytes") == 0 || strcmp(name, "old_key_bytes") == 0) {
            size_t len = (size_t)atoll(value);
            uint8_t key[64] = {0};
            if (len > sizeof key) abort();
            /* A non-NULL pointer even for 0 bytes: the length is what the row is about. */
            st = name[0] == 'k' ? grove_options_set_encryption_key(opts, key, len, err)
                                : grove_options_add_old_encryption_key(opts, key, len, err);
        } else {
            fprintf(stderr, "unknown open option %s\n", name);
            abort();
        }
    }
    if (st == GROVE_OK && flush >= 0) {
        st = grove_options_set_durability(opts, GROVE_DURABILITY_PERIODIC, (uint64_t)flush, err);
    }
    if (st == GROVE_OK && durable) {
        st = grove_options_set_durability(opts, GROVE_DURABILITY_EVERY_WRITE,
                                          flush >= 0 ? (uint64_t)flush : 0, err);
    }
    if (st == GROVE_OK) {
        char *target = text(a[0], tbuf, sizeof tbuf, &owned_t);
        grove_store *store = NULL;
        st = grove_store_open((const uint8_t *)target, strlen(target), opts, &store, err);
        if (owned_t) free(target);
        grove_store_free(store);
    }
    grove_options_free(opts);
    return st;
}

/* Runs a primitive's row on `store`; returns the status (SKIP when C cannot say it). */
static grove_status run_on_store(grove_store *store, const char *op, char **a, int n,
                                 grove_error **err) {
    char nbuf[256], vbuf[256];
    int owned_n, owned_v;
    grove_status st;
    char *name = text(a[0], nbuf, sizeof nbuf, &owned_n);
    size_t name_len = strlen(name);
    const uint8_t *nm = (const uint8_t *)name;
    if (strcmp(op, "set") == 0 && n == 3) {
        char *value = text(a[1], vbuf, sizeof vbuf, &owned_v);
        double ttl = strcmp(a[2], "-") == 0 ? 0 : number(a[2]);
        st = grove_store_set(store, nm, name_len, (const uint8_t *)value, strlen(value),
                             strcmp(a[2], "-") == 0 ? NULL : &ttl, err);
        if (owned_v) free(value);
    } else if (strcmp(op, "counter") == 0) {
        grove_counter *c = NULL;
        int64_t v;
        st = grove_counter_new(store, nm, name_len, &c, err);
        if (st == GROVE_OK) st = grove_counter_get(c, &v, err);
        grove_counter_free(c);
    } else if (strcmp(op, "lock") == 0 && n == 2) {
        grove_lock *l = NULL;
        bool got;
        st = grove_lock_new(store, nm, name_len, number(a[1]), &l, err);
        if (st == GROVE_OK) st = grove_lock_try_acquire(l, &got, err);
        grove_lock_free(l);
    } else if (strcmp(op, "leaderboard") == 0) {
        grove_leaderboard *lb = NULL;
        uint64_t len;
        st = grove_leaderboard_new(store, nm, name_len, &lb, err);
        if (st == GROVE_OK) st = grove_leaderboard_len(lb, &len, err);
        grove_leaderboard_free(lb);
    } else if (strcmp(op, "queue") == 0 && n == 3) {
        long long attempts = atoll(a[2]);
        if (attempts < 0 || attempts > UINT32_MAX) {
            st = SKIP;
        } else {
            grove_queue *q = NULL;
            grove_queue_counts counts;
            st = grove_queue_new(store, nm, name_len, number(a[1]), (uint32_t)attempts, &q, err);
            if (st == GROVE_OK) st = grove_queue_stats(q, &counts, err);
            grove_queue_free(q);
        }
    } else if (strcmp(op, "rate_limiter") == 0 && n == 3) {
        long long limit = atoll(a[1]);
        if (limit < 0) {
            st = SKIP;
        } else {
            grove_ratelimiter *rl = NULL;
            grove_ratelimit_decision d;
            st = grove_ratelimiter_new(store, nm, name_len, (uint64_t)limit, number(a[2]), &rl,
                                       err);
            if (st == GROVE_OK) st = grove_ratelimiter_peek(rl, (const uint8_t *)"u", 1, &d, err);
            grove_ratelimiter_free(rl);
        }
    } else if (strcmp(op, "sessions") == 0 && n == 1) {
        grove_sessions *s = NULL;
        grove_bytes id = {NULL, 0};
        st = grove_sessions_new(store, number(a[0]), (const uint8_t *)"sess", 4, &s, err);
        if (st == GROVE_OK) st = grove_sessions_create(s, (const uint8_t *)"{}", 2, &id, err);
        grove_bytes_free(&id);
        grove_sessions_free(s);
    } else if (strcmp(op, "crdt") == 0 && n == 2) {
        char kbuf[256];
        int owned_k;
        char *key = text(a[1], kbuf, sizeof kbuf, &owned_k);
        const uint8_t *k = (const uint8_t *)key;
        size_t kn = strlen(key);
        if (strcmp(a[0], "counter") == 0) {
            grove_crdt_counter *c = NULL;
            int64_t v;
            st = grove_crdt_counter_new(store, k, kn, &c, err);
            if (st == GROVE_OK) st = grove_crdt_counter_value(c, &v, err);
            grove_crdt_counter_free(c);
        } else if (strcmp(a[0], "register") == 0) {
            grove_crdt_register *r = NULL;
            grove_bytes out = {NULL, 0};
            bool found;
            st = grove_crdt_register_new(store, k, kn, &r, err);
            if (st == GROVE_OK) st = grove_crdt_register_get(r, &out, &found, err);
            grove_bytes_free(&out);
            grove_crdt_register_free(r);
        } else if (strcmp(a[0], "set") == 0) {
            grove_crdt_set *cs = NULL;
            grove_bytes_list list = {NULL, 0};
            st = grove_crdt_set_new(store, k, kn, &cs, err);
            if (st == GROVE_OK) st = grove_crdt_set_members(cs, &list, err);
            grove_bytes_list_free(&list);
            grove_crdt_set_free(cs);
        } else if (strcmp(a[0], "map") == 0) {
            grove_crdt_map *m = NULL;
            grove_bytes_list list = {NULL, 0};
            st = grove_crdt_map_new(store, k, kn, &m, err);
            if (st == GROVE_OK) st = grove_crdt_map_keys(m, &list, err);
            grove_bytes_list_free(&list);
            grove_crdt_map_free(m);
        } else {
            fprintf(stderr, "unknown CRDT type %s\n", a[0]);
            abort();
        }
        if (owned_k) free(key);
    } else if (strcmp(op, "crdt_json") == 0 && n == 3) {
        char kbuf[256];
        int owned_k;
        char *key = text(a[1], kbuf, sizeof kbuf, &owned_k);
        char *json = text(a[2], vbuf, sizeof vbuf, &owned_v);
        const uint8_t *k = (const uint8_t *)key, *j = (const uint8_t *)json;
        if (strcmp(a[0], "register") == 0) {
            grove_crdt_register *r = NULL;
            st = grove_crdt_register_new(store, k, strlen(key), &r, err);
            if (st == GROVE_OK) st = grove_crdt_register_set(r, j, strlen(json), err);
            grove_crdt_register_free(r);
        } else if (strcmp(a[0], "map") == 0) {
            grove_crdt_map *m = NULL;
            st = grove_crdt_map_new(store, k, strlen(key), &m, err);
            if (st == GROVE_OK)
                st = grove_crdt_map_set(m, (const uint8_t *)"f", 1, j, strlen(json), err);
            grove_crdt_map_free(m);
        } else {
            fprintf(stderr, "unknown CRDT type %s\n", a[0]);
            abort();
        }
        if (owned_k) free(key);
        if (owned_v) free(json);
    } else if ((strcmp(op, "leaderboard_add") == 0 || strcmp(op, "leaderboard_incr") == 0) &&
               n == 2) {
        grove_leaderboard *lb = NULL;
        double score;
        st = grove_leaderboard_new(store, (const uint8_t *)"b", 1, &lb, err);
        if (st == GROVE_OK)
            st = op[12] == 'a' ? grove_leaderboard_add(lb, nm, name_len, number(a[1]), err)
                               : grove_leaderboard_incr(lb, nm, name_len, number(a[1]), &score,
                                                        err);
        grove_leaderboard_free(lb);
    } else if (strcmp(op, "allow") == 0 && n == 2) {
        grove_ratelimiter *rl = NULL;
        grove_ratelimit_decision d;
        st = grove_ratelimiter_new(store, (const uint8_t *)"api", 3, (uint64_t)atoll(a[0]), 60,
                                   &rl, err);
        if (st == GROVE_OK)
            st = grove_ratelimiter_allow(rl, (const uint8_t *)"u", 1, (uint64_t)atoll(a[1]), &d,
                                         err);
        grove_ratelimiter_free(rl);
    } else if ((strcmp(op, "enqueue") == 0 || strcmp(op, "nack") == 0) && n == 1) {
        grove_queue *q = NULL;
        uint64_t id;
        bool nacked;
        st = grove_queue_new(store, (const uint8_t *)"jobs", 4, 30, 5, &q, err);
        if (st == GROVE_OK)
            st = op[0] == 'e'
                     ? grove_queue_enqueue(q, (const uint8_t *)"job", 3, number(a[0]), &id, err)
                     : grove_queue_nack(q, 1, number(a[0]), &nacked, err);
        grove_queue_free(q);
    } else if (strcmp(op, "expire") == 0 && n == 2) {
        bool found;
        st = grove_store_expire(store, nm, name_len, number(a[1]), &found, err);
    } else if ((strcmp(op, "try_decrement") == 0 || strcmp(op, "try_increment") == 0) &&
               n == 1) {
        grove_counter *c = NULL;
        int64_t v;
        bool applied;
        st = grove_counter_new(store, (const uint8_t *)"c", 1, &c, err);
        if (st == GROVE_OK)
            st = op[4] == 'd' ? grove_counter_try_decrement(c, atoll(a[0]), 0, &v, &applied, err)
                              : grove_counter_try_increment(c, atoll(a[0]), 100, &v, &applied,
                                                            err);
        grove_counter_free(c);
    } else if (strcmp(op, "compare_and_set") == 0 && n == 1) {
        bool written;
        st = grove_store_compare_and_set(store, nm, name_len, NULL, (const uint8_t *)"v", 1, NULL,
                                         &written, err);
    } else {
        fprintf(stderr, "unknown op %s (%d arguments)\n", op, n);
        abort();
    }
    if (owned_n) free(name);
    return st;
}

/* The number of keys in `store` (-1 on error). */
static int count_keys(grove_store *store) {
    grove_keys *keys = NULL;
    grove_error *err = NULL;
    int count = 0;
    if (grove_store_keys(store, NULL, 0, &keys, &err) != GROVE_OK) {
        grove_error_free(err);
        return -1;
    }
    for (;;) {
        grove_bytes key = {NULL, 0};
        bool has = false;
        if (grove_keys_next(keys, &key, &has, &err) != GROVE_OK) {
            grove_error_free(err);
            count = -1;
            break;
        }
        if (!has) break;
        grove_bytes_free(&key);
        count++;
    }
    grove_keys_free(keys);
    return count;
}

static void run_row(char *line) {
    char *f[MAX_FIELDS];
    int n = 0;
    char label[128];
    snprintf(label, sizeof label, "%s", line);
    for (char *p = label; *p; p++)
        if (*p == '\t') *p = ' ';
    for (char *tok = strtok(line, "\t"); tok != NULL && n < MAX_FIELDS; tok = strtok(NULL, "\t"))
        f[n++] = tok;
    if (n < 2) {
        fprintf(stderr, "bad row: %s\n", label);
        abort();
    }
    const char *op = f[0], *kind = f[n - 1];
    char **args = f + 1;
    int nargs = n - 2;
    g_rows++;

    char tmpl[] = "/tmp/grove-rules-XXXXXX";
    if (mkdtemp(tmpl) == NULL || chdir(tmpl) != 0) abort();
    snprintf(g_dir, sizeof g_dir, "%s", tmpl);
    grove_error *err = NULL;
    grove_status st;
    int ok = 1;
    char store_path[PATH_MAX + 8];
    snprintf(store_path, sizeof store_path, "%s/store", g_dir);
    if (strcmp(op, "open") == 0) {
        st = run_open(args, nargs, &err);
        struct stat sb;
        if (stat(store_path, &sb) == 0) {
            fprintf(stderr, "  a refused open left a store behind\n");
            ok = 0;
        }
    } else {
        grove_store *store = NULL;
        if (grove_store_open_memory(NULL, &store, &err) != GROVE_OK) abort();
        st = run_on_store(store, op, args, nargs, &err);
        if (count_keys(store) != 0) {
            fprintf(stderr, "  a refused call wrote something\n");
            ok = 0;
        }
        grove_store_free(store);
    }
    if (st == SKIP) {
        g_skipped++;
        printf("skip %s\n", label);
    } else {
        const char *msg = err ? grove_error_message(err) : "";
        ok = ok && st != GROVE_OK && strcmp(grove_status_name(st), kind) == 0 && err != NULL &&
             grove_error_status(err) == st && strlen(msg) > 0;
        if (ok) {
            g_passed++;
            printf("ok   %s\n", label);
        } else {
            g_failed++;
            printf("FAIL %s: got %s (%s)\n", label, grove_status_name(st), msg);
        }
    }
    grove_error_free(err);
    if (chdir("/") != 0) abort();
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) abort();
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "tests/bad_input/rules.tsv";
    char resolved[PATH_MAX];
    FILE *fp = fopen(path, "r");
    if (fp == NULL && argc <= 1) {
        path = "../bad_input/rules.tsv";
        fp = fopen(path, "r");
    }
    if (fp == NULL || realpath(path, resolved) == NULL) {
        fprintf(stderr, "cannot read the table %s: %s\n", path, strerror(errno));
        return 2;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, fp)) != -1) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (len == 0 || line[0] == '#') continue;
        run_row(line);
    }
    free(line);
    fclose(fp);
    if (g_rows < 50 || g_skipped > g_rows / 4) {
        printf("FAIL %d rows read from %s, %d skipped\n", g_rows, resolved, g_skipped);
        g_failed++;
    }
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
