/* Compile check: grove.h must build warning-free as C99 (and C11) with -Wall -Wextra -Werror
 * -pedantic; also links a trivial call to catch missing symbols. */
#include "grove.h"

#include <stdio.h>

int main(void) {
    grove_status st = GROVE_OK;
    grove_kind kind = GROVE_KIND_NONE;
    grove_bytes b = {NULL, 0};
    grove_slice s = {NULL, 0};
    grove_pair p = {{NULL, 0}, {NULL, 0}};
    grove_durability d = GROVE_DURABILITY_PERIODIC;
    grove_error *err = NULL;
    grove_store *db = NULL;
    grove_lock_info info = {false, 0, -1.0};
    grove_ratelimit_decision dec = {false, 0, 0.0, 0.0};
    grove_ranked_list ranked = {NULL, 0};
    grove_job job = {0, {NULL, 0}, 0, 0};
    grove_job_list jobs = {NULL, 0};
    grove_queue_counts counts = {0, 0, 0};
    grove_bytes_list blist = {NULL, 0};
    grove_crdt_contribution_list contrib = {NULL, 0};
    grove_crdt_field_list fields = {NULL, 0};
    grove_sync_report report = {0, 0, 0};
    (void)report;
    (void)counts;
    (void)info;
    (void)dec;
    (void)s;
    (void)p;
    (void)d;
    (void)kind;
    st = grove_store_open_memory(NULL, &db, &err);
    grove_bytes_free(&b);
    grove_ranked_list_free(&ranked);
    grove_job_free(&job);
    grove_job_list_free(&jobs);
    grove_bytes_list_free(&blist);
    grove_crdt_contribution_list_free(&contrib);
    grove_crdt_field_list_free(&fields);
    grove_store_free(db);
    printf("%s %s %d.%d\n", grove_version(), grove_status_name(st), GROVE_ABI_VERSION_MAJOR,
           GROVE_ABI_VERSION_MINOR);
    return st == GROVE_OK ? 0 : 1;
}
