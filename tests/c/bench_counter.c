/* Counter increment on the memory backend through the C ABI; tests/c/bench.sh compares it
 * with the Rust core and Go. Usage: bench_counter [ITERATIONS]; prints "c ns/op <float>". */
#include "grove.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
    long iterations = argc > 1 ? atol(argv[1]) : 2000000;
    grove_store *db = NULL;
    grove_counter *c = NULL;
    grove_error *err = NULL;
    if (grove_store_open_memory(NULL, &db, &err) != GROVE_OK ||
        grove_counter_new(db, (const uint8_t *)"bench", 5, &c, &err) != GROVE_OK) {
        fprintf(stderr, "setup failed: %s\n", grove_error_message(err));
        return 1;
    }
    int64_t v = 0;
    for (long i = 0; i < iterations / 10; i++) { /* warm-up, as the Rust bench */
        grove_counter_increment(c, 1, &v, NULL);
    }
    double start = now_ns();
    for (long i = 0; i < iterations; i++) {
        if (grove_counter_increment(c, 1, &v, &err) != GROVE_OK) {
            fprintf(stderr, "increment failed: %s\n", grove_error_message(err));
            return 1;
        }
    }
    double elapsed = now_ns() - start;
    printf("c ns/op %.2f\n", elapsed / (double)iterations);
    grove_counter_free(c);
    grove_store_close(db, NULL);
    grove_store_free(db);
    return 0;
}
