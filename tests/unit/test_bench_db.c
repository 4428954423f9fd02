/* The results database: a run's cells, samples and statistics round
 * trip; a restarted cell loses its partial samples; finished runs are not
 * resumed; databases of a newer schema or of something else are refused. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include "../../bench/db.h"
#include "check.h"

static int count(struct db *d, const char *sql)
{
	sqlite3 *db = db_sqlite(d);
	sqlite3_stmt *st;
	int n = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* What version 5 added goes, so that a test can make an older file. */
static const char undo_v5[] = "DROP TABLE hosts; DROP INDEX samples_key; DROP INDEX IF EXISTS reps_key; ALTER TABLE samples DROP COLUMN host;"
                              "ALTER TABLE runs DROP COLUMN fleet;";

static void test_roundtrip(const char *path)
{
	struct db *db;
	char err[512] = "", opts[256];
	CHECK_EQ(db_open(path, &db, err, sizeof(err)), 0);
	struct suite s;
	CHECK_EQ(suite_parse("native,pv cpu 1,2 reps=2\n", "t.suite", &s, err, sizeof(err)), 0);
	struct host_facts h = { .hostname = "h", .cpu_model = "cpu", .cores = 2, .mem_mib = 1024 };
	int64_t run = 0, found = -1;
	CHECK_EQ(db_create_run(db, "t", &s, "native,pv cpu 1,2 reps=2\n", "o=1", 0, &h, &run), 0);
	CHECK(run > 0);
	CHECK_EQ(db_unfinished_run(db, "t", &found, opts, sizeof(opts)), 0);
	CHECK_EQ(found, run);
	CHECK_STR(opts, "o=1");
	struct db_cell *cells;
	int n;
	CHECK_EQ(db_load_cells(db, run, NULL, &cells, &n), 0);
	CHECK_EQ(n, 4);
	CHECK_STR(cells[3].platform, "pv");
	CHECK_EQ(cells[3].domains, 2);
	CHECK_EQ(cells[3].reps, 2);
	CHECK_STR(cells[0].status, "pending");

	struct rep_result r = { 0 };
	result_add(&r, 1, "sort_ms", "ms", 0, 0, 1.5);
	result_add(&r, 0, "aggregate_passes_per_s", "passes/s", 1, 1, 3.0);
	r.d = calloc(1, sizeof(*r.d));
	r.nd = r.cap_d = 1;
	snprintf(r.d[0].name, sizeof(r.d[0].name), "d1");
	snprintf(r.d[0].state, sizeof(r.d[0].state), "exited");
	r.d[0].instance = 1;
	r.d[0].v[DST_HYPERCALLS] = 42;
	r.d[0].v[DST_KVM_MMIO_EXITS] = 7;
	CHECK_EQ(db_cell_start(db, &cells[0]), 0);
	CHECK_EQ(db_store_rep(db, &cells[0], 1, "done", &r), 0);
	CHECK_EQ(count(db, "SELECT count(*) FROM samples"), 2);
	CHECK_EQ(count(db, "SELECT hypercalls FROM domain_stats"), 42);
	CHECK_EQ(count(db, "SELECT kvm_mmio_exits FROM domain_stats"), 7);
	CHECK_EQ(count(db, "SELECT count(*) FROM cells WHERE status = 'running'"), 1);
	/* interrupted and started again: the partial repetition goes */
	CHECK_EQ(db_cell_start(db, &cells[0]), 0);
	CHECK_EQ(count(db, "SELECT count(*) FROM samples"), 0);
	CHECK_EQ(count(db, "SELECT count(*) FROM domain_stats"), 0);
	CHECK_EQ(db_store_rep(db, &cells[0], 1, "done", &r), 0);
	/* the order of the run's repetitions, a warm-up without samples, a
	 * failed repetition with its reason and detail */
	snprintf(r.detail, sizeof(r.detail), "errors=3");
	snprintf(r.reason, sizeof(r.reason), "httperf: 3 errors");
	CHECK_EQ(db_cell_start(db, &cells[1]), 0);
	CHECK_EQ(db_store_rep(db, &cells[1], 0, "done", &r), 0);
	CHECK_EQ(db_store_rep(db, &cells[1], 1, "failed", &r), 0);
	CHECK_EQ(count(db, "SELECT count(*) FROM samples"), 2);
	CHECK_EQ(count(db, "SELECT count(*) FROM domain_stats"), 1);
	CHECK_EQ(count(db, "SELECT count(*) FROM reps WHERE reason = 'httperf: 3 errors' AND detail = 'errors=3'"), 1);
	CHECK_EQ(count(db, "SELECT group_concat((cell_id - (SELECT min(id) FROM cells)) || ':' || rep, ' ') ="
	                   " '0:1 1:0 1:1' FROM (SELECT * FROM reps ORDER BY ord)"), 1);
	CHECK_EQ(count(db, "SELECT max(ord) FROM reps"), 3);
	CHECK_EQ(db_cell_start(db, &cells[1]), 0);      /* restarted: its repetitions go */
	CHECK_EQ(count(db, "SELECT count(*) FROM reps"), 1);
	CHECK_EQ(db_cell_finish(db, &cells[0], "done", NULL, "processes=1", 1.0), 0);
	CHECK_EQ(db_store_trace(db, cells[0].id, 1, "/tmp/x", "note", NULL), 0);
	CHECK_EQ(db_finish_run(db, run), 0);      /* three cells pending */
	for (int i = 1; i < n; i++)
		CHECK_EQ(db_cell_finish(db, &cells[i], "unsupported", "why", NULL, 0), 0);
	CHECK_EQ(db_finish_run(db, run), 1);
	CHECK_EQ(db_unfinished_run(db, "t", &found, opts, sizeof(opts)), 0);
	CHECK_EQ(found, 0);
	CHECK_EQ(count(db, "SELECT count(*) FROM cells WHERE reason = 'why'"), 3);
	CHECK_EQ(count(db, "SELECT max(version) FROM schema_version"), DB_SCHEMA_VERSION);
	result_free(&r);
	free(cells);
	suite_free(&s);
	db_close(db);
	/* reopening keeps everything */
	CHECK_EQ(db_open(path, &db, err, sizeof(err)), 0);
	CHECK_EQ(count(db, "SELECT count(*) FROM runs WHERE status = 'done'"), 1);
	/* a newer schema is refused */
	sqlite3_exec(db_sqlite(db), "INSERT INTO schema_version VALUES (99, 'x', 'future')", NULL, NULL, NULL);
	db_close(db);
	CHECK(db_open(path, &db, err, sizeof(err)) < 0);
	CHECK(strstr(err, "schema version 99") != NULL);
}

static void test_foreign(const char *path)
{
	struct db *db;
	sqlite3 *raw;
	char err[512] = "";
	sqlite3_open(path, &raw);
	sqlite3_exec(raw, "CREATE TABLE t (x)", NULL, NULL, NULL);
	sqlite3_close(raw);
	CHECK(db_open(path, &db, err, sizeof(err)) < 0);
	CHECK(strstr(err, "not a pvbench results database") != NULL);
	FILE *f = fopen(path, "w");
	fputs("this is not sqlite at all, just text that is long enough to have a header\n", f);
	fclose(f);
	CHECK(db_open(path, &db, err, sizeof(err)) < 0);
}

/* A version-1 file (as pvbench wrote before the counters table) is
 * brought up to date when opened, keeping its rows. */
static void test_upgrade(const char *path)
{
	struct db *db;
	char err[512] = "";
	CHECK_EQ(db_open(path, &db, err, sizeof(err)), 0);
	sqlite3_exec(db_sqlite(db), "INSERT INTO runs (suite, suite_file, suite_hash, suite_text, options, status, started)"
	                 " VALUES ('s', 'f', 'h', 't', 'o', 'done', 'now');"
	                 "DROP TABLE counters; DROP TABLE reps; DELETE FROM schema_version WHERE version > 1", NULL, NULL, NULL);
	CHECK_EQ(sqlite3_exec(db_sqlite(db), undo_v5, NULL, NULL, NULL), SQLITE_OK);
	CHECK_EQ(count(db, "SELECT max(version) FROM schema_version"), 1);
	db_close(db);
	CHECK_EQ(db_open(path, &db, err, sizeof(err)), 0);
	CHECK_EQ(count(db, "SELECT max(version) FROM schema_version"), DB_SCHEMA_VERSION);
	CHECK_EQ(count(db, "SELECT count(*) FROM counters"), 0);
	CHECK_EQ(count(db, "SELECT count(*) FROM runs"), 1);
	db_close(db);
}

/* A version-3 file is brought to version 4 with every cell kept: cells
 * carry where they were measured; a full-virt cell QEMU ran without KVM
 * is marked emulated (tcg); a native cell may then exist both here and
 * in a nested environment of the same run. */
/* The database at path, with a run of the suite text (its cells pending). */
static struct db *with_run(const char *path, const char *text, struct suite *s, int64_t *run)
{
	struct db *db = NULL;
	char err[512] = "";
	struct host_facts h = { .hostname = "h" };
	CHECK_EQ(db_open(path, &db, err, sizeof(err)), 0);
	CHECK_EQ(suite_parse(text, "t.suite", s, err, sizeof(err)), 0);
	CHECK_EQ(db_create_run(db, "t", s, text, "o", 0, &h, run), 0);
	return db;
}

static void test_upgrade_env(const char *path)
{
	char err[512] = "";
	struct suite s;
	int64_t run = 0;
	struct db *db = with_run(path, "native,fullvirt,uml cpu 1\n", &s, &run);
	/* what a version-3 cells table looked like: no env, the old key */
	CHECK_EQ(sqlite3_exec(db_sqlite(db), "UPDATE cells SET detail = 'qemu=7 accel=tcg kvm_probe=x' WHERE platform = 'fullvirt';"
	                          "UPDATE cells SET detail = 'accel=tcgx' WHERE platform = 'uml';"
	                          "CREATE TABLE c3 AS SELECT id, run_id, seq, platform, workload, domains, reps, quick,"
	                          " timeout_s, status, reason, detail, started, finished, wall_s FROM cells;"
	                          "DROP TABLE cells; ALTER TABLE c3 RENAME TO cells;"
	                          "DELETE FROM schema_version WHERE version > 3", NULL, NULL, NULL), SQLITE_OK);
	CHECK_EQ(sqlite3_exec(db_sqlite(db), undo_v5, NULL, NULL, NULL), SQLITE_OK);
	db_close(db);
	CHECK_EQ(db_open(path, &db, err, sizeof(err)), 0);
	CHECK_EQ(count(db, "SELECT max(version) FROM schema_version"), DB_SCHEMA_VERSION);
	CHECK_EQ(count(db, "SELECT count(*) FROM cells"), 3);
	CHECK_EQ(count(db, "SELECT count(*) FROM cells WHERE env = 'tcg' AND platform = 'fullvirt'"), 1);
	CHECK_EQ(count(db, "SELECT count(*) FROM cells WHERE env = 'hardware'"), 2);
	/* the new key: native here and in the nested host, one run */
	CHECK_EQ(sqlite3_exec(db_sqlite(db), "INSERT INTO cells (run_id, seq, platform, workload, domains, reps, quick, timeout_s,"
	                          " status, env) VALUES (1, 9, 'native', 'cpu', 1, 1, 0, 1, 'pending', 'nested-svm')",
	                      NULL, NULL, NULL), SQLITE_OK);
	CHECK(sqlite3_exec(db_sqlite(db), "INSERT INTO cells (run_id, seq, platform, workload, domains, reps, quick, timeout_s,"
	                       " status, env) VALUES (1, 9, 'native', 'cpu', 1, 1, 0, 1, 'pending', 'nested-svm')",
	                   NULL, NULL, NULL) != SQLITE_OK);
	struct db_cell *cells;
	int n;
	CHECK_EQ(db_load_cells(db, run, NULL, &cells, &n), 0);
	CHECK_EQ(n, 4);
	CHECK_STR(cells[1].env, "tcg");
	CHECK_STR(cells[3].env, ENV_NESTED_SVM);
	free(cells);
	suite_free(&s);
	db_close(db);
}

/* A version-5 file is brought to version 6: its pv cells of cpu, hcall and
 * lmbench ran pvos and become pvos, with their samples; pv's Linux PV
 * cells (pgbench, dbench, httperf, httperf-vif) stay pv. */
static void test_upgrade_pvos(const char *path)
{
	char err[512] = "";
	struct suite s;
	int64_t run = 0;
	struct db *db = with_run(path, "native,pv cpu 1,2\npv hcall 1\nnative,pv lmbench 1\npv@nested-svm dbench 1\n"
	                         "pv httperf-vif 2\npv@nested-svm cpu 1\n", &s, &run);
	CHECK_EQ(sqlite3_exec(db_sqlite(db), "INSERT INTO samples (cell_id, rep, instance, metric, unit, higher_is_better,"
	                          " derived, value) SELECT id, 1, 1, 'sort_ms', 'ms', 0, 0, 2 FROM cells WHERE platform = 'pv'"
	                          " AND workload = 'cpu';"
	                          "DELETE FROM schema_version WHERE version > 5", NULL, NULL, NULL), SQLITE_OK);
	db_close(db);
	CHECK_EQ(db_open(path, &db, err, sizeof(err)), 0);
	CHECK_EQ(count(db, "SELECT max(version) FROM schema_version"), 6);
	CHECK_EQ(count(db, "SELECT count(*) FROM cells WHERE platform = 'pvos'"), 5);
	CHECK_EQ(count(db, "SELECT count(*) FROM cells WHERE platform = 'pvos' AND workload = 'cpu'"), 3);
	CHECK_EQ(count(db, "SELECT count(*) FROM cells WHERE platform = 'pv'"), 2);
	CHECK_EQ(count(db, "SELECT count(*) FROM cells WHERE platform = 'pv' AND workload IN ('dbench', 'httperf-vif')"), 2);
	CHECK_EQ(count(db, "SELECT count(*) FROM cells WHERE platform = 'native'"), 3);
	CHECK_EQ(count(db, "SELECT count(*) FROM samples s JOIN cells c ON c.id = s.cell_id WHERE c.platform = 'pvos'"), 3);
	db_close(db);
	/* opened again: nothing more to do, nothing renamed twice */
	CHECK_EQ(db_open(path, &db, err, sizeof(err)), 0);
	CHECK_EQ(count(db, "SELECT count(*) FROM schema_version WHERE version = 6"), 1);
	CHECK_EQ(count(db, "SELECT count(*) FROM cells WHERE platform = 'pv'"), 2);
	suite_free(&s);
	db_close(db);
}

/* A write refused in the middle of a transaction (a damaged or read-only
 * file; here a trigger) is reported with SQLite's reason, not with the
 * "not an error" the ROLLBACK after it leaves behind. */
static void test_errors(const char *path)
{
	struct db *db;
	char err[512] = "";
	CHECK_EQ(db_open(path, &db, err, sizeof(err)), 0);
	struct suite s;
	CHECK_EQ(suite_parse("native cpu 1\n", "t.suite", &s, err, sizeof(err)), 0);
	struct host_facts h = { .hostname = "h" };
	int64_t run = 0;
	sqlite3_exec(db_sqlite(db), "CREATE TRIGGER no_cells BEFORE INSERT ON cells BEGIN SELECT RAISE(ABORT, 'cells refused'); END;"
	                 "CREATE TRIGGER no_update BEFORE UPDATE ON cells BEGIN SELECT RAISE(ABORT, 'update refused'); END;"
	                 "CREATE TRIGGER no_samples BEFORE INSERT ON samples BEGIN SELECT RAISE(ABORT, 'samples refused'); END;",
	             NULL, NULL, NULL);
	CHECK(db_create_run(db, "t", &s, "", "o", 0, &h, &run) < 0);
	CHECK_STR(db_error(db), "cells refused");
	CHECK_EQ(count(db, "SELECT count(*) FROM runs"), 0);          /* rolled back */
	sqlite3_exec(db_sqlite(db), "DROP TRIGGER no_cells", NULL, NULL, NULL);
	CHECK_EQ(db_create_run(db, "t", &s, "", "o", 0, &h, &run), 0);
	struct db_cell *cells;
	int n;
	CHECK_EQ(db_load_cells(db, run, NULL, &cells, &n), 0);
	CHECK(db_cell_start(db, &cells[0]) < 0);
	CHECK_STR(db_error(db), "update refused");
	sqlite3_exec(db_sqlite(db), "DROP TRIGGER no_update", NULL, NULL, NULL);
	CHECK_EQ(db_cell_start(db, &cells[0]), 0);
	struct rep_result r = { 0 };
	result_add(&r, 1, "sort_ms", "ms", 0, 0, 1.5);
	CHECK(db_store_rep(db, &cells[0], 1, "done", &r) < 0);
	CHECK_STR(db_error(db), "samples refused");
	result_free(&r);
	free(cells);
	suite_free(&s);
	db_close(db);
}

/* A fleet run: replicated cells per host, a spread suite's groups on one
 * host each; a host lost under a running cell: the cell fails with the
 * reason, the process that ran it can write no more (-ESTALE), a resume
 * makes it pending again and the run is not finished until it is done;
 * a repetition cannot be stored twice; the copy for the report keeps
 * every row. */
static void test_fleet(const char *path)
{
	struct db *db, *copy;
	char err[512] = "", copy_path[600];
	const char *hosts[] = { "h1", "h2", "h3" };
	struct host_facts h = { .hostname = "ctl", .cpu_model = "cpu", .kvm_backend = "pvm" };
	struct suite s;
	int64_t run = 0;
	CHECK_EQ(db_open(path, &db, err, sizeof(err)), 0);
	CHECK_EQ(suite_parse("fleet spread\nnative cpu 1,2\nnative,pv hcall 1\n", "t.suite", &s, err, sizeof(err)), 0);
	CHECK_STR(s.fleet, "spread");
	CHECK_EQ(db_create_fleet_run(db, "f", &s, "", "o", &h, s.fleet, hosts, 3, &run), 0);
	/* three groups: cpu 1, cpu 2, hcall 1 (both of its cells on one host) */
	CHECK_EQ(count(db, "SELECT count(*) FROM cells WHERE host = 'h1'"), 1);
	CHECK_EQ(count(db, "SELECT count(*) FROM cells WHERE host = 'h3' AND workload = 'hcall'"), 2);
	suite_free(&s);
	CHECK_EQ(suite_parse("native cpu 1 reps=2\nnative cpu 2\n", "t.suite", &s, err, sizeof(err)), 0);
	CHECK_STR(s.fleet, "replicate");
	CHECK_EQ(db_create_fleet_run(db, "g", &s, "", "o", &h, s.fleet, hosts, 3, &run), 0);
	CHECK_EQ(count(db, "SELECT count(*) FROM cells WHERE run_id = 2"), 6);
	struct db_cell *cells;
	int n;
	CHECK_EQ(db_load_cells(db, run, "h2", &cells, &n), 0);
	CHECK_EQ(n, 2);
	CHECK_STR(cells[0].host, "h2");
	h.emulated = true;
	CHECK_EQ(db_store_host(db, run, "h2", &h), 0);
	CHECK_EQ(db_store_host(db, run, "h2", &h), 0);     /* again on a resume: one row */
	CHECK_EQ(count(db, "SELECT count(*) FROM hosts WHERE run_id = 2 AND name = 'h2' AND emulated = 1"), 1);
	struct rep_result r = { 0 };
	result_add(&r, 0, "t_ms", "ms", 0, 0, 2.0);
	CHECK_EQ(db_cell_start(db, &cells[0]), 0);
	CHECK_EQ(cells[0].attempt, 1);
	CHECK_EQ(db_store_rep(db, &cells[0], 1, "done", &r), 0);
	CHECK(db_store_rep(db, &cells[0], 1, "done", &r) < 0);        /* the same repetition twice */
	CHECK_EQ(count(db, "SELECT count(*) FROM samples WHERE host = 'h2'"), 1);
	CHECK_EQ(db_give_up_host(db, run, "h2", "unreachable: no route"), 1);
	CHECK_EQ(count(db, "SELECT count(*) FROM cells WHERE reason = 'host lost: h2: unreachable: no route'"), 1);
	CHECK_EQ(db_store_rep(db, &cells[0], 2, "done", &r), -ESTALE);
	CHECK_EQ(db_cell_finish(db, &cells[0], "done", NULL, NULL, 1), -ESTALE);
	struct db_host_progress *p;
	int np;
	CHECK_EQ(db_host_progress(db, run, &p, &np), 0);
	CHECK_EQ(np, 3);
	CHECK_STR(p[1].host, "h2");
	CHECK_EQ(p[1].finished, 0);           /* a lost cell is not finished */
	CHECK_EQ(p[1].reps_left, 5);          /* both cells, every repetition */
	free(p);
	CHECK_EQ(db_retry_lost(db, run, "h2"), 1);
	CHECK_EQ(db_cell_finish(db, &cells[0], "done", NULL, NULL, 1), -ESTALE);   /* still stale */
	free(cells);
	CHECK_EQ(db_load_cells(db, run, "h2", &cells, &n), 0);
	CHECK_STR(cells[0].status, "pending");
	CHECK_EQ(db_cell_start(db, &cells[0]), 0);
	CHECK_EQ(count(db, "SELECT count(*) FROM samples"), 0);      /* the lost attempt's are gone */
	CHECK_EQ(db_store_rep(db, &cells[0], 1, "done", &r), 0);
	CHECK_EQ(db_finish_run(db, run), 0);
	/* the report's copy */
	snprintf(copy_path, sizeof(copy_path), "%s.copy", path);
	CHECK_EQ(db_open(copy_path, &copy, err, sizeof(err)), 0);
	CHECK_EQ(db_copy(db, copy, err, sizeof(err)), 0);
	CHECK_EQ(count(copy, "SELECT count(*) FROM cells"), 10);
	CHECK_EQ(count(copy, "SELECT count(*) FROM samples WHERE host = 'h2' AND value = 2.0"), 1);
	CHECK_EQ(count(copy, "SELECT count(*) FROM hosts WHERE name = 'h2'"), 1);
	db_close(copy);
	unlink(copy_path);
	result_free(&r);
	free(cells);
	suite_free(&s);
	db_close(db);
}

int main(void)
{
	char dir[] = "/tmp/test_bench_db-XXXXXX", path[64];
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/r.db", dir);
	test_roundtrip(path);
	unlink(path);
	test_foreign(path);
	unlink(path);
	test_upgrade(path);
	unlink(path);
	test_upgrade_env(path);
	unlink(path);
	test_upgrade_pvos(path);
	unlink(path);
	test_errors(path);
	unlink(path);
	test_fleet(path);
	unlink(path);
	rmdir(dir);
	return CHECK_DONE();
}
