# SPDX-License-Identifier: GPL-2.0
#
# gfpu: the project's entry points.  Inside a kernel tree (virt/gfpu,
# see scripts/jury-rig.sh) Kbuild reads ./Kbuild and never this file.
#
#   make check-model            the userspace model (both arches)
#   make check-mutants [MUTANTS="name ..."]
#                               mutation testing: every mutant in
#                               selftests/mutants/ must make the model fail
#   make kernel ARCH=... [FRAMEWORK=y|n]
#   make qemu ARCH=... [POLICY=...]
#   make check-kernel           every arch, framework on (CI's kernels)
#   make check-riscv            riscv64, framework on (each policy) and off
#   make check-baseline         unmodified 6.12 on every arch
#   make fuzz-ref ARCH=...      record 6.12's answers to the uAPI fuzzer
#   make compare [COMPARE_ARCHES=...] [ROUNDS=n]
#                               each design and 6.12 on the same workloads:
#                               build/compare/compare.{md,csv}, SVG plots
#   make run                    the main job: build, boot, summarise
#   make test                   every test tier: model, then kernel
#   make patch                  the framework as a patch series on stdout

ARCH ?= x86_64
export ARCH

check-model:
	$(MAKE) -C selftests/model check

# Each selftests/mutants/*.mutant applied to a copy of the tree, the model
# built and run there; ends with "mutants: N caught of M (P%)".
MUTANTS ?=
check-mutants:
	selftests/mutants/run.sh $(MUTANTS)

kernel qemu boot initramfs selftests check-kernel check-riscv check-baseline \
fuzz-ref soak patch deps source jury-rig:
	$(MAKE) -C kernel $@

COMPARE_ARCHES ?= x86_64 arm64 riscv64
compare:
	scripts/compare.sh $(COMPARE_ARCHES)

run:
	scripts/run.sh

test:
	scripts/test.sh

clean:
	$(MAKE) -C selftests/model clean

.PHONY: check-model check-mutants kernel qemu boot initramfs selftests check-kernel check-riscv \
	check-baseline fuzz-ref soak patch \
	deps source jury-rig compare run test clean
