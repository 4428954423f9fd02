/* The results database: runs with host facts, their cells, every raw
 * sample and pvmon's per-domain statistics, in an SQLite file (one host)
 * or a PostgreSQL database (postgresql://..., a fleet of hosts writing at
 * once), behind one interface (db_backend.h). Schema and versions are
 * documented in docs/results.md; DB_SCHEMA_VERSION is the newest. */
#ifndef PVBENCH_DB_H
#define PVBENCH_DB_H
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include "result.h"
#include "suite.h"

#define DB_SCHEMA_VERSION 6

/* The reason of a cell whose host was lost under it (pvbench fleet): a
 * resume runs it again, unlike a cell that failed by itself. */
#define DB_HOST_LOST "host lost: "

struct db;

struct host_facts {
	char hostname[128], cpu_model[256], kernel[256], os[128], pvlab_version[128], kvm_backend[256];
	int cores;
	long mem_mib;
	bool emulated;        /* the CPU is emulated (QEMU TCG): its figures are emulation figures */
};

struct db_cell {
	int64_t id;
	int seq;
	char platform[16], workload[24], status[16], env[24];
	int domains, reps, timeout_s;
	bool quick;
	char host[64];        /* the fleet host that measures it; "" this machine */
	int attempt;          /* its start that this process made (db_cell_start) */
};

/* A fleet host's state in a run (db_host_progress). */
struct db_host_progress {
	char host[64];
	int cells, finished, failed;
	int reps_left;        /* repetitions still to measure */
	double rep_s;         /* mean seconds a repetition took there; -1 none yet */
};

/* target: a file (SQLite) or a postgresql:// URL. Opens (creating or
 * upgrading the schema); a database written by a newer pvbench is
 * refused. 0 or -errno, err says why. */
int db_open(const char *target, struct db **db, char *err, size_t errlen);
void db_close(struct db *db);
const char *db_error(struct db *db);
/* The target for messages (a URL without its password). */
const char *db_target(struct db *db);
bool db_is_url(const char *target);
/* The SQLite handle (tests reach past the interface); NULL on PostgreSQL. */
sqlite3 *db_sqlite(struct db *db);

/* The newest unfinished run of suite: *id (0 if none) and its options. */
int db_unfinished_run(struct db *db, const char *suite, int64_t *id, char *options, size_t n);
/* A new run with every cell of s pending (reps: 0 keeps the suite's). */
int db_create_run(struct db *db, const char *suite, const struct suite *s, const char *suite_text,
                  const char *options, int reps, const struct host_facts *h, int64_t *id);
/* A fleet run: the suite's cells on each host (mode "replicate") or each
 * group of cells on one host in turn ("spread"). */
int db_create_fleet_run(struct db *db, const char *suite, const struct suite *s, const char *suite_text,
                        const char *options, const struct host_facts *controller, const char *mode,
                        const char *const *hosts, int nhosts, int64_t *id);
int db_store_host(struct db *db, int64_t run, const char *name, const struct host_facts *h);
/* The run's cells (host NULL: all; else that host's). */
int db_load_cells(struct db *db, int64_t run, const char *host, struct db_cell **cells, int *n);
/* A cell (re)starts: samples of an earlier, interrupted attempt go; its
 * attempt count goes up and c->attempt is this start's. */
int db_cell_start(struct db *db, struct db_cell *c);
/* One repetition in one transaction: its row in reps (the run's next
 * ord, status done/unsupported/failed, r->detail, r->reason), and for a
 * measured repetition that is done (rep > 0) its samples, domain
 * statistics and counters. rep 0 is a warm-up. */
int db_store_rep(struct db *db, const struct db_cell *c, int rep, const char *status, const struct rep_result *r);
/* summary: `pvtrace summary --json` of the trace, NULL without pvtrace. */
int db_store_trace(struct db *db, int64_t cell, int rep, const char *path, const char *note, const char *summary);
/* One bucket [lo, hi) ns of a traced hypercall latency histogram. */
int db_store_hist(struct db *db, int64_t cell, int rep, const char *hypercall, uint64_t lo, uint64_t hi, uint64_t count);
/* A cell ends (from pending when its gate refused it). */
int db_cell_finish(struct db *db, const struct db_cell *c, const char *status, const char *reason, const char *detail,
                   double wall_s);
/* db_store_rep and db_cell_finish give -ESTALE when c->attempt is no
 * longer the cell's (given up, or started again by another process). */
/* Marks the run done if no cell is pending, running or lost with its
 * host; 1 if it did. */
int db_finish_run(struct db *db, int64_t run);
/* The host's running cells fail as DB_HOST_LOST "HOST: why": how many.
 * This and db_retry_lost count an attempt of each cell they change, so
 * that the process that ran it can no longer write to it. */
int db_give_up_host(struct db *db, int64_t run, const char *host, const char *why);
/* The host's cells that were running or lost with it are pending again:
 * how many. */
int db_retry_lost(struct db *db, int64_t run, const char *host);
/* Cells, finished cells and repetitions left per host. */
int db_host_progress(struct db *db, int64_t run, struct db_host_progress **p, int *n);
/* Every run of from into to (a new SQLite file: pvbench report). */
int db_copy(struct db *from, struct db *to, char *err, size_t errlen);
#endif
