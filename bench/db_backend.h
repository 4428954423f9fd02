/* The two back ends of the results database (db.c holds the logic, once):
 * SQLite (db_sqlite.c), one file, one host's embedded default; PostgreSQL
 * (db_pg.c, libpq), one server many hosts write to at once. A back end
 * runs SQL written with '?' placeholders and hands back every row as
 * text, which is all db.c needs. */
#ifndef PVBENCH_DB_BACKEND_H
#define PVBENCH_DB_BACKEND_H
#include <stddef.h>
#include <stdint.h>

/* A bound value: type 'i' int64, 'I' int, 'd' double, 't' text (NULL: SQL NULL). */
struct db_param {
	char type;
	int64_t i;
	double d;
	const char *t;
};

/* What a statement gave: rows of text (NULL for SQL NULL) and how many
 * rows an INSERT, UPDATE or DELETE touched. */
struct db_res {
	int nrows, ncols;
	char **v;                 /* v[row * ncols + col] */
	char **names;             /* column names */
	long changes;
};

struct db_ops {
	const char *name;
	int (*open)(const char *target, void **conn, char *err, size_t n);
	void (*close)(void *conn);
	/* statements separated by ';', no parameters: 0 or -EIO */
	int (*script)(void *conn, const char *sql);
	/* one statement: 0 or -EIO, res filled (free with db_res_free) */
	int (*query)(void *conn, const char *sql, int np, const struct db_param *p, struct db_res *res);
	/* the last failure's message */
	const char *(*error)(void *conn);
	/* the names of the tables of this database (its schema, on PostgreSQL) */
	const char *tables_sql;
	/* schema version 5 in one go, then the later steps (db.c); NULL:
	 * every step from version 0 */
	const char *create_sql;
	/* the time now as schema_version.applied has it, in this back end's SQL */
	const char *now_sql;
};

extern const struct db_ops db_sqlite_ops, db_pg_ops;

struct db {
	const struct db_ops *ops;
	void *conn;
	char target[256];         /* for messages: the file, or the URL without its password */
};

void db_res_free(struct db_res *r);
/* Appends a row of n values (copied) to r: 0 or -ENOMEM. */
int db_res_add_row(struct db_res *r, const char *const *vals);
#endif
