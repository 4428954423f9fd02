/* The results database's SQLite back end (db_backend.h): one file, the
 * embedded default of a run on one host. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include "db_backend.h"

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

static const char *lite_error(void *conn)
{
	sqlite3 *db = conn;
	if (sqlite3_errcode(db) == SQLITE_OK && last_failure.db == db && last_failure.msg[0])
		return last_failure.msg;
	return sqlite3_errmsg(db);
}

static int lite_open(const char *path, void **conn, char *err, size_t n)
{
	sqlite3 *db;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		snprintf(err, n, "cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return -EIO;
	}
	sqlite3_busy_timeout(db, 10000);   /* another pvbench on the same file */
	*conn = db;
	return 0;
}

static void lite_close(void *conn)
{
	sqlite3_close(conn);
}

static int lite_script(void *conn, const char *sql)
{
	if (sqlite3_exec(conn, sql, NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	remember(conn);
	return -EIO;
}

static int bind(sqlite3_stmt *st, int np, const struct db_param *p)
{
	int rc = SQLITE_OK;
	for (int i = 0; i < np && rc == SQLITE_OK; i++) {
		switch (p[i].type) {
		case 'i': rc = sqlite3_bind_int64(st, i + 1, p[i].i); break;
		case 'I': rc = sqlite3_bind_int(st, i + 1, (int)p[i].i); break;
		case 'd': rc = sqlite3_bind_double(st, i + 1, p[i].d); break;
		default:
			rc = p[i].t ? sqlite3_bind_text(st, i + 1, p[i].t, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i + 1);
		}
	}
	return rc;
}

static int lite_query(void *conn, const char *sql, int np, const struct db_param *p, struct db_res *res)
{
	sqlite3 *db = conn;
	sqlite3_stmt *st;
	memset(res, 0, sizeof(*res));
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK || bind(st, np, p) != SQLITE_OK) {
		remember(db);
		sqlite3_finalize(st);
		return -EIO;
	}
	res->ncols = sqlite3_column_count(st);
	int rc;
	const char *vals[64];
	if (res->ncols > 64) {
		sqlite3_finalize(st);
		return -E2BIG;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int c = 0; c < res->ncols; c++) {
			/* a REAL as text with every digit: the default keeps 15 */
			static _Thread_local char num[64][32];
			if (sqlite3_column_type(st, c) == SQLITE_FLOAT) {
				snprintf(num[c], sizeof(num[c]), "%.17g", sqlite3_column_double(st, c));
				vals[c] = num[c];
			} else {
				vals[c] = (const char *)sqlite3_column_text(st, c);
			}
		}
		if (db_res_add_row(res, vals)) {
			sqlite3_finalize(st);
			db_res_free(res);
			return -ENOMEM;
		}
	}
	if (rc != SQLITE_DONE) {
		remember(db);
		sqlite3_finalize(st);
		db_res_free(res);
		return -EIO;
	}
	res->changes = sqlite3_changes(db);
	res->names = calloc((size_t)res->ncols + 1, sizeof(char *));
	for (int c = 0; res->names && c < res->ncols; c++)
		res->names[c] = strdup(sqlite3_column_name(st, c));
	sqlite3_finalize(st);
	return 0;
}

const struct db_ops db_sqlite_ops = {
	.name = "sqlite",
	.open = lite_open,
	.close = lite_close,
	.script = lite_script,
	.query = lite_query,
	.error = lite_error,
	.tables_sql = "SELECT name FROM sqlite_master WHERE type = 'table'",
	.create_sql = NULL,
	.now_sql = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
};
