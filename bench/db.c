/* Results database: the logic, written once in SQL both back ends run
 * (db_backend.h: SQLite for one host, PostgreSQL for a fleet); see db.h
 * and docs/results.md. Each repetition is stored in one transaction, so an
 * interrupted run leaves whole repetitions behind, and a restarted cell
 * first drops them. A cell's attempt number guards every write of its
 * repetitions: a host that was given up (pvbench fleet) and comes back
 * cannot add to a cell that has moved on. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "db.h"
#include "db_backend.h"

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

/* Version 5: many hosts (pvbench fleet, docs/fleet.md). cells.host
 * names the host that measures the cell ('' for this machine) and joins
 * the cell's identity, as env did in version 4 (the table is rebuilt the
 * same way); cells.attempt counts the cell's starts and guards its
 * writes; every sample carries its host; hosts holds each host's facts
 * per run; runs.fleet says how a fleet run placed its cells; a
 * repetition and a sample have unique keys, so none is stored twice. */
static const char schema_v5[] =
	"CREATE TABLE cells_v5 ("
	" id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id), seq INTEGER NOT NULL,"
	" platform TEXT NOT NULL, workload TEXT NOT NULL, domains INTEGER NOT NULL, reps INTEGER NOT NULL,"
	" quick INTEGER NOT NULL, timeout_s INTEGER NOT NULL,"
	" status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'unsupported', 'failed')),"
	" reason TEXT, detail TEXT, started TEXT, finished TEXT, wall_s REAL,"
	" env TEXT NOT NULL DEFAULT 'hardware', host TEXT NOT NULL DEFAULT '', attempt INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE (run_id, platform, workload, domains, env, host));"
	"INSERT INTO cells_v5 SELECT id, run_id, seq, platform, workload, domains, reps, quick, timeout_s, status,"
	" reason, detail, started, finished, wall_s, env, '', 0 FROM cells;"
	"DROP TABLE cells;"
	"ALTER TABLE cells_v5 RENAME TO cells;"
	"ALTER TABLE samples ADD COLUMN host TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE runs ADD COLUMN fleet TEXT;"
	"CREATE UNIQUE INDEX samples_key ON samples(cell_id, rep, instance, metric);"
	"CREATE UNIQUE INDEX reps_key ON reps(cell_id, rep);"
	"CREATE TABLE hosts ("
	" run_id INTEGER NOT NULL REFERENCES runs(id), name TEXT NOT NULL, hostname TEXT, cpu_model TEXT,"
	" kernel TEXT, os TEXT, cores INTEGER, mem_mib INTEGER, pvlab_version TEXT, kvm_backend TEXT,"
	" emulated INTEGER NOT NULL DEFAULT 0, seen TEXT, PRIMARY KEY (run_id, name));"
	"INSERT INTO hosts (run_id, name, hostname, cpu_model, kernel, os, cores, mem_mib, pvlab_version, kvm_backend, seen)"
	" SELECT id, '', hostname, cpu_model, kernel, os, cores, mem_mib, pvlab_version, kvm_backend, started FROM runs;"
	"INSERT INTO schema_version VALUES (5, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),"
	" 'hosts, cells.host and attempt, samples.host, runs.fleet, unique keys on reps and samples');";

/* Version 6: the platform pv split in two (docs/results.md). pv is now
 * Linux PV for every workload and pvos pvlab's own kernel; before it, pv's
 * cpu, hcall and lmbench cells ran pvos domains, so they become pvos
 * (their pgbench, dbench and httperf cells were Linux PV already and stay
 * pv). From this version on both back ends take the steps: %s is the back
 * end's now_sql. */
static const char schema_v6[] =
	"UPDATE cells SET platform = 'pvos' WHERE platform = 'pv' AND workload IN ('cpu', 'hcall', 'lmbench');"
	"INSERT INTO schema_version VALUES (6, %s,"
	" 'platform pvos: the pv cells of cpu, hcall and lmbench ran pvos, pv is Linux PV');";
#define FIRST_SHARED_STEP 6

/* migrations[v - 1] takes a database from version v - 1 to v: SQLite all
 * the way, PostgreSQL from version 5 (db_pg.c creates it at once) with
 * the steps from FIRST_SHARED_STEP on. */
static const char *const migrations[] = { schema_v1, schema_v2, schema_v3, schema_v4, schema_v5, schema_v6 };
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == DB_SCHEMA_VERSION, "one migration per version");

void db_res_free(struct db_res *r)
{
	for (long i = 0; r->v && i < (long)r->nrows * r->ncols; i++)
		free(r->v[i]);
	for (int c = 0; r->names && c < r->ncols; c++)
		free(r->names[c]);
	free(r->v);
	free(r->names);
	memset(r, 0, sizeof(*r));
}

int db_res_add_row(struct db_res *r, const char *const *vals)
{
	char **v = realloc(r->v, (size_t)(r->nrows + 1) * (size_t)r->ncols * sizeof(char *) + 1);
	if (!v)
		return -ENOMEM;
	r->v = v;
	char **row = v + (size_t)r->nrows * (size_t)r->ncols;
	for (int c = 0; c < r->ncols; c++)
		row[c] = vals[c] ? strdup(vals[c]) : NULL;
	r->nrows++;
	return 0;
}

static const char *cell_text(const struct db_res *r, int row, int col)
{
	const char *s = r->v[row * r->ncols + col];
	return s ? s : "";
}

static int64_t cell_int(const struct db_res *r, int row, int col)
{
	return strtoll(cell_text(r, row, col), NULL, 10);
}

/* An array of r's rows, zeroed; on failure r is freed and NULL returned. */
static void *rows_array(struct db_res *r, size_t size)
{
	void *a = calloc((size_t)r->nrows, size);
	if (!a)
		db_res_free(r);
	return a;
}

const char *db_error(struct db *db)
{
	return db->ops->error(db->conn);
}

const char *db_target(struct db *db)
{
	return db->target;
}

bool db_is_url(const char *target)
{
	return !strncmp(target, "postgresql://", 13) || !strncmp(target, "postgres://", 11);
}

/* Run sql with the arguments of fmt (i int64, I int, d double, t text,
 * NULL binds NULL); res, if not NULL, gets the rows. 0 or -EIO. */
static int vrun(struct db *db, struct db_res *res, const char *sql, const char *fmt, va_list ap)
{
	struct db_param p[64];
	int n = 0;
	for (; fmt[n] && n < 64; n++) {
		p[n] = (struct db_param){ .type = fmt[n] };
		switch (fmt[n]) {
		case 'i': p[n].i = va_arg(ap, int64_t); break;
		case 'I': p[n].i = va_arg(ap, int); break;
		case 'd': p[n].d = va_arg(ap, double); break;
		default: p[n].t = va_arg(ap, const char *);
		}
	}
	struct db_res own;
	int rc = db->ops->query(db->conn, sql, n, p, res ? res : &own);
	if (!rc && !res)
		db_res_free(&own);
	return rc;
}

static int put(struct db *db, const char *sql, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vrun(db, NULL, sql, fmt, ap);
	va_end(ap);
	return rc;
}

static int query(struct db *db, struct db_res *res, const char *sql, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vrun(db, res, sql, fmt, ap);
	va_end(ap);
	return rc;
}

/* How many rows an UPDATE touched: -EIO on failure. */
static long changes(struct db *db, const char *sql, const char *fmt, ...)
{
	struct db_res res;
	va_list ap;
	va_start(ap, fmt);
	int rc = vrun(db, &res, sql, fmt, ap);
	va_end(ap);
	if (rc)
		return rc;
	long n = res.changes;
	db_res_free(&res);
	return n;
}

static int exec(struct db *db, const char *sql)
{
	return db->ops->script(db->conn, sql);
}

/* Leaves the message of the failure that made it roll back in place. */
static void rollback(struct db *db)
{
	exec(db, "ROLLBACK");
}

static int commit(struct db *db, int rc)
{
	if (rc || exec(db, "COMMIT")) {
		rollback(db);
		return rc ? rc : -EIO;
	}
	return 0;
}

/* The time of a change, as the schema keeps it (UTC, ISO 8601): made here
 * so that both back ends store the same text. */
static const char *now_utc(char buf[24])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, 24, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* The tables there are: *n of them, *have_version if schema_version is one. */
static int tables(struct db *db, int *n, bool *have_version)
{
	struct db_res r;
	if (query(db, &r, db->ops->tables_sql, ""))
		return -EIO;
	*n = r.nrows;
	*have_version = false;
	for (int i = 0; i < r.nrows; i++)
		*have_version |= !strcmp(cell_text(&r, i, 0), "schema_version");
	db_res_free(&r);
	return 0;
}

static int schema_version(struct db *db, int *v, int *ntables)
{
	bool have;
	*v = 0;
	if (tables(db, ntables, &have))
		return -EIO;
	if (!have)
		return 0;
	struct db_res r;
	if (query(db, &r, "SELECT coalesce(max(version), 0) FROM schema_version", ""))
		return -EIO;
	*v = r.nrows ? (int)cell_int(&r, 0, 0) : 0;
	db_res_free(&r);
	return 0;
}

/* The URL without its password, for messages. */
static void shown_target(const char *t, char *out, size_t n)
{
	const char *at = strchr(t, '@'), *scheme = strstr(t, "://");
	const char *colon = scheme ? strchr(scheme + 3, ':') : NULL;
	if (db_is_url(t) && at && colon && colon < at)
		snprintf(out, n, "%.*s:***%s", (int)(colon - t), t, at);
	else
		snprintf(out, n, "%s", t);
}

/* Brings a database to the newest schema: SQLite step by step, a new
 * PostgreSQL database at once. */
static int upgrade(struct db *db, int v, char *err, size_t errlen)
{
	if (v == 0 && db->ops->create_sql) {
		if (exec(db, "BEGIN") || commit(db, exec(db, db->ops->create_sql))) {
			snprintf(err, errlen, "cannot create the pvbench tables in %s: %s", db->target, db_error(db));
			return -EIO;
		}
		v = FIRST_SHARED_STEP - 1;
	}
	if (v > 0 && v < FIRST_SHARED_STEP - 1 && db->ops->create_sql) {
		snprintf(err, errlen, "%s has schema version %d, which this back end cannot upgrade", db->target, v);
		return -EPROTO;
	}
	for (; v < DB_SCHEMA_VERSION; v++) {
		/* the shared steps name the back end's clock (now_sql) */
		char step[1024];
		const char *sql = migrations[v];
		if (v + 1 >= FIRST_SHARED_STEP)
			snprintf(step, sizeof(step), migrations[v], db->ops->now_sql), sql = step;
		if (exec(db, "BEGIN") || commit(db, exec(db, sql))) {
			snprintf(err, errlen, "cannot bring %s to schema version %d: %s", db->target, v + 1, db_error(db));
			return -EIO;
		}
	}
	return 0;
}

int db_open(const char *target, struct db **out, char *err, size_t errlen)
{
	struct db *db = calloc(1, sizeof(*db));
	if (!db)
		return -ENOMEM;
	db->ops = db_is_url(target) ? &db_pg_ops : &db_sqlite_ops;
	shown_target(target, db->target, sizeof(db->target));
	int rc = db->ops->open(target, &db->conn, err, errlen);
	if (rc) {
		free(db);
		return rc;
	}
	int v, n;
	if (schema_version(db, &v, &n)) {
		snprintf(err, errlen, "%s is not %s database: %s", db->target,
		         db->ops == &db_pg_ops ? "a usable PostgreSQL" : "an SQLite", db_error(db));
		rc = -EINVAL;
	} else if (v > DB_SCHEMA_VERSION) {
		snprintf(err, errlen, "%s has schema version %d; this pvbench knows versions up to %d", db->target, v,
		         DB_SCHEMA_VERSION);
		rc = -EPROTO;
	} else if (v == 0 && n != 0) {
		snprintf(err, errlen, "%s holds other tables, not a pvbench results database", db->target);
		rc = -EINVAL;
	} else {
		rc = upgrade(db, v, err, errlen);
	}
	if (rc) {
		db_close(db);
		return rc;
	}
	*out = db;
	return 0;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	db->ops->close(db->conn);
	free(db);
}

sqlite3 *db_sqlite(struct db *db)
{
	return db->ops == &db_sqlite_ops ? db->conn : NULL;
}

int db_unfinished_run(struct db *db, const char *suite, int64_t *id, char *options, size_t n)
{
	struct db_res r;
	if (query(db, &r, "SELECT id, options FROM runs WHERE suite = ? AND status = 'running' ORDER BY id DESC LIMIT 1",
	          "t", suite))
		return -EIO;
	*id = r.nrows ? cell_int(&r, 0, 0) : 0;
	if (r.nrows)
		snprintf(options, n, "%s", cell_text(&r, 0, 1));
	db_res_free(&r);
	return 0;
}

/* One host's facts in a run, replacing what it said before. */
static int host_row(struct db *db, int64_t run, const char *name, const struct host_facts *h)
{
	char now[24];
	int rc = put(db, "DELETE FROM hosts WHERE run_id = ? AND name = ?", "it", run, name);
	if (!rc)
		rc = put(db, "INSERT INTO hosts (run_id, name, hostname, cpu_model, kernel, os, cores, mem_mib,"
		             " pvlab_version, kvm_backend, emulated, seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		         "itttttIittIt", run, name, h->hostname, h->cpu_model, h->kernel, h->os, h->cores,
		         (int64_t)h->mem_mib, h->pvlab_version, h->kvm_backend, (int)h->emulated, now_utc(now));
	return rc;
}

/* The fleet's hosts write theirs when they start (again on a resume:
 * the newest facts win). */
int db_store_host(struct db *db, int64_t run, const char *name, const struct host_facts *h)
{
	if (exec(db, "BEGIN"))
		return -EIO;
	return commit(db, host_row(db, run, name, h));
}

/* A run and its cells in one transaction: every cell of s once per host
 * (hosts NULL: this machine), or, with spread, each group of cells (one
 * workload and domain count: compared with each other, so measured on
 * one host) on the next host in turn. */
static int create_run(struct db *db, const char *suite, const struct suite *s, const char *suite_text,
                      const char *options, int reps, const struct host_facts *h, const char *fleet,
                      const char *const *hosts, int nhosts, int64_t *id)
{
	char hash[32], now[24];
	snprintf(hash, sizeof(hash), "%016llx", (unsigned long long)s->hash);
	static const char *const here[] = { "" };
	if (!hosts)
		hosts = here, nhosts = 1;
	if (exec(db, "BEGIN"))
		return -EIO;
	struct db_res r;
	int rc = query(db, &r, "INSERT INTO runs (suite, suite_file, suite_hash, suite_text, options, status, started,"
	                       " hostname, cpu_model, kernel, os, cores, mem_mib, pvlab_version, kvm_backend, fleet)"
	                       " VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
	               "ttttttttttIittt", suite, s->path, hash, suite_text, options, now_utc(now), h->hostname,
	               h->cpu_model, h->kernel, h->os, h->cores, (int64_t)h->mem_mib, h->pvlab_version, h->kvm_backend,
	               fleet);
	if (!rc) {
		*id = r.nrows ? cell_int(&r, 0, 0) : 0;
		db_res_free(&r);
	}
	if (!rc && !fleet)
		rc = host_row(db, *id, "", h);
	bool spread = fleet && !strcmp(fleet, "spread");
	int *group = spread ? calloc((size_t)s->n, sizeof(int)) : NULL, ngroups = 0, seq = 0;
	if (spread && !group)
		rc = -ENOMEM;
	for (int i = 0; group && i < s->n; i++) {
		int f = 0;          /* the group's first cell numbers it */
		while (strcmp(s->cells[f].workload, s->cells[i].workload) || s->cells[f].domains != s->cells[i].domains)
			f++;
		group[i] = f == i ? ngroups++ : group[f];
	}
	for (int k = 0; k < (spread ? 1 : nhosts) && !rc; k++)
		for (int i = 0; i < s->n && !rc; i++) {
			const struct cell_spec *c = &s->cells[i];
			const char *host = spread ? hosts[group[i] % nhosts] : hosts[k];
			rc = put(db, "INSERT INTO cells (run_id, seq, platform, workload, domains, reps, quick, timeout_s,"
			             " status, env, host) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
			         "iIttIIIItt", *id, ++seq, c->platform, c->workload, c->domains, reps ? reps : c->reps,
			         (int)c->quick, c->timeout_s, c->env[0] ? c->env : ENV_HARDWARE, host);
		}
	free(group);
	return commit(db, rc);
}

int db_create_run(struct db *db, const char *suite, const struct suite *s, const char *suite_text,
                  const char *options, int reps, const struct host_facts *h, int64_t *id)
{
	return create_run(db, suite, s, suite_text, options, reps, h, NULL, NULL, 0, id);
}

int db_create_fleet_run(struct db *db, const char *suite, const struct suite *s, const char *suite_text,
                        const char *options, const struct host_facts *controller, const char *mode,
                        const char *const *hosts, int nhosts, int64_t *id)
{
	return create_run(db, suite, s, suite_text, options, 0, controller, mode, hosts, nhosts, id);
}

int db_load_cells(struct db *db, int64_t run, const char *host, struct db_cell **cells, int *n)
{
	struct db_res r;
	*n = 0;
	*cells = NULL;
	if (query(db, &r, "SELECT id, seq, platform, workload, domains, reps, quick, timeout_s, status, env, host, attempt"
	                  " FROM cells WHERE run_id = ? AND (? IS NULL OR host = ?) ORDER BY seq",
	          "itt", run, host, host))
		return -EIO;
	if (r.nrows && !(*cells = rows_array(&r, sizeof(**cells))))
		return -ENOMEM;
	for (int i = 0; i < r.nrows; i++) {
		struct db_cell *c = &(*cells)[i];
		c->id = cell_int(&r, i, 0);
		c->seq = (int)cell_int(&r, i, 1);
		snprintf(c->platform, sizeof(c->platform), "%s", cell_text(&r, i, 2));
		snprintf(c->workload, sizeof(c->workload), "%s", cell_text(&r, i, 3));
		c->domains = (int)cell_int(&r, i, 4);
		c->reps = (int)cell_int(&r, i, 5);
		c->quick = cell_int(&r, i, 6) != 0;
		c->timeout_s = (int)cell_int(&r, i, 7);
		snprintf(c->status, sizeof(c->status), "%s", cell_text(&r, i, 8));
		snprintf(c->env, sizeof(c->env), "%s", cell_text(&r, i, 9));
		snprintf(c->host, sizeof(c->host), "%s", cell_text(&r, i, 10));
		c->attempt = (int)cell_int(&r, i, 11);
	}
	*n = r.nrows;
	db_res_free(&r);
	return 0;
}

static const char *const cell_tables[] = { "samples", "domain_stats", "traces", "trace_hist", "counters", "reps" };

int db_cell_start(struct db *db, struct db_cell *c)
{
	char sql[128], now[24];
	if (exec(db, "BEGIN"))
		return -EIO;
	struct db_res r;
	/* first the cell's row: on PostgreSQL it stays locked until COMMIT */
	int rc = query(db, &r, "UPDATE cells SET status = 'running', reason = NULL, detail = NULL, wall_s = NULL,"
	                       " finished = NULL, started = ?, attempt = attempt + 1 WHERE id = ? RETURNING attempt",
	               "ti", now_utc(now), c->id);
	if (!rc) {
		c->attempt = r.nrows ? (int)cell_int(&r, 0, 0) : -1;
		db_res_free(&r);
	}
	for (size_t i = 0; i < sizeof(cell_tables) / sizeof(cell_tables[0]) && !rc; i++) {
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE cell_id = ?", cell_tables[i]);
		rc = put(db, sql, "i", c->id);
	}
	return commit(db, rc);
}

/* The cell is still this attempt's (not given up, made pending again or
 * restarted elsewhere: each of those counts an attempt); in a transaction, on PostgreSQL its row is then locked. 0,
 * -ESTALE if not, -EIO. */
static int own_cell(struct db *db, const struct db_cell *c)
{
	long n = changes(db, "UPDATE cells SET attempt = attempt WHERE id = ? AND attempt = ? AND status = 'running'",
	                 "iI", c->id, c->attempt);
	return n < 0 ? (int)n : n == 1 ? 0 : -ESTALE;
}

/* A column per statistic of hypervisor/include/pvmon_domstats.h, named as
 * its key, bound after the six columns that say whose they are. */
#define STAT_COLUMN(NAME, key) ", " #key
#define STAT_VALUE(NAME, key) ", ?"
static int store_stat(struct db *db, int64_t cell, int rep, const struct dom_stat *d)
{
	static const char sql[] = "INSERT INTO domain_stats (cell_id, rep, instance, name, state, exit_code"
	                          PVMON_DOMSTATS(STAT_COLUMN) ") VALUES (?, ?, ?, ?, ?, ?" PVMON_DOMSTATS(STAT_VALUE) ")";
	struct db_param p[6 + DST_NR] = {
		{ .type = 'i', .i = cell }, { .type = 'I', .i = rep }, { .type = 'I', .i = d->instance },
		{ .type = 't', .t = d->name }, { .type = 't', .t = d->state }, { .type = 'I', .i = d->exit_code },
	};
	for (int i = 0; i < DST_NR; i++)
		p[6 + i] = (struct db_param){ .type = 'i', .i = (int64_t)d->v[i] };
	struct db_res res;
	int rc = db->ops->query(db->conn, sql, 6 + DST_NR, p, &res);
	if (!rc)
		db_res_free(&res);
	return rc;
}
#undef STAT_COLUMN
#undef STAT_VALUE

int db_store_rep(struct db *db, const struct db_cell *c, int rep, const char *status, const struct rep_result *r)
{
	char now[24];
	if (exec(db, "BEGIN"))
		return -EIO;
	int rc = own_cell(db, c);
	/* ord: the order of the repetitions on the cell's host in the run */
	if (!rc)
		rc = put(db, "INSERT INTO reps SELECT ?, ?, 1 + coalesce(max(ord), 0), ?, ?, ?, ?, ? FROM reps"
		             " WHERE cell_id IN (SELECT id FROM cells WHERE run_id = (SELECT run_id FROM cells WHERE id = ?)"
		             " AND host = ?)",
		         "iIttdttit", c->id, rep, status, now_utc(now), r->wall_s, r->detail[0] ? r->detail : NULL,
		         strcmp(status, "done") && r->reason[0] ? r->reason : NULL, c->id, c->host);
	int keep = rep > 0 && !strcmp(status, "done");    /* a warm-up's samples are not kept */
	for (int i = 0; i < r->ns && !rc && keep; i++) {
		const struct sample *s = &r->s[i];
		rc = put(db, "INSERT INTO samples (cell_id, rep, instance, metric, unit, higher_is_better, derived, value, host)"
		             " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		         "iIIttIIdt", c->id, rep, s->instance, s->metric, s->unit, s->higher, s->derived, s->value, c->host);
	}
	for (int i = 0; i < r->nd && !rc && keep; i++)
		rc = store_stat(db, c->id, rep, &r->d[i]);
	for (int i = 0; i < r->nc && !rc && keep; i++)
		rc = put(db, "INSERT INTO counters VALUES (?, ?, ?, ?, ?, ?)", "iIttdt", c->id, rep, r->c[i].name,
		         r->c[i].unit, r->c[i].value, r->counter_note);
	return commit(db, rc);
}

int db_store_trace(struct db *db, int64_t cell, int rep, const char *path, const char *note, const char *summary)
{
	return put(db, "INSERT INTO traces VALUES (?, ?, ?, ?, ?)", "iIttt", cell, rep, path, note, summary);
}

int db_store_hist(struct db *db, int64_t cell, int rep, const char *hypercall, uint64_t lo, uint64_t hi, uint64_t count)
{
	return put(db, "INSERT INTO trace_hist VALUES (?, ?, ?, ?, ?, ?)", "iItiii", cell, rep, hypercall, (int64_t)lo,
	           (int64_t)hi, (int64_t)count);
}

int db_cell_finish(struct db *db, const struct db_cell *c, const char *status, const char *reason, const char *detail,
                   double wall_s)
{
	char now[24];
	long n = changes(db, "UPDATE cells SET status = ?, reason = ?, detail = ?, wall_s = ?, finished = ?"
	                     " WHERE id = ? AND attempt = ? AND status IN ('pending', 'running')",
	                 "tttdtiI", status, reason && *reason ? reason : NULL, detail && *detail ? detail : NULL, wall_s,
	                 now_utc(now), c->id, c->attempt);
	return n < 0 ? (int)n : n == 1 ? 0 : -ESTALE;
}

int db_finish_run(struct db *db, int64_t run)
{
	struct db_res r;
	char now[24];
	if (query(db, &r, "SELECT count(*) FROM cells WHERE run_id = ? AND (status IN ('pending', 'running')"
	                  " OR (status = 'failed' AND reason LIKE ?))",
	          "it", run, DB_HOST_LOST "%"))
		return -EIO;
	int64_t left = r.nrows ? cell_int(&r, 0, 0) : -1;
	db_res_free(&r);
	if (left)
		return 0;
	int rc = put(db, "UPDATE runs SET status = 'done', finished = ? WHERE id = ?", "ti", now_utc(now), run);
	return rc ? rc : 1;
}

int db_give_up_host(struct db *db, int64_t run, const char *host, const char *why)
{
	char reason[768], now[24];
	snprintf(reason, sizeof(reason), DB_HOST_LOST "%s: %s", host, why);
	long n = changes(db, "UPDATE cells SET status = 'failed', reason = ?, finished = ?, attempt = attempt + 1"
	                     " WHERE run_id = ? AND host = ? AND status = 'running'",
	                 "ttit", reason, now_utc(now), run, host);
	return n < 0 ? (int)n : (int)n;
}

int db_retry_lost(struct db *db, int64_t run, const char *host)
{
	long n = changes(db, "UPDATE cells SET status = 'pending', attempt = attempt + 1 WHERE run_id = ? AND host = ?"
	                     " AND (status = 'running' OR (status = 'failed' AND reason LIKE ?))",
	                 "itt", run, host, DB_HOST_LOST "%");
	return n < 0 ? (int)n : (int)n;
}

int db_host_progress(struct db *db, int64_t run, struct db_host_progress **out, int *n)
{
	struct db_res r;
	*out = NULL;
	*n = 0;
	if (query(db, &r, "SELECT c.host, count(*),"
	                  " sum(CASE WHEN c.status IN ('done', 'unsupported') OR (c.status = 'failed' AND"
	                  "  coalesce(c.reason, '') NOT LIKE ?) THEN 1 ELSE 0 END),"
	                  " sum(CASE WHEN c.status = 'failed' THEN 1 ELSE 0 END),"
	                  " sum(CASE WHEN c.status IN ('pending', 'running') OR c.reason LIKE ? THEN c.reps ELSE 0 END),"
	                  " (SELECT count(*) FROM reps p JOIN cells d ON d.id = p.cell_id WHERE d.run_id = c.run_id"
	                  "  AND d.host = c.host AND p.rep > 0 AND d.status = 'running'),"
	                  " (SELECT avg(p.wall_s) FROM reps p JOIN cells d ON d.id = p.cell_id WHERE d.run_id = c.run_id"
	                  "  AND d.host = c.host)"
	                  " FROM cells c WHERE c.run_id = ? GROUP BY c.run_id, c.host ORDER BY c.host",
	          "tti", DB_HOST_LOST "%", DB_HOST_LOST "%", run))
		return -EIO;
	if (r.nrows && !(*out = rows_array(&r, sizeof(**out))))
		return -ENOMEM;
	for (int i = 0; i < r.nrows; i++) {
		struct db_host_progress *p = &(*out)[i];
		snprintf(p->host, sizeof(p->host), "%s", cell_text(&r, i, 0));
		p->cells = (int)cell_int(&r, i, 1);
		p->finished = (int)cell_int(&r, i, 2);
		p->failed = (int)cell_int(&r, i, 3);
		p->reps_left = (int)cell_int(&r, i, 4) - (int)cell_int(&r, i, 5);
		p->rep_s = r.v[i * r.ncols + 6] ? strtod(cell_text(&r, i, 6), NULL) : -1;
	}
	*n = r.nrows;
	db_res_free(&r);
	return 0;
}

int db_copy(struct db *from, struct db *to, char *err, size_t errlen)
{
	static const char *const order[] = { "runs", "hosts", "cells", "samples", "domain_stats", "traces",
	                                     "trace_hist", "counters", "reps" };
	if (exec(to, "BEGIN"))
		return snprintf(err, errlen, "%s: %s", to->target, db_error(to)), -EIO;
	int rc = 0;
	for (size_t t = 0; t < sizeof(order) / sizeof(order[0]) && !rc; t++) {
		char sql[2048];
		struct db_res r;
		snprintf(sql, sizeof(sql), "SELECT * FROM %s", order[t]);
		if (query(from, &r, sql, "")) {
			snprintf(err, errlen, "%s: %s", from->target, db_error(from));
			rc = -EIO;
			break;
		}
		/* by name: the column order of the two back ends may differ */
		size_t l = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO %s (", order[t]);
		for (int c = 0; c < r.ncols && l < sizeof(sql); c++)
			l += (size_t)snprintf(sql + l, sizeof(sql) - l, "%s%s", c ? ", " : "", r.names[c]);
		for (int c = 0; c < r.ncols && l < sizeof(sql); c++)
			l += (size_t)snprintf(sql + l, sizeof(sql) - l, "%s", c ? ", ?" : ") VALUES (?");
		if (l < sizeof(sql))
			snprintf(sql + l, sizeof(sql) - l, ")");
		struct db_param p[64];
		for (int i = 0; i < r.nrows && !rc; i++) {
			for (int c = 0; c < r.ncols && c < 64; c++)
				p[c] = (struct db_param){ .type = 't', .t = r.v[i * r.ncols + c] };
			struct db_res none;
			rc = to->ops->query(to->conn, sql, r.ncols, p, &none);
			if (!rc)
				db_res_free(&none);
			else
				snprintf(err, errlen, "%s: %s: %s", to->target, order[t], db_error(to));
		}
		db_res_free(&r);
	}
	if (commit(to, rc) && !rc) {
		snprintf(err, errlen, "%s: %s", to->target, db_error(to));
		rc = -EIO;
	}
	return rc;
}
