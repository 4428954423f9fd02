/* `pvtrace export`: every event as one row of one wide table, for R and
 * scripts. The columns are the union of all pvmon event fields (a field an
 * event lacks is empty in CSV, NULL in SQLite); the schema is in
 * docs/tracing.md. Rows are built without printf: integers by hand, strings
 * quoted only when they need it. */
#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "pvtrace.h"

/* Fixed leading columns, then the event fields in pvt_kinds order. */
enum { COL_TS, COL_REL, COL_EVENT, COL_CPU_ID, COL_VPID, COL_HCALL, NR_FIXED };
static const char *const fixed_cols[NR_FIXED] = { "ts_ns", "rel_ns", "event", "cpu_id", "vpid", "hcall" };

#define MAX_COLS 128          /* the distinct field names of every kind (about 70 now) */
static const char *cols[MAX_COLS];
static bool col_text[MAX_COLS];
static int ncols;
static int col_of[PVT_NR_KINDS][PVT_MAX_INTS + 1];   /* [k][PVT_MAX_INTS]: the string */

static int add_col(const char *name, bool text)
{
	for (int i = 0; i < ncols; i++)
		if (!strcmp(cols[i], name))
			return i;
	if (ncols == MAX_COLS) {             /* a new event's fields: raise MAX_COLS */
		fprintf(stderr, "pvtrace: more than %d export columns\n", MAX_COLS);
		abort();
	}
	cols[ncols] = name;
	col_text[ncols] = text;
	return ncols++;
}

static void init_cols(void)
{
	if (ncols)
		return;
	for (int i = 0; i < NR_FIXED; i++)
		add_col(fixed_cols[i], i == COL_EVENT || i == COL_HCALL);
	for (int k = 0; k < PVT_NR_KINDS; k++) {
		const struct pvt_kind_desc *d = &pvt_kinds[k];
		for (int j = 0; j < d->nints; j++)
			col_of[k][j] = add_col(d->ints[j].name, false);
		col_of[k][PVT_MAX_INTS] = d->str ? add_col(d->str, true) : -1;
	}
}

int pvt_export_ncols(void)
{
	init_cols();
	return ncols;
}

const char *pvt_export_col(int i)
{
	init_cols();
	return i >= 0 && i < ncols ? cols[i] : NULL;
}

int pvt_export_col_of(enum pvt_kind k, int j)
{
	init_cols();
	return j < 0 ? col_of[k][PVT_MAX_INTS] : col_of[k][j];
}

/* ---- writers ----------------------------------------------------------- */

struct pvt_export {
	bool sqlite;
	FILE *f;
	char *fbuf;
	sqlite3 *db;
	sqlite3_stmt *ins;
	const char *path;
	uint64_t rows;
	int64_t t0;
	int error;                     /* first -errno */
	char errmsg[256];
};

static int db_fail(struct pvt_export *x, const char *what)
{
	snprintf(x->errmsg, sizeof(x->errmsg), "%s: %s: %s", x->path, what, sqlite3_errmsg(x->db));
	return x->error = -EIO;
}

static int db_exec(struct pvt_export *x, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(x->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	snprintf(x->errmsg, sizeof(x->errmsg), "%s: %s", x->path, msg ? msg : "sqlite error");
	sqlite3_free(msg);
	return x->error = -EIO;
}

static int open_sqlite(struct pvt_export *x)
{
	if (sqlite3_open(x->path, &x->db) != SQLITE_OK)
		return db_fail(x, "cannot open the database");
	/* A scratch export: no journal, no fsync; the transaction makes it fast. */
	char sql[4096];
	int len = snprintf(sql, sizeof(sql), "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
	                   "DROP TABLE IF EXISTS events; DROP TABLE IF EXISTS trace_info; "
	                   "DROP TABLE IF EXISTS hypercall_names; CREATE TABLE events (");
	for (int i = 0; i < ncols; i++)
		len += snprintf(sql + len, sizeof(sql) - (size_t)len, "%s%s %s", i ? ", " : "", cols[i],
		                col_text[i] ? "TEXT" : "INTEGER");
	snprintf(sql + len, sizeof(sql) - (size_t)len, "); BEGIN;");
	if (db_exec(x, sql))
		return x->error;
	len = snprintf(sql, sizeof(sql), "INSERT INTO events VALUES (");
	for (int i = 0; i < ncols; i++)
		len += snprintf(sql + len, sizeof(sql) - (size_t)len, "%s?", i ? "," : "");
	snprintf(sql + len, sizeof(sql) - (size_t)len, ")");
	if (sqlite3_prepare_v2(x->db, sql, -1, &x->ins, NULL) != SQLITE_OK)
		return db_fail(x, "cannot prepare the insert");
	return 0;
}

static int open_csv(struct pvt_export *x)
{
	x->f = strcmp(x->path, "-") ? fopen(x->path, "w") : stdout;
	if (!x->f) {
		snprintf(x->errmsg, sizeof(x->errmsg), "%s: %s", x->path, strerror(errno));
		return x->error = -errno;
	}
	/* stdout keeps its own buffer: ours is freed at close. */
	if (x->f != stdout && (x->fbuf = malloc(1 << 20)))
		setvbuf(x->f, x->fbuf, _IOFBF, 1 << 20);
	for (int i = 0; i < ncols; i++)
		fprintf(x->f, "%s%s", i ? "," : "", cols[i]);
	fputc('\n', x->f);
	return 0;
}

struct pvt_export *pvt_export_open(const char *path, bool sqlite, char *err, size_t n)
{
	init_cols();
	struct pvt_export *x = calloc(1, sizeof(*x));
	if (!x) {
		snprintf(err, n, "out of memory");
		return NULL;
	}
	x->sqlite = sqlite;
	x->path = path;
	if (sqlite ? open_sqlite(x) : open_csv(x)) {
		snprintf(err, n, "%s", x->errmsg);
		if (x->ins)
			sqlite3_finalize(x->ins);
		if (x->db)
			sqlite3_close(x->db);
		if (x->f && x->f != stdout)
			fclose(x->f);
		free(x->fbuf);
		free(x);
		return NULL;
	}
	return x;
}

/* A CSV field: quoted only if it holds a comma, quote or line break. */
static char *csv_str(char *p, char *end, const char *s)
{
	if (!s[strcspn(s, ",\"\n\r")]) {
		size_t l = strlen(s);
		if (l > (size_t)(end - p))
			l = (size_t)(end - p);
		memcpy(p, s, l);
		return p + l;
	}
	*p++ = '"';
	for (; *s && p + 2 < end; s++) {
		if (*s == '"')
			*p++ = '"';
		*p++ = *s;
	}
	*p++ = '"';
	return p;
}

static int csv_row(struct pvt_export *x, const struct pvt_ev *e)
{
	/* Slots per column: the value's text, or NULL for an empty field. */
	char num[MAX_COLS][24];
	const char *text[MAX_COLS] = { 0 };
	char hbuf[32];
	pvt_i64toa(e->ts, num[COL_TS]);
	text[COL_TS] = num[COL_TS];
	pvt_i64toa(e->ts - x->t0, num[COL_REL]);
	text[COL_REL] = num[COL_REL];
	text[COL_EVENT] = e->name;
	if (e->cpu_id >= 0) {
		pvt_i64toa(e->cpu_id, num[COL_CPU_ID]);
		text[COL_CPU_ID] = num[COL_CPU_ID];
	}
	if (e->vpid >= 0) {
		pvt_i64toa(e->vpid, num[COL_VPID]);
		text[COL_VPID] = num[COL_VPID];
	}
	if (pvt_is_hcall(e->kind))
		text[COL_HCALL] = pvt_hcall_name(pvt_hc_key(e), hbuf, sizeof(hbuf));
	const struct pvt_kind_desc *d = &pvt_kinds[e->kind];
	for (int j = 0; j < d->nints; j++) {
		int c = col_of[e->kind][j];
		if (d->ints[j].type == PVT_S)
			pvt_i64toa((int64_t)e->v[j], num[c]);
		else
			pvt_u64toa(e->v[j], num[c]);
		text[c] = num[c];
	}
	if (d->str)
		text[col_of[e->kind][PVT_MAX_INTS]] = e->s;
	char row[4096], *p = row, *end = row + sizeof(row) - 2;
	for (int i = 0; i < ncols; i++) {
		if (i)
			*p++ = ',';
		if (text[i])
			p = csv_str(p, end - 1, text[i]);
	}
	*p++ = '\n';
	if (fwrite(row, 1, (size_t)(p - row), x->f) != (size_t)(p - row)) {
		snprintf(x->errmsg, sizeof(x->errmsg), "%s: %s", x->path, strerror(errno));
		return x->error = -EIO;
	}
	return 0;
}

static int db_row(struct pvt_export *x, const struct pvt_ev *e)
{
	sqlite3_stmt *st = x->ins;
	char hbuf[32];
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);          /* every column NULL unless bound */
	sqlite3_bind_int64(st, COL_TS + 1, e->ts);
	sqlite3_bind_int64(st, COL_REL + 1, e->ts - x->t0);
	sqlite3_bind_text(st, COL_EVENT + 1, e->name, -1, SQLITE_STATIC);
	if (e->cpu_id >= 0)
		sqlite3_bind_int64(st, COL_CPU_ID + 1, e->cpu_id);
	if (e->vpid >= 0)
		sqlite3_bind_int64(st, COL_VPID + 1, e->vpid);
	if (pvt_is_hcall(e->kind))
		sqlite3_bind_text(st, COL_HCALL + 1, pvt_hcall_name(pvt_hc_key(e), hbuf, sizeof(hbuf)), -1,
		                  SQLITE_TRANSIENT);
	const struct pvt_kind_desc *d = &pvt_kinds[e->kind];
	/* SQLite integers are signed 64-bit: unsigned values above 2^63 read
	 * back negative (two's complement), as documented. */
	for (int j = 0; j < d->nints; j++)
		sqlite3_bind_int64(st, col_of[e->kind][j] + 1, (sqlite3_int64)e->v[j]);
	if (d->str)
		sqlite3_bind_text(st, col_of[e->kind][PVT_MAX_INTS] + 1, e->s, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return db_fail(x, "insert failed");
	return 0;
}

int pvt_export_event(void *arg, const struct pvt_ev *e)
{
	struct pvt_export *x = arg;
	if (!x->rows)
		x->t0 = e->ts;
	int rc = x->sqlite ? db_row(x, e) : csv_row(x, e);
	if (!rc)
		x->rows++;
	return rc;
}

uint64_t pvt_export_rows(const struct pvt_export *x)
{
	return x->rows;
}

static int db_finish(struct pvt_export *x, const struct pvt_totals *t, const char *dir)
{
	sqlite3_finalize(x->ins);
	x->ins = NULL;
	if (db_exec(x, "CREATE TABLE trace_info (key TEXT PRIMARY KEY, value); "
	               "CREATE TABLE hypercall_names (nr INTEGER PRIMARY KEY, name TEXT);"))
		return x->error;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(x->db, "INSERT INTO trace_info VALUES (?, ?)", -1, &st, NULL) != SQLITE_OK)
		return db_fail(x, "cannot prepare trace_info");
	const struct { const char *k; int64_t v; } info[] = {
		{ "events", (int64_t)t->events }, { "events_lost", (int64_t)t->lost_events },
		{ "packets_lost", (int64_t)t->lost_packets }, { "first_ts_ns", t->first_ts },
		{ "last_ts_ns", t->last_ts }, { "streams", t->streams },
	};
	sqlite3_bind_text(st, 1, "trace", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, dir, -1, SQLITE_STATIC);
	int ok = sqlite3_step(st) == SQLITE_DONE;
	for (size_t i = 0; ok && i < sizeof(info) / sizeof(info[0]); i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, info[i].k, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, info[i].v);
		ok = sqlite3_step(st) == SQLITE_DONE;
	}
	sqlite3_finalize(st);
	if (!ok)
		return db_fail(x, "cannot write trace_info");
	if (sqlite3_prepare_v2(x->db, "INSERT INTO hypercall_names VALUES (?, ?)", -1, &st, NULL) != SQLITE_OK)
		return db_fail(x, "cannot prepare hypercall_names");
	char buf[32];
	for (int nr = 0; ok && nr < PVT_DIRECT_NR; nr++) {
		const char *name = pvt_hcall_name((uint64_t)nr, buf, sizeof(buf));
		if (!strncmp(name, "nr_", 3))
			break;
		sqlite3_reset(st);
		sqlite3_bind_int(st, 1, nr);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
		ok = sqlite3_step(st) == SQLITE_DONE;
	}
	/* Xen's, under their keys (number + 2^32), named "xen:..." as in the
	 * events' hcall column; the list has gaps (11, 43..47). */
	for (uint64_t nr = 0; ok && nr < 64; nr++) {
		const char *name = pvt_hcall_name(nr | PVT_XEN_HC, buf, sizeof(buf));
		if (!strncmp(name, "xen:nr_", 7))
			continue;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)(nr | PVT_XEN_HC));
		sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
		ok = sqlite3_step(st) == SQLITE_DONE;
	}
	sqlite3_finalize(st);
	if (!ok)
		return db_fail(x, "cannot write hypercall_names");
	return db_exec(x, "COMMIT;");
}

int pvt_export_close(struct pvt_export *x, const struct pvt_totals *t, const char *dir, char *err, size_t n)
{
	int rc = x->error;
	if (x->sqlite) {
		if (!rc && t)
			rc = db_finish(x, t, dir);
		if (x->ins)
			sqlite3_finalize(x->ins);
		if (sqlite3_close(x->db) != SQLITE_OK && !rc)
			rc = db_fail(x, "close failed");
	} else {
		if ((fflush(x->f) || ferror(x->f)) && !rc) {
			snprintf(x->errmsg, sizeof(x->errmsg), "%s: write failed: %s", x->path, strerror(errno));
			rc = -EIO;
		}
		if (x->f != stdout && fclose(x->f) && !rc) {
			snprintf(x->errmsg, sizeof(x->errmsg), "%s: %s", x->path, strerror(errno));
			rc = -EIO;
		}
	}
	if (rc)
		snprintf(err, n, "%s", x->errmsg);
	free(x->fbuf);
	free(x);
	return rc;
}
