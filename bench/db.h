/* The results database (SQLite): runs with host facts, their cells, every
 * raw sample and pvmon's per-domain statistics. Schema and versions are
 * documented in docs/results.md; DB_SCHEMA_VERSION is the newest. */
#ifndef PVBENCH_DB_H
#define PVBENCH_DB_H
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include "result.h"
#include "suite.h"

#define DB_SCHEMA_VERSION 4

struct host_facts {
	char hostname[128], cpu_model[256], kernel[256], os[128], pvlab_version[128], kvm_backend[256];
	int cores;
	long mem_mib;
};

struct db_cell {
	int64_t id;
	int seq;
	char platform[16], workload[24], status[16], env[24];
	int domains, reps, timeout_s;
	bool quick;
};

/* Opens (creating or upgrading the schema); a database written by a newer
 * pvbench is refused. 0 or -errno, err says why. */
int db_open(const char *path, sqlite3 **db, char *err, size_t errlen);
void db_close(sqlite3 *db);
const char *db_error(sqlite3 *db);

/* The newest unfinished run of suite: *id (0 if none) and its options. */
int db_unfinished_run(sqlite3 *db, const char *suite, int64_t *id, char *options, size_t n);
/* A new run with every cell of s pending (reps: 0 keeps the suite's). */
int db_create_run(sqlite3 *db, const char *suite, const struct suite *s, const char *suite_text,
                  const char *options, int reps, const struct host_facts *h, int64_t *id);
int db_load_cells(sqlite3 *db, int64_t run, struct db_cell **cells, int *n);
/* A cell (re)starts: samples of an earlier, interrupted attempt go. */
int db_cell_start(sqlite3 *db, int64_t cell);
/* One repetition in one transaction: its row in reps (the run's next
 * ord, status done/unsupported/failed, r->detail, r->reason), and for a
 * measured repetition that is done (rep > 0) its samples, domain
 * statistics and counters. rep 0 is a warm-up. */
int db_store_rep(sqlite3 *db, int64_t cell, int rep, const char *status, const struct rep_result *r);
/* summary: `pvtrace summary --json` of the trace, NULL without pvtrace. */
int db_store_trace(sqlite3 *db, int64_t cell, int rep, const char *path, const char *note, const char *summary);
/* One bucket [lo, hi) ns of a traced hypercall latency histogram. */
int db_store_hist(sqlite3 *db, int64_t cell, int rep, const char *hypercall, uint64_t lo, uint64_t hi, uint64_t count);
int db_cell_finish(sqlite3 *db, int64_t cell, const char *status, const char *reason, const char *detail,
                   double wall_s);
/* Marks the run done if no cell is pending or running; 1 if it did. */
int db_finish_run(sqlite3 *db, int64_t run);
#endif
