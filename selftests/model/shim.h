/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim for core/ and arch/: the kernel API they use, on top of
 * the simulated machine.  It takes the include guard of
 * core/gfpu_internal.h so the kernel headers are never pulled in (the
 * tools/testing/vma approach).
 */
#ifndef _GFPU_INTERNAL_H
#define _GFPU_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/bits.h>
#include <string.h>
#include <errno.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

#define CONFIG_GFPU 1
/* Every per-hook check on (GFPU_DEBUG_WARN_ON(), core/gfpu_core.h). */
#define CONFIG_GFPU_DEBUG 1
/* fail_gfpu's points (gfpu_should_fail()), driven by model_common. */
#define CONFIG_FAIL_GFPU 1

/* --- machine state the shim reads, owned by the simulator ---------------- */
#define MODEL_NR_CPUS 2

int model_this_cpu(void);
bool model_irqs_disabled(void);
bool model_preemptible(void);
void model_preempt_disable(void);
void model_preempt_enable(void);
void *model_zalloc(size_t size);
void model_free(void *p);
bool model_warn(bool cond, const char *what, const char *file, int line);

/* --- compiler, bug ------------------------------------------------------- */
#define READ_ONCE(x)		(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, val)	(*(volatile __typeof__(x) *)&(x) = (val))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#ifndef __always_inline		/* glibc's <sys/cdefs.h> has it */
#define __always_inline		inline __attribute__((__always_inline__))
#endif
#define __flatten		__attribute__((__flatten__))
#define static_assert(e)	_Static_assert(e, #e)
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#define max_t(type, a, b)	((type)(a) > (type)(b) ? (type)(a) : (type)(b))
#define WARN_ON_ONCE(c)		model_warn(!!(c), #c, __FILE__, __LINE__)
#define WARN_ON(c)		WARN_ON_ONCE(c)

/* --- context ------------------------------------------------------------ */
#define irqs_disabled()		model_irqs_disabled()
#define preemptible()		model_preemptible()
#define preempt_disable()	model_preempt_disable()
#define preempt_enable()	model_preempt_enable()
#define smp_processor_id()	model_this_cpu()
#define raw_smp_processor_id()	model_this_cpu()
#define might_sleep()		WARN_ON_ONCE(!model_preemptible())
/* 6.12's lockdep_assert_preemption_enabled(), as under CONFIG_PROVE_LOCKING */
#define lockdep_assert_preemption_enabled()	might_sleep()

/* --- per-CPU ------------------------------------------------------------ */
#define DEFINE_PER_CPU(type, name)	__typeof__(type) name[MODEL_NR_CPUS]
#define DECLARE_PER_CPU(type, name)	extern DEFINE_PER_CPU(type, name)
#define this_cpu_read(var)		((var)[model_this_cpu()])
#define this_cpu_ptr(p)			(&(*(p))[model_this_cpu()])
#define raw_cpu_ptr(p)			this_cpu_ptr(p)
#define per_cpu_ptr(p, cpu)		(&(*(p))[cpu])
#define for_each_possible_cpu(cpu)	for ((cpu) = 0; (cpu) < MODEL_NR_CPUS; (cpu)++)

/* --- memory ------------------------------------------------------------- */
#define GFP_KERNEL		0
#define GFP_KERNEL_ACCOUNT	0
#define kzalloc(size, gfp)	model_zalloc(size)
#define kfree(p)		model_free(p)

#define MAX_ERRNO	4095
#define IS_ERR_VALUE(x)	((unsigned long)(void *)(x) >= (unsigned long)-MAX_ERRNO)
static inline void *ERR_PTR(long error) { return (void *)error; }
static inline long PTR_ERR(const void *ptr) { return (long)ptr; }
static inline bool IS_ERR(const void *ptr) { return IS_ERR_VALUE(ptr); }

#endif /* _GFPU_INTERNAL_H */
