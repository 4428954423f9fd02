/* Results database on libsqlite3; see db.h and docs/results.md. Each
 * repetition is stored in one transaction, so an interrupted run leaves
 * whole repetitions behind, and a restarted cell first drops them. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db.h"

/* Version 1. Each later version is a step in migrations[] (below) that
 * db_open runs on older files, adding tables or columns and its row in
 * schema_version; no data is ever dropped, so old databases keep working
 * (version 4 rebuilds a table to widen its key, every row kept). */
static const char schema_v1[] =
	"CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied TEXT NOT NULL, description TEXT NOT NULL);"
	"CREATE TABLE runs ("
	" id INTEGER PRIMARY KEY, suite TEXT NOT NULL, suite_file TEXT NOT NULL, suite_hash TEXT NOT NULL,"
	" suite_text TEXT NOT NULL, options TEXT NOT NULL,"
	" status TEXT NOT NULL CHECK (status IN ('running', 'done')),"
	" started TEXT NOT NULL, finished TEXT,"
	" hostname TEXT, cpu_model TEXT, kernel TEXT, os TEXT, cores INTEGER, mem_mib INTEGER,"
	" pvlab_version TEXT, kvm_backend TEXT);"
	"CREATE TABLE cells ("
	" id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id), seq INTEGER NOT NULL,"
	" platform TEXT NOT NULL, workload TEXT NOT NULL, domains INTEGER NOT NULL, reps INTEGER NOT NULL,"
	" quick INTEGER NOT NULL, timeout_s INTEGER NOT NULL,"
	" status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'unsupported', 'failed')),"
	" reason TEXT, detail TEXT, started TEXT, finished TEXT, wall_s REAL,"
	" UNIQUE (run_id, platform, workload, domains));"
	"CREATE TABLE samples ("
	" cell_id INTEGER NOT NULL REFERENCES cells(id), rep INTEGER NOT NULL, instance INTEGER NOT NULL,"
	" metric TEXT NOT NULL, unit TEXT NOT NULL, higher_is_better INTEGER NOT NULL,"
	" derived INTEGER NOT NULL, value REAL NOT NULL);"
	"CREATE INDEX samples_cell ON samples(cell_id);"
	"CREATE TABLE domain_stats ("
	" cell_id INTEGER NOT NULL REFERENCES cells(id), rep INTEGER NOT NULL, instance INTEGER NOT NULL,"
	" name TEXT NOT NULL, state TEXT NOT NULL, exit_code INTEGER NOT NULL,"
	" run_ns INTEGER, wait_ns INTEGER, blocked_ns INTEGER, hypercalls INTEGER, upcalls INTEGER,"
	" exits INTEGER, events_sent INTEGER, boot_ns INTEGER, kvm_exits INTEGER,"
	" kvm_insn_emulation INTEGER, kvm_io_exits INTEGER, kvm_halt_exits INTEGER, kvm_mmio_exits INTEGER);"
	"CREATE TABLE traces ("
	" cell_id INTEGER NOT NULL REFERENCES cells(id), rep INTEGER NOT NULL, path TEXT NOT NULL,"
	" note TEXT, summary TEXT);"
	"CREATE TABLE trace_hist ("
	" cell_id INTEGER NOT NULL REFERENCES cells(id), rep INTEGER NOT NULL, hypercall TEXT NOT NULL,"
	" lo_ns INTEGER NOT NULL, hi_ns INTEGER NOT NULL, count INTEGER NOT NULL);"
	"INSERT INTO schema_version VALUES (1, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),"
	" 'runs, cells, samples, domain_stats, traces, trace_hist');";

/* Version 2: performance counters per repetition (--counters). */
static const char schema_v2[] =
	"CREATE TABLE counters ("
	" cell_id INTEGER NOT NULL REFERENCES cells(id), rep INTEGER NOT NULL, name TEXT NOT NULL,"
	" unit TEXT NOT NULL, value REAL NOT NULL, note TEXT);"
	"INSERT INTO schema_version VALUES (2, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), 'counters');";

/* Version 3: every repetition in the order it ran (cells of one workload
 * and domain count run round-robin), warm-ups included (rep 0, samples not
 * kept), with its own detail words. */
static const char schema_v3[] =
	"CREATE TABLE reps ("
	" cell_id INTEGER NOT NULL REFERENCES cells(id), rep INTEGER NOT NULL, ord INTEGER NOT NULL,"
	" status TEXT NOT NULL CHECK (status IN ('done', 'unsupported', 'failed')),"
	" finished TEXT NOT NULL, wall_s REAL, detail TEXT, reason TEXT);"
	"CREATE INDEX reps_cell ON reps(cell_id);"
	"INSERT INTO schema_version VALUES (3, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),"
	" 'reps: the order, warm-ups and details of every repetition');";

/* Version 4: where each cell was measured (cells.env: hardware, or the
 * nested AMD-V host, docs/results.md), a part of a cell's identity: the
 * nested host's native cell is the baseline of its pv and fullvirt cells
 * beside the hardware native of the same run. SQLite cannot widen a
 * UNIQUE constraint, so the table is rebuilt with every row kept; a
 * full-virt cell QEMU ran without KVM (detail accel=tcg) was an emulated
 * machine and is marked so ('tcg'), which the report never divides by a
 * hardware native. */
static const char schema_v4[] =
	"CREATE TABLE cells_v4 ("
	" id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id), seq INTEGER NOT NULL,"
	" platform TEXT NOT NULL, workload TEXT NOT NULL, domains INTEGER NOT NULL, reps INTEGER NOT NULL,"
	" quick INTEGER NOT NULL, timeout_s INTEGER NOT NULL,"
	" status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'unsupported', 'failed')),"
	" reason TEXT, detail TEXT, started TEXT, finished TEXT, wall_s REAL,"
	" env TEXT NOT NULL DEFAULT 'hardware',"
	" UNIQUE (run_id, platform, workload, domains, env));"
	"INSERT INTO cells_v4 SELECT id, run_id, seq, platform, workload, domains, reps, quick, timeout_s, status,"
	" reason, detail, started, finished, wall_s,"
	" CASE WHEN platform = 'fullvirt' AND ' ' || coalesce(detail, '') || ' ' LIKE '% accel=tcg %'"
	" THEN 'tcg' ELSE 'hardware' END FROM cells;"
	"DROP TABLE cells;"
	"ALTER TABLE cells_v4 RENAME TO cells;"
	"INSERT INTO schema_version VALUES (4, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),"
	" 'cells.env: where each cell was measured (hardware, tcg, nested-svm, nested-svm-shadow)');";

/* migrations[v - 1] takes a database from version v - 1 to v. */
static const char *const migrations[] = { schema_v1, schema_v2, schema_v3, schema_v4 };
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == DB_SCHEMA_VERSION, "one migration per version");

/* The message of the last failure on a connection. A ROLLBACK after a
 * failed statement resets sqlite3_errmsg() to "not an error", so each
 * failure is remembered where it happens (pvbench uses one connection at
 * a time, from one thread). */
static _Thread_local struct {
	sqlite3 *db;
	char msg[256];
} last_failure;

static void remember(sqlite3 *db)
{
	last_failure.db = db;
	snprintf(last_failure.msg, sizeof(last_failure.msg), "%s", sqlite3_errmsg(db));
}

const char *db_error(sqlite3 *db)
{
	if (sqlite3_errcode(db) == SQLITE_OK && last_failure.db == db && last_failure.msg[0])
		return last_failure.msg;
	return sqlite3_errmsg(db);
}

/* Prepare sql and bind args by the letters of fmt: i int64, I int,
 * t text (NULL binds NULL), d double. */
static sqlite3_stmt *prep(sqlite3 *db, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		remember(db);
		return NULL;
	}
	va_list ap;
	va_start(ap, fmt);
	for (int i = 0; fmt[i]; i++) {
		int c = i + 1;
		switch (fmt[i]) {
		case 'i': sqlite3_bind_int64(st, c, va_arg(ap, int64_t)); break;
		case 'I': sqlite3_bind_int(st, c, va_arg(ap, int)); break;
		case 'd': sqlite3_bind_double(st, c, va_arg(ap, double)); break;
		case 't': {
			const char *s = va_arg(ap, const char *);
			if (s)
				sqlite3_bind_text(st, c, s, -1, SQLITE_TRANSIENT);
			else
				sqlite3_bind_null(st, c);
			break;
		}
		}
	}
	va_end(ap);
	return st;
}

/* Run a statement that returns no rows; 0 or -EIO. */
static int done(sqlite3_stmt *st)
{
	if (!st)
		return -EIO;
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		remember(sqlite3_db_handle(st));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static int schema_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *st = prep(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'", "");
	if (!st || sqlite3_step(st) != SQLITE_ROW)
		return sqlite3_finalize(st), -EIO;
	int have = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	*v = 0;
	if (!have)
		return 0;
	st = prep(db, "SELECT coalesce(max(version), 0) FROM schema_version", "");
	if (!st || sqlite3_step(st) != SQLITE_ROW)
		return sqlite3_finalize(st), -EIO;
	*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

static int count_tables(sqlite3 *db)
{
	sqlite3_stmt *st = prep(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'", "");
	int n = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	return n;
}

int db_open(const char *path, sqlite3 **out, char *err, size_t errlen)
{
	sqlite3 *db;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return -EIO;
	}
	sqlite3_busy_timeout(db, 10000);   /* another pvbench on the same file */
	int v;
	if (schema_version(db, &v)) {
		snprintf(err, errlen, "%s is not an SQLite database: %s", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return -EINVAL;
	}
	if (v > DB_SCHEMA_VERSION) {
		snprintf(err, errlen, "%s has schema version %d; this pvbench knows versions up to %d", path, v,
		         DB_SCHEMA_VERSION);
		sqlite3_close(db);
		return -EPROTO;
	}
	if (v == 0 && count_tables(db) != 0) {
		snprintf(err, errlen, "%s holds other tables, not a pvbench results database", path);
		sqlite3_close(db);
		return -EINVAL;
	}
	for (; v < DB_SCHEMA_VERSION; v++) {
		char *msg = NULL;
		sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		if (sqlite3_exec(db, migrations[v], NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "cannot bring %s to schema version %d: %s", path, v + 1, msg ? msg : "?");
			sqlite3_free(msg);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			sqlite3_close(db);
			return -EIO;
		}
	}
	*out = db;
	return 0;
}

void db_close(sqlite3 *db)
{
	sqlite3_close(db);
}

int db_unfinished_run(sqlite3 *db, const char *suite, int64_t *id, char *options, size_t n)
{
	sqlite3_stmt *st = prep(db, "SELECT id, options FROM runs WHERE suite = ? AND status = 'running' "
	                            "ORDER BY id DESC LIMIT 1", "t", suite);
	if (!st)
		return -EIO;
	*id = 0;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		snprintf(options, n, "%s", (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -EIO;
}

/* Leaves the message of the failure that made it roll back in place. */
static void rollback(sqlite3 *db)
{
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

static int exec(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	remember(db);
	return -EIO;
}

int db_create_run(sqlite3 *db, const char *suite, const struct suite *s, const char *suite_text,
                  const char *options, int reps, const struct host_facts *h, int64_t *id)
{
	char hash[32];
	snprintf(hash, sizeof(hash), "%016llx", (unsigned long long)s->hash);
	if (exec(db, "BEGIN"))
		return -EIO;
	int rc = done(prep(db, "INSERT INTO runs (suite, suite_file, suite_hash, suite_text, options, status, started,"
	                       " hostname, cpu_model, kernel, os, cores, mem_mib, pvlab_version, kvm_backend)"
	                       " VALUES (?, ?, ?, ?, ?, 'running', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),"
	                       " ?, ?, ?, ?, ?, ?, ?, ?)",
	                   "tttttttttIitt", suite, s->path, hash, suite_text, options, h->hostname, h->cpu_model,
	                   h->kernel, h->os, h->cores, (int64_t)h->mem_mib, h->pvlab_version, h->kvm_backend));
	*id = sqlite3_last_insert_rowid(db);
	for (int i = 0; i < s->n && !rc; i++) {
		const struct cell_spec *c = &s->cells[i];
		rc = done(prep(db, "INSERT INTO cells (run_id, seq, platform, workload, domains, reps, quick, timeout_s,"
		                   " status, env) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
		               "iIttIIIIt", *id, i + 1, c->platform, c->workload, c->domains, reps ? reps : c->reps,
		               (int)c->quick, c->timeout_s, c->env[0] ? c->env : ENV_HARDWARE));
	}
	if (rc || exec(db, "COMMIT")) {
		rollback(db);
		return -EIO;
	}
	return 0;
}

int db_load_cells(sqlite3 *db, int64_t run, struct db_cell **cells, int *n)
{
	sqlite3_stmt *st = prep(db, "SELECT id, seq, platform, workload, domains, reps, quick, timeout_s, status, env "
	                            "FROM cells WHERE run_id = ? ORDER BY seq", "i", run);
	if (!st)
		return -EIO;
	int cap = 0, rc;
	*n = 0;
	*cells = NULL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			struct db_cell *p = realloc(*cells, (size_t)cap * sizeof(**cells));
			if (!p) {
				sqlite3_finalize(st);
				return -ENOMEM;
			}
			*cells = p;
		}
		struct db_cell *c = &(*cells)[(*n)++];
		c->id = sqlite3_column_int64(st, 0);
		c->seq = sqlite3_column_int(st, 1);
		snprintf(c->platform, sizeof(c->platform), "%s", (const char *)sqlite3_column_text(st, 2));
		snprintf(c->workload, sizeof(c->workload), "%s", (const char *)sqlite3_column_text(st, 3));
		c->domains = sqlite3_column_int(st, 4);
		c->reps = sqlite3_column_int(st, 5);
		c->quick = sqlite3_column_int(st, 6);
		c->timeout_s = sqlite3_column_int(st, 7);
		snprintf(c->status, sizeof(c->status), "%s", (const char *)sqlite3_column_text(st, 8));
		snprintf(c->env, sizeof(c->env), "%s", (const char *)sqlite3_column_text(st, 9));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int db_cell_start(sqlite3 *db, int64_t cell)
{
	static const char *const tables[] = { "samples", "domain_stats", "traces", "trace_hist", "counters", "reps" };
	char sql[128];
	if (exec(db, "BEGIN"))
		return -EIO;
	int rc = 0;
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]) && !rc; i++) {
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE cell_id = ?", tables[i]);
		rc = done(prep(db, sql, "i", cell));
	}
	if (!rc)
		rc = done(prep(db, "UPDATE cells SET status = 'running', reason = NULL, detail = NULL, wall_s = NULL,"
		                   " finished = NULL, started = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?",
		               "i", cell));
	if (rc || exec(db, "COMMIT")) {
		rollback(db);
		return -EIO;
	}
	return 0;
}

static int store_stat(sqlite3 *db, int64_t cell, int rep, const struct dom_stat *d)
{
	const uint64_t *v = d->v;
	return done(prep(db, "INSERT INTO domain_stats (cell_id, rep, instance, name, state, exit_code, run_ns,"
	                     " wait_ns, blocked_ns, hypercalls, upcalls, exits, events_sent, boot_ns, kvm_exits,"
	                     " kvm_insn_emulation, kvm_io_exits, kvm_halt_exits, kvm_mmio_exits)"
	                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	                 "iIIttIiiiiiiiiiiiii", cell, rep, d->instance, d->name, d->state, d->exit_code,
	                 (int64_t)v[0], (int64_t)v[1], (int64_t)v[2], (int64_t)v[3], (int64_t)v[4], (int64_t)v[5],
	                 (int64_t)v[6], (int64_t)v[7], (int64_t)v[8], (int64_t)v[9], (int64_t)v[10],
	                 (int64_t)v[11], (int64_t)v[12]));
}

int db_store_rep(sqlite3 *db, int64_t cell, int rep, const char *status, const struct rep_result *r)
{
	_Static_assert(DST_NR == 13, "store_stat binds 13 statistics in dstat_fields order");
	if (exec(db, "BEGIN"))
		return -EIO;
	int rc = done(prep(db, "INSERT INTO reps SELECT ?, ?, 1 + coalesce(max(ord), 0), ?,"
	                       " strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?, ?, ? FROM reps"
	                       " WHERE cell_id IN (SELECT id FROM cells WHERE run_id = (SELECT run_id FROM cells WHERE id = ?))",
	                   "iItdtti", cell, rep, status, r->wall_s, r->detail[0] ? r->detail : NULL,
	                   strcmp(status, "done") && r->reason[0] ? r->reason : NULL, cell));
	int keep = rep > 0 && !strcmp(status, "done");    /* a warm-up's samples are not kept */
	for (int i = 0; i < r->ns && !rc && keep; i++) {
		const struct sample *s = &r->s[i];
		rc = done(prep(db, "INSERT INTO samples VALUES (?, ?, ?, ?, ?, ?, ?, ?)", "iIIttIId", cell, rep,
		               s->instance, s->metric, s->unit, s->higher, s->derived, s->value));
	}
	for (int i = 0; i < r->nd && !rc && keep; i++)
		rc = store_stat(db, cell, rep, &r->d[i]);
	for (int i = 0; i < r->nc && !rc && keep; i++)
		rc = done(prep(db, "INSERT INTO counters VALUES (?, ?, ?, ?, ?, ?)", "iIttdt", cell, rep, r->c[i].name,
		               r->c[i].unit, r->c[i].value, r->counter_note));
	if (rc || exec(db, "COMMIT")) {
		rollback(db);
		return -EIO;
	}
	return 0;
}

int db_store_trace(sqlite3 *db, int64_t cell, int rep, const char *path, const char *note, const char *summary)
{
	return done(prep(db, "INSERT INTO traces VALUES (?, ?, ?, ?, ?)", "iIttt", cell, rep, path, note, summary));
}

int db_store_hist(sqlite3 *db, int64_t cell, int rep, const char *hypercall, uint64_t lo, uint64_t hi, uint64_t count)
{
	return done(prep(db, "INSERT INTO trace_hist VALUES (?, ?, ?, ?, ?, ?)", "iItiii", cell, rep, hypercall,
	                 (int64_t)lo, (int64_t)hi, (int64_t)count));
}

int db_cell_finish(sqlite3 *db, int64_t cell, const char *status, const char *reason, const char *detail,
                   double wall_s)
{
	return done(prep(db, "UPDATE cells SET status = ?, reason = ?, detail = ?, wall_s = ?,"
	                     " finished = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?",
	                 "tttdi", status, reason && *reason ? reason : NULL, detail && *detail ? detail : NULL,
	                 wall_s, cell));
}

int db_finish_run(sqlite3 *db, int64_t run)
{
	sqlite3_stmt *st = prep(db, "SELECT count(*) FROM cells WHERE run_id = ? AND status IN ('pending', 'running')",
	                        "i", run);
	if (!st || sqlite3_step(st) != SQLITE_ROW)
		return sqlite3_finalize(st), -EIO;
	int left = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (left)
		return 0;
	int rc = done(prep(db, "UPDATE runs SET status = 'done', finished = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
	                       " WHERE id = ?", "i", run));
	return rc ? rc : 1;
}
