// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Errors as values: an OS failure keeps its errno and its file, so callers
 * decide on numbers, not on message text; vt_error_catch() frees exactly
 * the errors it is asked to.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "io.h"
#include "vmemtrim/error.h"

static void test_file_error_keeps_errno_and_path(void **state)
{
	struct vt_error *err =
		vt_error_file(ENOSPC, "/d/dump", "writing %d", 7);

	(void)state;
	assert_int_equal(err->code, VT_ERR_IO);
	assert_int_equal(err->errnum, ENOSPC);
	assert_string_equal(err->path, "/d/dump");
	assert_string_equal(err->message, "/d/dump: writing 7: No space left "
					  "on device");
	/* context in front keeps the number */
	err = vt_error_prefix(err, "vmemtrim: ");
	assert_int_equal(err->errnum, ENOSPC);
	vt_error_free(err);
}

static void test_errno_error_and_plain_error(void **state)
{
	struct vt_error *a = vt_error_errno(ENOMEM, "buffer");
	struct vt_error *b = vt_error_new(VT_ERR_FORMAT, "bad %s", "magic");

	(void)state;
	assert_int_equal(a->code, VT_ERR_NOMEM);
	assert_int_equal(a->errnum, ENOMEM);
	assert_null(a->path);
	assert_int_equal(b->errnum, 0);
	assert_string_equal(b->message, "bad magic");
	vt_error_free(a);
	vt_error_free(b);
}

static void test_catch_frees_only_its_code(void **state)
{
	struct vt_error *err = vt_error_new(VT_ERR_NODATA, "pfn 0x10");
	struct vt_error *none = NULL;

	(void)state;
	assert_false(vt_error_catch(&none, 0));
	assert_false(vt_error_catch(&err, VT_ERR_FORMAT));
	assert_non_null(err);
	assert_true(vt_error_catch(&err, VT_ERR_NODATA));
	assert_null(err);
	err = vt_error_new(VT_ERR_FORMAT, "x");
	assert_true(vt_error_catch(&err, 0));
	assert_null(err);
}

static void test_short_read_names_the_offset(void **state)
{
	int fds[2];
	char buf[16];
	struct vt_error *err;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	/* pread on a pipe fails: ESPIPE, kept as the number */
	err = vt_pread_full(fds[0], "/p", buf, sizeof(buf), 0, "a header");
	assert_int_equal(err->errnum, ESPIPE);
	assert_string_equal(err->path, "/p");
	assert_non_null(strstr(err->message, "/p: reading a header (16 bytes "
					     "at offset 0): "));
	vt_error_free(err);
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_error_keeps_errno_and_path),
		cmocka_unit_test(test_errno_error_and_plain_error),
		cmocka_unit_test(test_catch_frees_only_its_code),
		cmocka_unit_test(test_short_read_names_the_offset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
