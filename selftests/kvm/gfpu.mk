# SPDX-License-Identifier: GPL-2.0
#
# Read after the kernel's tools/testing/selftests/kvm/Makefile (see
# Makefile here): rules for the gfpu tests that reuse its CFLAGS, LDFLAGS,
# LDLIBS, library objects and generated headers.

GFPU_SRC ?= $(error GFPU_SRC is required)
GFPU_ARCH ?= $(error GFPU_ARCH is required)

# The shared library, and this architecture's part of it (lib/<arch>/).
GFPU_LIB_OBJS := $(OUTPUT)/gfpu/lib/gfpu_util.o \
	$(patsubst $(GFPU_SRC)/lib/%.c,$(OUTPUT)/gfpu/lib/%.o,\
		   $(wildcard $(GFPU_SRC)/lib/$(GFPU_ARCH)/*.c))

# Not intermediate files: keep them between runs.
.SECONDARY: $(GFPU_LIB_OBJS)

$(OUTPUT)/gfpu/lib/%.o: $(GFPU_SRC)/lib/%.c $(GEN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -I$(GFPU_SRC)/include $(CPPFLAGS) $(TARGET_ARCH) -c $< -o $@

$(OUTPUT)/gfpu/%: $(GFPU_SRC)/%.c $(LIBKVM_OBJS) $(GFPU_LIB_OBJS) $(GEN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -I$(GFPU_SRC)/include $(CPPFLAGS) $(LDFLAGS) $(TARGET_ARCH) \
		$< $(GFPU_LIB_OBJS) $(LIBKVM_OBJS) $(LDLIBS) -o $@
