// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel-mode FPU torture for the gfpu selftests (test only).
 *
 * A softirq hrtimer on every online CPU uses the FP/SIMD registers in
 * kernel mode (kernel_fpu_begin() on x86, kernel_neon_begin() on arm64,
 * kernel_vector_begin() on riscv)
 * and loads every vector register with a fresh pattern.  A hypervisor that
 * leaves guest state live in the registers without telling the host's FPU
 * tracking (or binds it to the wrong buffer) loses guest or host state to
 * it; the selftests check both sides while it runs.
 *
 * /sys/kernel/debug/gfpu_kfpu_torture:
 *	write N		fire every N microseconds on every online CPU (0: stop)
 *	read		"period_us N", "fires N", "used N": fires so far, and
 *			those that found the FPU usable and clobbered it.
 *
 * Independent of CONFIG_GFPU, so the baseline kernel has it too.
 */
#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/hrtimer.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#ifdef CONFIG_X86
#include <asm/fpu/api.h>
#define GFPU_KFPU_WORDS	32	/* xmm0-15 */
#elif defined(CONFIG_RISCV)
#include <asm/simd.h>
#include <asm/vector.h>
#define GFPU_KFPU_WORDS	32	/* one group of 8 v registers, VLEN <= 256 */
#else
#include <asm/neon.h>
#include <asm/simd.h>
#define GFPU_KFPU_WORDS	64	/* v0-v31 */
#endif

static DEFINE_PER_CPU(struct hrtimer, gfpu_kfpu_timer);
static DEFINE_MUTEX(gfpu_kfpu_lock);
static unsigned int gfpu_kfpu_period_us;
static ktime_t gfpu_kfpu_period;
static atomic_long_t gfpu_kfpu_fires;
static atomic_long_t gfpu_kfpu_used;
static struct dentry *gfpu_kfpu_file;

/* Load every vector register from @pat; false if the FPU is not usable. */
static bool gfpu_kfpu_clobber(const u64 *pat)
{
#ifdef CONFIG_X86
	if (!irq_fpu_usable())
		return false;
	kernel_fpu_begin();
	asm volatile("movdqu 0x00(%0), %%xmm0\n\t"
		     "movdqu 0x10(%0), %%xmm1\n\t"
		     "movdqu 0x20(%0), %%xmm2\n\t"
		     "movdqu 0x30(%0), %%xmm3\n\t"
		     "movdqu 0x40(%0), %%xmm4\n\t"
		     "movdqu 0x50(%0), %%xmm5\n\t"
		     "movdqu 0x60(%0), %%xmm6\n\t"
		     "movdqu 0x70(%0), %%xmm7\n\t"
		     "movdqu 0x80(%0), %%xmm8\n\t"
		     "movdqu 0x90(%0), %%xmm9\n\t"
		     "movdqu 0xa0(%0), %%xmm10\n\t"
		     "movdqu 0xb0(%0), %%xmm11\n\t"
		     "movdqu 0xc0(%0), %%xmm12\n\t"
		     "movdqu 0xd0(%0), %%xmm13\n\t"
		     "movdqu 0xe0(%0), %%xmm14\n\t"
		     "movdqu 0xf0(%0), %%xmm15\n\t"
		     : : "r" (pat) : "memory");
	kernel_fpu_end();
#elif defined(CONFIG_RISCV)
	unsigned long vl;

	if (!has_vector() || !may_use_simd())
		return false;
	kernel_vector_begin();
	/* v0-v31 as four groups of eight, each loaded from @pat. */
	asm volatile(".option push\n\t"
		     ".option arch, +v\n\t"
		     "vsetvli %0, %1, e64, m8, ta, ma\n\t"
		     "vle64.v v0, (%2)\n\t"
		     "vle64.v v8, (%2)\n\t"
		     "vle64.v v16, (%2)\n\t"
		     "vle64.v v24, (%2)\n\t"
		     ".option pop\n\t"
		     : "=&r" (vl) : "r" (32UL), "r" (pat) : "memory");
	kernel_vector_end();
#else
	const u64 *p = pat;

	if (!may_use_simd())
		return false;
	kernel_neon_begin();
	asm volatile("ld1 {v0.2d-v3.2d}, [%0], #64\n\t"
		     "ld1 {v4.2d-v7.2d}, [%0], #64\n\t"
		     "ld1 {v8.2d-v11.2d}, [%0], #64\n\t"
		     "ld1 {v12.2d-v15.2d}, [%0], #64\n\t"
		     "ld1 {v16.2d-v19.2d}, [%0], #64\n\t"
		     "ld1 {v20.2d-v23.2d}, [%0], #64\n\t"
		     "ld1 {v24.2d-v27.2d}, [%0], #64\n\t"
		     "ld1 {v28.2d-v31.2d}, [%0], #64\n\t"
		     : "+r" (p) : : "memory");
	kernel_neon_end();
#endif
	return true;
}

static enum hrtimer_restart gfpu_kfpu_fire(struct hrtimer *t)
{
	u64 pat[GFPU_KFPU_WORDS];
	long n = atomic_long_inc_return(&gfpu_kfpu_fires);
	int i;

	for (i = 0; i < GFPU_KFPU_WORDS; i++)
		pat[i] = 0x6b66707574000000ULL ^ ((u64)n << 8) ^ i;
	if (gfpu_kfpu_clobber(pat))
		atomic_long_inc(&gfpu_kfpu_used);
	hrtimer_forward_now(t, READ_ONCE(gfpu_kfpu_period));
	return HRTIMER_RESTART;
}

static void gfpu_kfpu_start_here(void *unused)
{
	hrtimer_start(this_cpu_ptr(&gfpu_kfpu_timer), gfpu_kfpu_period,
		      HRTIMER_MODE_REL_PINNED_SOFT);
}

static void gfpu_kfpu_stop(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		hrtimer_cancel(per_cpu_ptr(&gfpu_kfpu_timer, cpu));
	gfpu_kfpu_period_us = 0;
}

static ssize_t gfpu_kfpu_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	unsigned int us;
	int ret;

	ret = kstrtouint_from_user(ubuf, len, 0, &us);
	if (ret)
		return ret;
	/* Below 10 us the timers alone would starve the CPUs under TCG. */
	if (us && us < 10)
		return -EINVAL;
	mutex_lock(&gfpu_kfpu_lock);
	gfpu_kfpu_stop();
	if (us) {
		gfpu_kfpu_period_us = us;
		WRITE_ONCE(gfpu_kfpu_period, ns_to_ktime((u64)us * NSEC_PER_USEC));
		cpus_read_lock();
		on_each_cpu(gfpu_kfpu_start_here, NULL, 1);
		cpus_read_unlock();
	}
	mutex_unlock(&gfpu_kfpu_lock);
	return len;
}

static int gfpu_kfpu_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "period_us %u\nfires %ld\nused %ld\n",
		   READ_ONCE(gfpu_kfpu_period_us),
		   atomic_long_read(&gfpu_kfpu_fires),
		   atomic_long_read(&gfpu_kfpu_used));
	return 0;
}

static int gfpu_kfpu_open(struct inode *inode, struct file *file)
{
	return single_open(file, gfpu_kfpu_show, NULL);
}

static const struct file_operations gfpu_kfpu_fops = {
	.owner		= THIS_MODULE,
	.open		= gfpu_kfpu_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.write		= gfpu_kfpu_write,
	.release	= single_release,
};

static int __init gfpu_kfpu_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct hrtimer *t = per_cpu_ptr(&gfpu_kfpu_timer, cpu);

		hrtimer_init(t, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_SOFT);
		t->function = gfpu_kfpu_fire;
	}
	gfpu_kfpu_file = debugfs_create_file("gfpu_kfpu_torture", 0600, NULL,
					     NULL, &gfpu_kfpu_fops);
	return 0;
}

static void __exit gfpu_kfpu_exit(void)
{
	debugfs_remove(gfpu_kfpu_file);
	mutex_lock(&gfpu_kfpu_lock);
	gfpu_kfpu_stop();
	mutex_unlock(&gfpu_kfpu_lock);
}

module_init(gfpu_kfpu_init);
module_exit(gfpu_kfpu_exit);
MODULE_DESCRIPTION("Kernel-mode FPU torture timer for the gfpu selftests");
MODULE_LICENSE("GPL");
