/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Register files in memory, for the simulators whose uAPI state is one
 * (arm64, riscv): how an abstract register value is stored word by word.
 */
#ifndef _GFPU_MODEL_SIM_REGFILE_H
#define _GFPU_MODEL_SIM_REGFILE_H

#include "shim.h"

/*
 * Word @j of register @cls/@n holds the register's abstract value XORed
 * with a key (bit 63 set, so a stored word is never 0 unless the value is:
 * zeroed memory is the all-zero register state).
 */
static inline u64 key(unsigned int cls, unsigned int n, unsigned int j)
{
	return 0x8000000000000000ULL | ((u64)cls << 48) | ((u64)n << 32) |
		(j * 0x9e3779b1U);
}

static inline u64 enc(u64 val, u64 k)
{
	return val ? val ^ k : 0;
}

static inline u64 dec(u64 word, u64 k)
{
	return word ? word ^ k : 0;
}

#endif /* _GFPU_MODEL_SIM_REGFILE_H */
