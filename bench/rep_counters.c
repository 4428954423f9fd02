/* pvbench's use of libpvcounters: spawn_run's hooks open a counter set
 * on the workload process while it waits at its start gate (inherited by
 * its threads and children, so pvmon's vCPU threads and QEMU count too)
 * and read it when the process has exited. Where the host has no PMU the
 * library falls back to software events and says so; the note is kept. */
#include <stdio.h>
#include <string.h>
#include "../tracing/counters.h"
#include "rep_counters.h"
#include "spawn.h"

static struct rep_result *target;
static struct pvc *open_set;

static void started(pid_t pid)
{
	char err[256];
	open_set = pvc_open(pid, true, err, sizeof(err));
	if (!open_set) {
		snprintf(target->counter_note, sizeof(target->counter_note), "not counted: %.140s", err);
		return;
	}
	snprintf(target->counter_note, sizeof(target->counter_note), "%s", pvc_note(open_set));
	pvc_start(open_set);
}

/* Sums over the processes of one repetition, by counter name. */
static void add(const char *name, const char *unit, double v)
{
	for (int i = 0; i < target->nc; i++)
		if (!strcmp(target->c[i].name, name)) {
			target->c[i].value += v;
			return;
		}
	if (target->nc == REP_MAX_COUNTERS)
		return;
	struct counter_val *c = &target->c[target->nc++];
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->unit, sizeof(c->unit), "%s", unit[0] ? unit : "count");
	c->value = v;
}

static void ended(pid_t pid)
{
	(void)pid;
	if (!open_set)
		return;
	pvc_stop(open_set);
	for (int i = 0; i < pvc_count(open_set); i++)
		add(pvc_name(open_set, i), pvc_unit(open_set, i), (double)pvc_value(open_set, i));
	pvc_close(open_set);
	open_set = NULL;
}

void rep_counters_begin(struct rep_result *r)
{
	target = r;
	spawn_started = started;
	spawn_ended = ended;
}

void rep_counters_end(void)
{
	spawn_started = NULL;
	spawn_ended = NULL;
	target = NULL;
}
