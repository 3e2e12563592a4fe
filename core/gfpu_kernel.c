// SPDX-License-Identifier: GPL-2.0
/*
 * gfpu core, kernel-only parts: the policy parameter and debugfs.
 *
 * /sys/kernel/debug/gfpu/policy	the policy the next KVM_RUN latches
 * /sys/kernel/debug/gfpu/stats	a line of counters per live vCPU, with
 *				the policy it latched at its last KVM_RUN,
 *				and the sum over the vCPUs already destroyed
 *
 * /sys/kernel/debug/fail_gfpu/	fault injection (CONFIG_FAIL_GFPU): the
 *				fault_attr knobs, and "points", the mask
 *				of &enum gfpu_fail_point steps it fails
 *
 * The policy is also gfpu.policy= on the command line and
 * /sys/module/gfpu/parameters/policy, as a number or a list of names:
 * lazy-host (lazy), loadput, realloc-cpuid (cpuid), riscv-lazy, entry,
 * keep-bound; eager and run name the defaults.
 */
#define pr_fmt(fmt) "gfpu: " fmt

#include <linux/bits.h>
#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/init.h>
#include <linux/list.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>
#include "gfpu_core.h"

#define CREATE_TRACE_POINTS
#include "gfpu_trace.h"

/* === Data ============================================================= */

/*
 * Every live vCPU record, for debugfs, and the sum of the counters of the
 * records already destroyed; both protected by gfpu_vcpus_lock.
 */
static LIST_HEAD(gfpu_vcpus);
static DEFINE_MUTEX(gfpu_vcpus_lock);
static struct gfpu_stats gfpu_retired;
static unsigned long gfpu_nr_retired;

struct gfpu_vcpu_node {
	struct list_head list;
	struct gfpu_vcpu *v;
};

static const struct {
	const char *name;
	unsigned int bit;
} gfpu_policy_names[] = {
	{ "lazy-host",		GFPU_POLICY_LAZY_HOST },
	{ "loadput",		GFPU_POLICY_SWAP_LOADPUT },
	{ "realloc-cpuid",	GFPU_POLICY_REALLOC_CPUID },
	{ "riscv-lazy",		GFPU_POLICY_RISCV_LAZY },
	{ "entry",		GFPU_POLICY_SWAP_ENTRY },
	{ "keep-bound",		GFPU_POLICY_KEEP_BOUND },
#define GFPU_NR_POLICY_NAMES 6	/* the canonical names above, one per bit */
	/* Aliases, and names for the defaults, so every design can be named. */
	{ "eager",		0 },
	{ "run",		0 },
	{ "lazy",		GFPU_POLICY_LAZY_HOST },
	{ "cpuid",		GFPU_POLICY_REALLOC_CPUID },
};

static const char *const gfpu_hook_names[GFPU_NR_HOOKS] = {
	[GFPU_HOOK_RUN_ENTER]	= "run_enter",
	[GFPU_HOOK_LOAD]	= "load",
	[GFPU_HOOK_GUEST_ENTER]	= "guest_enter",
	[GFPU_HOOK_LAZY_TRAP]	= "lazy_trap",
	[GFPU_HOOK_EXIT_SYNC]	= "exit_sync",
	[GFPU_HOOK_PUT]		= "put",
	[GFPU_HOOK_RUN_EXIT]	= "run_exit",
	[GFPU_HOOK_FEATURE]	= "feature",
	[GFPU_HOOK_GET]		= "get",
	[GFPU_HOOK_SET]		= "set",
	[GFPU_HOOK_GUEST_REGS]	= "guest_regs",
};

/* === Policy =========================================================== */

/* "3", "lazy-host", "loadput,realloc-cpuid" or "" (defaults). */
static int gfpu_parse_policy(const char *val, unsigned int *out)
{
	char buf[64], *s, *tok;
	unsigned int policy = 0;
	int i;

	if (!kstrtouint(val, 0, out))
		return 0;
	if (strscpy(buf, val, sizeof(buf)) < 0)
		return -EINVAL;
	s = strim(buf);
	while ((tok = strsep(&s, ",")) != NULL) {
		if (!*tok)
			continue;
		for (i = 0; i < ARRAY_SIZE(gfpu_policy_names); i++)
			if (!strcmp(tok, gfpu_policy_names[i].name))
				break;
		if (i == ARRAY_SIZE(gfpu_policy_names))
			return -EINVAL;
		policy |= gfpu_policy_names[i].bit;
	}
	*out = policy;
	return 0;
}

static int gfpu_policy_param_set(const char *val, const struct kernel_param *kp)
{
	unsigned int policy;
	int ret = gfpu_parse_policy(val, &policy);

	if (ret)
		return ret;
	if (policy & ~gfpu_hw_supported_policies()) {
		pr_warn("policy %#x is not implemented in this kernel (supported: %#x)\n",
			policy, gfpu_hw_supported_policies());
		return -EOPNOTSUPP;
	}
	return gfpu_set_policy(policy);
}

static int gfpu_policy_param_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%u\n", gfpu_policy());
}

static const struct kernel_param_ops gfpu_policy_ops = {
	.set = gfpu_policy_param_set,
	.get = gfpu_policy_param_get,
};
module_param_cb(policy, &gfpu_policy_ops, NULL, 0644);
MODULE_PARM_DESC(policy, "lazy-host, loadput, realloc-cpuid, riscv-lazy, entry, keep-bound (comma list) or bits");

/* === Fault injection ================================================== */

#ifdef CONFIG_FAIL_GFPU
/* Which steps fail_gfpu fails: every one unless told otherwise. */
static DECLARE_FAULT_ATTR(fail_gfpu);
static u32 fail_gfpu_points = GENMASK(GFPU_NR_FAIL_POINTS - 1, 0);

static int __init setup_fail_gfpu(char *str)
{
	return setup_fault_attr(&fail_gfpu, str);
}
__setup("fail_gfpu=", setup_fail_gfpu);

bool gfpu_should_fail(enum gfpu_fail_point point, size_t size)
{
	might_sleep();
	return (READ_ONCE(fail_gfpu_points) & BIT(point)) &&
	       should_fail(&fail_gfpu, size);
}

static void __init gfpu_fail_debugfs_init(void)
{
	struct dentry *dir = fault_create_debugfs_attr("fail_gfpu", NULL,
						       &fail_gfpu);

	if (!IS_ERR(dir))
		debugfs_create_x32("points", 0600, dir, &fail_gfpu_points);
}
#else
static inline void gfpu_fail_debugfs_init(void)
{
}
#endif

/* === vCPU registry and debugfs ======================================== */

static void gfpu_stats_add(struct gfpu_stats *sum, const struct gfpu_stats *s)
{
	int i;

	for (i = 0; i < GFPU_NR_HOOKS; i++)
		sum->hooks[i] += s->hooks[i];
	sum->saves += s->saves;
	sum->restores += s->restores;
	sum->bytes += s->bytes;
	sum->traps += s->traps;
	sum->reallocs += s->reallocs;
	sum->realloc_fails += s->realloc_fails;
	sum->steals += s->steals;
	sum->preempted += s->preempted;
	sum->kept += s->kept;
}

/* @policy: the vCPU's latched policy, or -1 for a sum over vCPUs. */
static void gfpu_stats_print(struct seq_file *m, const char *name, int policy,
			     const struct gfpu_stats *s)
{
	int i;

	seq_puts(m, name);
	if (policy >= 0)
		seq_printf(m, " policy=%d", policy);
	for (i = 0; i < GFPU_NR_HOOKS; i++)
		seq_printf(m, " %s=%llu", gfpu_hook_names[i], s->hooks[i]);
	seq_printf(m, " saves=%llu restores=%llu bytes=%llu traps=%llu reallocs=%llu realloc_fails=%llu steals=%llu preempted=%llu kept=%llu\n",
		   s->saves, s->restores, s->bytes, s->traps, s->reallocs,
		   s->realloc_fails, s->steals, s->preempted, s->kept);
}

/**
 * gfpu_track_vcpu() - list a vCPU record for debugfs
 * @v: the record, at its initialisation.
 *
 * Context: process context, may sleep.
 * Return: 0, or -ENOMEM when it could not be listed.
 */
int gfpu_track_vcpu(struct gfpu_vcpu *v)
{
	struct gfpu_vcpu_node *n = NULL;

	if (!gfpu_should_fail(GFPU_FAIL_VCPU, sizeof(*n)))
		n = kzalloc(sizeof(*n), GFP_KERNEL);
	if (!n)
		return -ENOMEM;
	n->v = v;
	mutex_lock(&gfpu_vcpus_lock);
	list_add_tail(&n->list, &gfpu_vcpus);
	mutex_unlock(&gfpu_vcpus_lock);
	return 0;
}

/**
 * gfpu_untrack_vcpu() - unlist a vCPU record, adding its counters to the
 *	retired sum
 * @v: the record, at its destruction.
 *
 * Context: process context, may sleep.
 */
void gfpu_untrack_vcpu(struct gfpu_vcpu *v)
{
	struct gfpu_vcpu_node *n, *tmp;

	mutex_lock(&gfpu_vcpus_lock);
	list_for_each_entry_safe(n, tmp, &gfpu_vcpus, list) {
		if (n->v == v) {
			gfpu_stats_add(&gfpu_retired, gfpu_vcpu_stats(v));
			gfpu_nr_retired++;
			list_del(&n->list);
			kfree(n);
		}
	}
	mutex_unlock(&gfpu_vcpus_lock);
}

static int gfpu_stats_show(struct seq_file *m, void *unused)
{
	struct gfpu_vcpu_node *n;
	char name[24];
	int nr = 0;

	seq_printf(m, "policy %u\n", gfpu_policy());
	mutex_lock(&gfpu_vcpus_lock);
	list_for_each_entry(n, &gfpu_vcpus, list) {
		snprintf(name, sizeof(name), "vcpu%d", nr++);
		gfpu_stats_print(m, name, READ_ONCE(n->v->policy),
				 gfpu_vcpu_stats(n->v));
	}
	seq_printf(m, "retired %lu\n", gfpu_nr_retired);
	gfpu_stats_print(m, "retired", -1, &gfpu_retired);
	mutex_unlock(&gfpu_vcpus_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gfpu_stats);

static ssize_t gfpu_policy_write(struct file *file, const char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	char buf[64];
	int ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	ret = gfpu_policy_param_set(buf, NULL);
	return ret ? ret : len;
}

static int gfpu_policy_show(struct seq_file *m, void *unused)
{
	unsigned int policy = gfpu_policy();
	int i;

	seq_printf(m, "%u", policy);
	for (i = 0; i < GFPU_NR_POLICY_NAMES; i++)
		if (policy & gfpu_policy_names[i].bit)
			seq_printf(m, " %s", gfpu_policy_names[i].name);
	seq_putc(m, '\n');
	return 0;
}

static int gfpu_policy_open(struct inode *inode, struct file *file)
{
	return single_open(file, gfpu_policy_show, NULL);
}

static const struct file_operations gfpu_policy_fops = {
	.owner		= THIS_MODULE,
	.open		= gfpu_policy_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.release	= single_release,
	.write		= gfpu_policy_write,
};

static int __init gfpu_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir("gfpu", NULL);

	debugfs_create_file("stats", 0444, dir, NULL, &gfpu_stats_fops);
	debugfs_create_file("policy", 0644, dir, NULL, &gfpu_policy_fops);
	gfpu_fail_debugfs_init();
	pr_info("framework ready, policy %u\n", gfpu_policy());
	return 0;
}
late_initcall(gfpu_debugfs_init);
