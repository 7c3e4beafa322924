/* The tiny check framework shared by the C test programs (test_grove.c, test_bad_input.c).
 * Include after <grove.h>, <stdio.h> and <string.h>. A program may define
 * CHECK_MESSAGE_OK(msg) before including this to demand more of error messages than being
 * non-empty (test_bad_input.c requires readable UTF-8). */
#ifndef GROVE_TEST_CHECK_H
#define GROVE_TEST_CHECK_H

static int g_passed, g_failed, g_case_failed;

#ifndef CHECK_MESSAGE_OK
#define CHECK_MESSAGE_OK(msg) (strlen(msg) > 0)
#endif

#define CHECK(cond)                                                               \
    do {                                                                          \
        if (!(cond)) {                                                            \
            g_case_failed = 1;                                                    \
            fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);     \
        }                                                                         \
    } while (0)

/* Checks a status and the error object that came with it (exact status, message accepted by
 * CHECK_MESSAGE_OK, containing `msg_part` when given); frees the error. */
static void check_status(const char *file, int line, const char *expr, grove_status got,
                         grove_error *err, grove_status want, const char *msg_part) {
    int ok = got == want;
    if (want == GROVE_OK) {
        ok = ok && err == NULL;
    } else {
        ok = ok && err != NULL && grove_error_status(err) == want &&
             CHECK_MESSAGE_OK(grove_error_message(err));
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

#endif
