// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: arbitrary bytes as VMCOREINFO text, then the typed
 * profile. Every key found by iteration must be found by lookup too, so a
 * broken index shows up as a crash, not only memory errors.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmemtrim/vmcoreinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_entries(const struct vt_vmcoreinfo *vi)
{
	const char *key, *value, *found;

	for (size_t i = 0; vt_vmcoreinfo_entry(vi, i, &key, &value); i++) {
		found = vt_vmcoreinfo_get(vi, key);
		/* The first entry with this key wins: never a missing one. */
		if (!found)
			abort();
		if (!*key || strchr(key, '=') || strchr(key, '\n'))
			abort();
	}
}

static void check_profile(const struct vt_vmcoreinfo *vi)
{
	struct vt_kernel_profile kp;
	struct vt_error *err;

	err = vt_kernel_profile_init(&kp, vi);
	if (err) {
		if (err->code != VT_ERR_FORMAT || !err->message)
			abort();
		vt_error_free(err);
		return;
	}
	if (strlen(kp.release) >= sizeof(kp.release))
		abort();
	vt_error_free(VT_PROFILE_REQUIRE(&kp, size_page));
	vt_error_free(VT_PROFILE_REQUIRE(&kp, sym_init_top_pgt));
	vt_error_free(VT_PROFILE_REQUIRE(&kp, sme_mask));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vt_vmcoreinfo *vi;
	struct vt_error *err;

	err = vt_vmcoreinfo_parse((const char *)data, size, &vi);
	if (err) {
		if (vi || err->code != VT_ERR_FORMAT || !err->message)
			abort();
		vt_error_free(err);
		return 0;
	}
	check_entries(vi);
	check_profile(vi);
	vt_vmcoreinfo_free(vi);
	return 0;
}
