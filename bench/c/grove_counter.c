/* One round of counter_incr_hot for bench/c/run.sh: increments one counter on a sled store
 * (periodic flush, the default options) N times through the C ABI, timing each call.
 * Usage: grove_counter STORE_DIR N
 * Prints one line: "<seconds> <p50_us> <p99_us> <p999_us> <final value>". */
#include "grove.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted values. */
static double pct(const double *sorted, long n, double q) {
    long rank = (long)(q * (double)n + 0.999999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return sorted[rank - 1];
}

static int fail(const char *what, grove_error *err) {
    fprintf(stderr, "grove_counter: %s failed: %s\n", what, err ? grove_error_message(err) : "?");
    grove_error_free(err);
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: grove_counter STORE_DIR N\n");
        return 2;
    }
    const char *dir = argv[1];
    long n = atol(argv[2]);
    if (n <= 0) {
        fprintf(stderr, "grove_counter: N must be positive\n");
        return 2;
    }
    double *lat = malloc(sizeof(double) * (size_t)n);
    if (!lat) {
        fprintf(stderr, "grove_counter: out of memory\n");
        return 1;
    }
    grove_store *db = NULL;
    grove_counter *c = NULL;
    grove_error *err = NULL;
    if (grove_store_open((const uint8_t *)dir, strlen(dir), NULL, &db, &err) != GROVE_OK)
        return fail("grove_store_open", err);
    if (grove_counter_new(db, (const uint8_t *)"hot", 3, &c, &err) != GROVE_OK)
        return fail("grove_counter_new", err);
    int64_t v = 0;
    long warm = n / 10 < 1000 ? n / 10 : 1000;
    for (long i = 0; i < warm; i++) {
        if (grove_counter_increment(c, 1, &v, &err) != GROVE_OK)
            return fail("grove_counter_increment", err);
    }
    double start = now_s();
    double prev = start;
    for (long i = 0; i < n; i++) {
        if (grove_counter_increment(c, 1, &v, &err) != GROVE_OK)
            return fail("grove_counter_increment", err);
        double t = now_s();
        lat[i] = (t - prev) * 1e6;
        prev = t;
    }
    double seconds = prev - start;
    qsort(lat, (size_t)n, sizeof(double), cmp_double);
    printf("%.9f %.3f %.3f %.3f %lld\n", seconds, pct(lat, n, 0.50), pct(lat, n, 0.99),
           pct(lat, n, 0.999), (long long)v);
    free(lat);
    grove_counter_free(c);
    if (grove_store_close(db, &err) != GROVE_OK) return fail("grove_store_close", err);
    grove_store_free(db);
    return 0;
}
