/* pvmon's vCPU scheduler: a vCPU thread may enter KVM_RUN only while it
 * holds one of nr_slots run slots (one per physical CPU given to pvmon).
 * Which vCPU gets a free slot, and for how long, is the policy's choice,
 * behind an ops table (BVT default, round-robin alternative). */
#ifndef PVMON_SCHED_H
#define PVMON_SCHED_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct vcpu;
struct sched;

#define SCHED_MAX_SLOTS 256

struct sched_params {          /* -1: leave unchanged */
	int64_t weight, warp_ns, warpl_ns, warpu_ns;
};

struct sched_ops {
	const char *name;
	int (*init)(struct sched *s);
	void (*fini)(struct sched *s);
	int (*vcpu_init)(struct sched *s, struct vcpu *v);
	void (*vcpu_fini)(struct sched *s, struct vcpu *v);
	/* v became runnable; woken: after blocking (not a preemption). */
	void (*enqueue)(struct sched *s, struct vcpu *v, bool woken, uint64_t now);
	void (*dequeue)(struct sched *s, struct vcpu *v);
	/* Remove and return the vCPU to run next, with its slice; NULL if none. */
	struct vcpu *(*pick)(struct sched *s, uint64_t now, uint64_t *slice_ns);
	/* v stops running after ran_ns. */
	void (*charge)(struct sched *s, struct vcpu *v, uint64_t ran_ns, uint64_t now);
	/* Should woken take the slot of running now? */
	bool (*preempts)(struct sched *s, struct vcpu *woken, struct vcpu *running, uint64_t now);
	int (*set_params)(struct sched *s, struct vcpu *v, const struct sched_params *p);
	void (*get_params)(struct sched *s, struct vcpu *v, struct sched_params *p);
};

struct sched {
	const struct sched_ops *ops;
	void *priv;
	int nr_slots;
	struct vcpu *slot[SCHED_MAX_SLOTS];
	uint64_t rr_slice_ns;      /* round-robin slice */
	uint64_t decisions;
};

extern const struct sched_ops sched_bvt_ops, sched_rr_ops;
extern struct sched sched;
extern pthread_mutex_t sched_lock;   /* guards sched, vCPU states, slots */

const struct sched_ops *sched_find(const char *name);
int sched_init(const struct sched_ops *ops, int nr_slots);

/* vCPU-thread side. */
int sched_vcpu_add(struct vcpu *v);            /* state DOWN, policy data */
void sched_vcpu_start(struct vcpu *v);         /* DOWN -> RUNNABLE */
bool sched_wait_slot(struct vcpu *v);          /* false: the vCPU must stop */
void sched_release(struct vcpu *v, int new_state, const char *reason);
/* Block until woken or deadline (system ns, 0 none), then get a slot back. */
bool sched_block(struct vcpu *v, uint64_t deadline);
void sched_vcpu_exit(struct vcpu *v);
void sched_vcpu_remove(struct vcpu *v);         /* its policy data, if a thread never ran it */
/* Wait (polling, up to timeout_ms) until no vCPU of d is running; false on
 * timeout. For control operations, never from a vCPU thread of d. */
bool sched_wait_stopped(struct domain *d, unsigned timeout_ms);
/* Should a long batch (multicall, mmu_update, the balloon) stop here for
 * the scheduler, a deliverable event or a state change? */
bool sched_preempt_pending(struct vcpu *v);
/* The domain is paused: give up the slot until it is unpaused. */
bool sched_pause(struct vcpu *v);

/* Any thread. */
void sched_wake(struct vcpu *v, const char *why);
void sched_kick(struct vcpu *v);
struct domain;
void sched_notify_domain(struct domain *d);     /* domain state changed */               /* ask the vCPU thread to exit KVM_RUN */
int sched_set_params(struct vcpu *v, const struct sched_params *p);
void sched_get_params(struct vcpu *v, struct sched_params *p);
#endif
