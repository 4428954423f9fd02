/* xenstore's logic, as Xen's xenstored has it: the node tree with owner and
 * per-domain permissions, the wire protocol's requests, watches and their
 * events, transactions (a private copy of the tree, committed whole when
 * nothing changed meanwhile, else EAGAIN) and per-domain quotas. No KVM, no
 * sockets: transports feed bytes to xs_conn_input and take messages from
 * their send function (xenstore.h), so a fuzzer can drive all of it. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xen/io/xs_wire.h>
#include "xenstore.h"

struct xs_store *pvmon_store;

#define PERM_NONE  0u
#define PERM_READ  1u
#define PERM_WRITE 2u
#define PERM_OWNER 4u
#define HDR        sizeof(struct xsd_sockmsg)
#define MAX_DOMID  65535u
#define DOM_PREFIX "/local/domain/"

struct perm {
	uint16_t dom;
	uint8_t p;
};

struct perms {
	struct perm *v;         /* v[0]: owner, and what any other domain may do */
	unsigned n;
};

struct node {
	char *name;             /* this component ("" for the root) */
	struct node *parent;
	struct node **kid;      /* in creation order, as Xen lists them */
	unsigned nkid, capkid;
	char *val;
	unsigned len;
	struct perms perms;
	uint64_t gen;           /* changes when the children change (DIRECTORY_PART) */
};

struct owner_count {
	unsigned dom, nodes;
};

/* The tree and how many nodes each domain owns in it: a transaction has
 * its own copy of both. */
struct tree {
	struct node *root;
	struct owner_count *own;
	unsigned nown;
	size_t bytes;           /* about what its nodes take (node_cost) */
};

/* What a transaction changed, for the watches its commit fires. */
struct change {
	char *path;
	struct perms perms;
	bool exact;             /* false: a removal, watches below fire too */
};

struct tx {
	struct tx *next;
	uint32_t id;
	uint64_t start_gen;
	size_t charged;         /* a domain's: its copy's bytes, in the store's tx_bytes */
	struct tree t;
	struct change *ch;
	unsigned nch, capch;
};

struct watch {
	struct watch *next;
	char *path;             /* absolute, or @introduceDomain / @releaseDomain */
	char *token;
	bool rel;               /* given relative: events name paths relative too */
};

struct dom {
	struct dom *next;
	unsigned domid, watches, txs;
	bool introduced;
};

struct xs_conn {
	struct xs_conn *next;
	struct xs_store *s;
	unsigned domid;
	xs_send_fn *send;
	void *ctx;
	struct watch *watches;
	struct tx *txs;
	uint32_t next_txid;
	int err;                /* the stream's fatal error, once there is one */
	bool held;              /* in[] holds a whole request waiting for room */
	size_t in_len;
	/* Outstanding messages (once tracked): their lengths, oldest first. */
	bool track;
	uint32_t *q;
	unsigned qhead, qn, qcap;
	size_t qdone;           /* bytes of the oldest already taken */
	unsigned char in[HDR + XENSTORE_PAYLOAD_MAX];
};

struct xs_store {
	pthread_mutex_t store_lock;     /* guards everything below and in the conns */
	struct xs_limits lim;
	struct tree t;
	uint64_t gen;                   /* bumped by every change outside a transaction */
	uint64_t node_gen;              /* the last generation given to a node's children */
	size_t tx_bytes;                /* what the domains' open transactions copied */
	struct xs_conn *conns;
	struct dom *doms;
};

/* ---- nodes and trees ---------------------------------------------------- */

static void node_free(struct node *n)
{
	if (!n)
		return;
	for (unsigned i = 0; i < n->nkid; i++)
		node_free(n->kid[i]);
	free(n->kid);
	free(n->name);
	free(n->val);
	free(n->perms.v);
	free(n);
}

static int perms_copy(struct perms *to, const struct perms *from)
{
	to->v = malloc(from->n * sizeof(*to->v));
	if (!to->v)
		return -ENOMEM;
	memcpy(to->v, from->v, from->n * sizeof(*to->v));
	to->n = from->n;
	return 0;
}

static struct node *node_new(const char *name, size_t namelen, const struct perms *perms)
{
	struct node *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->name = strndup(name, namelen);
	if (!n->name || perms_copy(&n->perms, perms)) {
		node_free(n);
		return NULL;
	}
	return n;
}

static struct node *node_copy(const struct node *from, struct node *parent)
{
	struct node *n = node_new(from->name, strlen(from->name), &from->perms);
	if (!n)
		return NULL;
	n->parent = parent;
	n->gen = from->gen;
	if (from->len) {
		n->val = malloc(from->len);
		if (!n->val)
			goto fail;
		memcpy(n->val, from->val, from->len);
		n->len = from->len;
	}
	if (from->nkid) {
		n->kid = calloc(from->nkid, sizeof(*n->kid));
		if (!n->kid)
			goto fail;
		n->capkid = from->nkid;
		for (; n->nkid < from->nkid; n->nkid++)
			if (!(n->kid[n->nkid] = node_copy(from->kid[n->nkid], n)))
				goto fail;
	}
	return n;
fail:
	node_free(n);
	return NULL;
}

static void tree_free(struct tree *t)
{
	node_free(t->root);
	free(t->own);
	*t = (struct tree){ 0 };
}

static int tree_copy(struct tree *to, const struct tree *from)
{
	*to = (struct tree){ 0 };
	to->root = node_copy(from->root, NULL);
	to->own = malloc((from->nown + 1) * sizeof(*to->own));
	if (!to->root || !to->own) {
		tree_free(to);
		return -ENOMEM;
	}
	memcpy(to->own, from->own, from->nown * sizeof(*to->own));
	to->nown = from->nown;
	to->bytes = from->bytes;
	return 0;
}

static unsigned *owned(struct tree *t, unsigned dom, bool create)
{
	for (unsigned i = 0; i < t->nown; i++)
		if (t->own[i].dom == dom)
			return &t->own[i].nodes;
	if (!create)
		return NULL;
	struct owner_count *o = realloc(t->own, (t->nown + 1) * sizeof(*o));
	if (!o)
		return NULL;
	t->own = o;
	o[t->nown] = (struct owner_count){ .dom = dom };
	return &o[t->nown++].nodes;
}

static unsigned owned_nodes(struct tree *t, unsigned dom)
{
	unsigned *n = owned(t, dom, false);
	return n ? *n : 0;
}

/* What a node costs in memory, near enough to bound transaction copies. */
static size_t node_cost(const struct node *n)
{
	return sizeof(*n) + strlen(n->name) + 1 + n->len + n->perms.n * sizeof(struct perm) + sizeof(n);
}

static void own_add(struct tree *t, unsigned dom, int delta)
{
	unsigned *n = owned(t, dom, true);
	if (n)
		*n += (unsigned)delta;
}

static struct node *child(const struct node *n, const char *name, size_t len)
{
	for (unsigned i = 0; i < n->nkid; i++)
		if (!strncmp(n->kid[i]->name, name, len) && !n->kid[i]->name[len])
			return n->kid[i];
	return NULL;
}

/* The node at a canonical path, or the deepest one that exists above it
 * (*missing: components left, 0 when found). */
static struct node *walk(struct node *root, const char *path, unsigned *missing)
{
	struct node *n = root;
	*missing = 0;
	for (const char *p = path + 1; *p;) {
		size_t len = strcspn(p, "/");
		struct node *k = child(n, p, len);
		if (!k) {
			for (const char *q = p; *q; q++)
				*missing += *q == '/';
			(*missing)++;
			return n;
		}
		n = k;
		p += len + (p[len] == '/');
	}
	return n;
}

static unsigned perm_for(const struct perms *p, unsigned dom)
{
	if (dom == 0 || p->v[0].dom == dom)
		return PERM_READ | PERM_WRITE | PERM_OWNER;
	for (unsigned i = 1; i < p->n; i++)
		if (p->v[i].dom == dom)
			return p->v[i].p;
	return p->v[0].p;
}

static uint64_t next_gen(struct xs_store *s)
{
	return ++s->gen;
}

/* ---- paths -------------------------------------------------------------- */

static bool valid_chars(const char *p)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/_@";
	return p[strspn(p, ok)] == '\0';
}

/* Xen's rules: absolute after the domain's prefix is put before a relative
 * one; only [A-Za-z0-9-/_@]; no "//", no trailing '/' (but "/"); '@' only
 * in the special watch names; at most XENSTORE_ABS_PATH_MAX characters and
 * XENSTORE_REL_PATH_MAX below /local/domain/<id>/. */
static int canonical(unsigned domid, const char *in, char *out, size_t outlen, bool *rel)
{
	*rel = in[0] != '/';
	if (in[0] == '@')
		return -EINVAL;
	int n = *rel ? snprintf(out, outlen, DOM_PREFIX "%u/%s", domid, in) : snprintf(out, outlen, "%s", in);
	if (n < 0 || (size_t)n >= outlen || n > XENSTORE_ABS_PATH_MAX)
		return -EINVAL;
	if (!valid_chars(out) || strstr(out, "//") || (n > 1 && out[n - 1] == '/'))
		return -EINVAL;
	unsigned d;
	int off = 0;
	if (sscanf(out, DOM_PREFIX "%5u/%n", &d, &off) == 1 && off > 0 && n - off > XENSTORE_REL_PATH_MAX)
		return -EINVAL;
	return 0;
}

static bool is_special(const char *p)
{
	return !strcmp(p, "@introduceDomain") || !strcmp(p, "@releaseDomain");
}

/* p is path or below it. */
static bool is_below(const char *p, const char *path)
{
	size_t n = strlen(path);
	if (!strcmp(path, "/"))
		return p[0] == '/';
	return !strncmp(p, path, n) && (p[n] == '\0' || p[n] == '/');
}

/* ---- domains, connections, sending --------------------------------------- */

static struct dom *dom_get(struct xs_store *s, unsigned domid, bool create)
{
	for (struct dom *d = s->doms; d; d = d->next)
		if (d->domid == domid)
			return d;
	if (!create)
		return NULL;
	struct dom *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->domid = domid;
	d->next = s->doms;
	s->doms = d;
	return d;
}

static unsigned outstanding_limit(const struct xs_conn *c)
{
	return c->s->lim.outstanding;
}

static void conn_send(struct xs_conn *c, const void *msg, size_t len)
{
	if (c->track) {
		if (c->qn == c->qcap) {
			unsigned cap = c->qcap ? c->qcap * 2 : 16;
			uint32_t *q = malloc(cap * sizeof(*q));
			if (!q)
				return;         /* the peer never sees it; it is not counted either */
			for (unsigned i = 0; i < c->qn; i++)
				q[i] = c->q[(c->qhead + i) % c->qcap];
			free(c->q);
			c->q = q;
			c->qhead = 0;
			c->qcap = cap;
		}
		c->q[(c->qhead + c->qn++) % c->qcap] = (uint32_t)len;
	}
	c->send(c->ctx, msg, len);
}

struct reply {
	struct xsd_sockmsg h;
	char body[XENSTORE_PAYLOAD_MAX];
	size_t len;
};

static int put(struct reply *r, const void *data, size_t len)
{
	if (len > sizeof(r->body) - r->len)
		return -E2BIG;
	if (len)
		memcpy(r->body + r->len, data, len);
	r->len += len;
	return 0;
}

static int put_str(struct reply *r, const char *s)
{
	return put(r, s, strlen(s) + 1);
}

static void reply_send(struct xs_conn *c, struct reply *r)
{
	r->h.len = (uint32_t)r->len;
	char buf[HDR + XENSTORE_PAYLOAD_MAX];
	memcpy(buf, &r->h, HDR);
	memcpy(buf + HDR, r->body, r->len);
	conn_send(c, buf, HDR + r->len);
}

static const char *err_name(int err)
{
	for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (xsd_errors[i].errnum == err)
			return xsd_errors[i].errstring;
	return xsd_errors[0].errstring;     /* EINVAL, as Xen answers what it has no name for */
}

static void watch_event(struct xs_conn *c, const struct watch *w, const char *path)
{
	if (c->domid && c->track && c->qn >= outstanding_limit(c))
		return;     /* a domain that does not take its messages loses events, as in Xen */
	if (w->rel && path[0] == '/') {
		char pre[32];
		int n = snprintf(pre, sizeof(pre), DOM_PREFIX "%u/", c->domid);
		if (!strncmp(path, pre, (size_t)n))
			path += n;
	}
	struct reply r = { .h = { .type = XS_WATCH_EVENT } };
	if (put_str(&r, path) || put_str(&r, w->token))
		return;     /* a path and token longer than a message: nothing to send */
	reply_send(c, &r);
}

static void fire(struct xs_store *s, const char *path, const struct perms *perms, bool exact)
{
	for (struct xs_conn *c = s->conns; c; c = c->next) {
		if (!(perm_for(perms, c->domid) & PERM_READ))
			continue;
		for (struct watch *w = c->watches; w; w = w->next) {
			if (w->path[0] == '@')
				continue;
			if (is_below(path, w->path))
				watch_event(c, w, path);
			else if (!exact && is_below(w->path, path))
				watch_event(c, w, w->path);
		}
	}
}

/* The special watches are Domain 0's: a domain learns of others only
 * through what Domain 0 writes where it may read. */
static void fire_special(struct xs_store *s, const char *name)
{
	for (struct xs_conn *c = s->conns; c; c = c->next)
		for (struct watch *w = c->watches; w && c->domid == 0; w = w->next)
			if (!strcmp(w->path, name))
				watch_event(c, w, name);
}

/* ---- operations on a tree ------------------------------------------------ */

/* Who acts, on which tree: the store's, or a transaction's. */
struct op {
	struct xs_store *s;
	unsigned domid;
	struct tx *tx;
	struct tree *t;
};

static void op_init(struct op *o, struct xs_store *s, unsigned domid, struct tx *tx)
{
	*o = (struct op){ .s = s, .domid = domid, .tx = tx, .t = tx ? &tx->t : &s->t };
}

/* A node changed: fire now, or when the transaction commits. */
static int changed(struct op *o, const char *path, const struct perms *perms, bool exact)
{
	if (!o->tx) {
		next_gen(o->s);
		fire(o->s, path, perms, exact);
		return 0;
	}
	struct tx *tx = o->tx;
	if (tx->nch == tx->capch) {
		unsigned cap = tx->capch ? tx->capch * 2 : 8;
		struct change *ch = realloc(tx->ch, cap * sizeof(*ch));
		if (!ch)
			return -ENOMEM;
		tx->ch = ch;
		tx->capch = cap;
	}
	struct change *ch = &tx->ch[tx->nch];
	*ch = (struct change){ .path = strdup(path), .exact = exact };
	if (!ch->path || perms_copy(&ch->perms, perms)) {
		free(ch->path);
		return -ENOMEM;
	}
	tx->nch++;
	return 0;
}

static void changes_free(struct tx *tx)
{
	for (unsigned i = 0; i < tx->nch; i++) {
		free(tx->ch[i].path);
		free(tx->ch[i].perms.v);
	}
	free(tx->ch);
	tx->ch = NULL;
	tx->nch = tx->capch = 0;
}

/* The node at path with the permission need, or -ENOENT, or -EACCES where
 * the caller may not have it (or may not read what exists above it). */
static int get_node(struct op *o, const char *path, unsigned need, struct node **out)
{
	unsigned missing;
	struct node *n = walk(o->t->root, path, &missing);
	if (missing) {
		*out = NULL;
		return perm_for(&n->perms, o->domid) & PERM_READ ? -ENOENT : -EACCES;
	}
	*out = n;
	return (perm_for(&n->perms, o->domid) & need) == need ? 0 : -EACCES;
}

static int add_kid(struct node *parent, struct node *k)
{
	if (parent->nkid == parent->capkid) {
		unsigned cap = parent->capkid ? parent->capkid * 2 : 4;
		struct node **v = realloc(parent->kid, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		parent->kid = v;
		parent->capkid = cap;
	}
	parent->kid[parent->nkid++] = k;
	k->parent = parent;
	return 0;
}

/* The node at path, made with the nodes missing above it: each takes its
 * parent's permissions, owned by the domain that makes it (Domain 0's
 * inherit the owner). Needs write permission where the path leaves the
 * tree, and room in the domain's node quota. */
static int create(struct op *o, const char *path, struct node **out)
{
	unsigned missing;
	struct node *n = walk(o->t->root, path, &missing);
	*out = n;
	if (!missing)
		return 0;
	if (!(perm_for(&n->perms, o->domid) & PERM_WRITE))
		return -EACCES;
	if (o->domid && owned_nodes(o->t, o->domid) + missing > o->s->lim.nodes)
		return -ENOSPC;
	/* Skip what exists, then make the rest, component by component. */
	const char *p = path + 1;
	for (struct node *m = o->t->root; m != n;) {
		size_t len = strcspn(p, "/");
		m = child(m, p, len);
		p += len + 1;
	}
	uint64_t gen = ++o->s->node_gen;
	for (;;) {
		size_t len = strcspn(p, "/");
		struct node *k = node_new(p, len, &n->perms);
		if (!k)
			return -ENOMEM;
		if (o->domid)
			k->perms.v[0].dom = (uint16_t)o->domid;
		if (add_kid(n, k)) {
			node_free(k);
			return -ENOMEM;
		}
		n->gen = gen;
		own_add(o->t, k->perms.v[0].dom, 1);
		o->t->bytes += node_cost(k);
		n = k;
		p += len;
		if (!*p)
			break;
		p++;
	}
	*out = n;
	return 1;
}

static int set_value(struct node *n, const void *val, size_t len)
{
	char *v = NULL;
	if (len) {
		v = malloc(len);
		if (!v)
			return -ENOMEM;
		memcpy(v, val, len);
	}
	free(n->val);
	n->val = v;
	n->len = (unsigned)len;
	return 0;
}

static int op_write(struct op *o, const char *path, const void *val, size_t len)
{
	if (len > XENSTORE_PAYLOAD_MAX)
		return -E2BIG;
	if (o->domid && len > o->s->lim.node_size)
		return -ENOSPC;
	struct node *n;
	int rc = get_node(o, path, PERM_WRITE, &n);
	if (rc == -ENOENT)
		rc = create(o, path, &n);
	if (rc < 0)
		return rc;
	size_t old = n->len;
	if ((rc = set_value(n, val, len)))
		return rc;
	o->t->bytes += len - old;
	return changed(o, path, &n->perms, true);
}

static int op_mkdir(struct op *o, const char *path)
{
	struct node *n;
	int rc = get_node(o, path, PERM_WRITE, &n);
	if (rc != -ENOENT)
		return rc;
	if ((rc = create(o, path, &n)) < 0)
		return rc;
	return changed(o, path, &n->perms, true);
}

static void uncount(struct tree *t, const struct node *n)
{
	own_add(t, n->perms.v[0].dom, -1);
	t->bytes -= node_cost(n);
	for (unsigned i = 0; i < n->nkid; i++)
		uncount(t, n->kid[i]);
}

static int op_rm(struct op *o, const char *path)
{
	if (!strcmp(path, "/"))
		return -EINVAL;
	struct node *n;
	int rc = get_node(o, path, PERM_WRITE, &n);
	if (rc == -ENOENT) {
		/* Gone already: fine, if its parent is there. */
		unsigned missing;
		walk(o->t->root, path, &missing);
		return missing == 1 ? 0 : -ENOENT;
	}
	if (rc)
		return rc;
	struct perms perms;
	if (perms_copy(&perms, &n->perms))
		return -ENOMEM;
	struct node *p = n->parent;
	for (unsigned i = 0; i < p->nkid; i++)
		if (p->kid[i] == n) {
			memmove(&p->kid[i], &p->kid[i + 1], (p->nkid - i - 1) * sizeof(*p->kid));
			p->nkid--;
			break;
		}
	p->gen = ++o->s->node_gen;
	uncount(o->t, n);
	node_free(n);
	rc = changed(o, path, &perms, false);
	free(perms.v);
	return rc;
}

/* "r5", "b0": the letter and the domain, as Xen writes them. */
static int parse_perm(const char *s, struct perm *p)
{
	static const char letters[] = "nrwb";
	const char *l = s[0] ? strchr(letters, s[0]) : NULL;
	if (!l || !s[1] || strlen(s) > 6 || strspn(s + 1, "0123456789") != strlen(s + 1))
		return -EINVAL;
	unsigned long dom = strtoul(s + 1, NULL, 10);
	if (dom > MAX_DOMID)
		return -EINVAL;
	*p = (struct perm){ .dom = (uint16_t)dom, .p = (uint8_t)(l - letters) };
	return 0;
}

static int op_set_perms(struct op *o, const char *path, const char *const *strs, unsigned n)
{
	if (!n || n > XENSTORE_PAYLOAD_MAX / 3)
		return -EINVAL;
	if (o->domid && n > XS_MAX_PERMS)
		return -ENOSPC;
	struct perms np = { .v = calloc(n, sizeof(struct perm)), .n = n };
	if (!np.v)
		return -ENOMEM;
	int rc = 0;
	for (unsigned i = 0; i < n && !rc; i++)
		rc = parse_perm(strs[i], &np.v[i]);
	struct node *node = NULL;
	if (!rc)
		rc = get_node(o, path, PERM_WRITE, &node);
	if (!rc && !(perm_for(&node->perms, o->domid) & PERM_OWNER))
		rc = -EACCES;
	/* Only Domain 0 gives a node away. */
	if (!rc && o->domid && np.v[0].dom != node->perms.v[0].dom)
		rc = -EPERM;
	if (rc) {
		free(np.v);
		return rc;
	}
	own_add(o->t, node->perms.v[0].dom, -1);
	own_add(o->t, np.v[0].dom, 1);
	o->t->bytes += (np.n - node->perms.n) * sizeof(struct perm);
	free(node->perms.v);
	node->perms = np;
	return changed(o, path, &np, true);
}

/* ---- transactions -------------------------------------------------------- */

static void tx_free(struct xs_conn *c, struct tx *tx)
{
	struct dom *d = dom_get(c->s, c->domid, false);
	if (d && d->txs)
		d->txs--;
	c->s->tx_bytes -= tx->charged;
	tree_free(&tx->t);
	changes_free(tx);
	free(tx);
}

static struct tx *tx_find(struct xs_conn *c, uint32_t id, struct tx ***link)
{
	for (struct tx **l = &c->txs; *l; l = &(*l)->next)
		if ((*l)->id == id) {
			if (link)
				*link = l;
			return *l;
		}
	return NULL;
}

/* The connection's domain, with room under its quota for one more watch
 * (E2BIG when not, as cxenstored) or transaction (ENOSPC). */
static int dom_room(struct xs_conn *c, bool watch, struct dom **out)
{
	struct dom *d = dom_get(c->s, c->domid, true);
	if (!d)
		return -ENOMEM;
	if (c->domid && (watch ? d->watches >= c->s->lim.watches : d->txs >= c->s->lim.transactions))
		return watch ? -E2BIG : -ENOSPC;
	*out = d;
	return 0;
}

static int tx_start(struct xs_conn *c, uint32_t *id)
{
	struct dom *d;
	int rc = dom_room(c, false, &d);
	if (rc)
		return rc;
	/* Each copies the whole store: the domains' copies together are bounded. */
	if (c->domid && c->s->tx_bytes + c->s->t.bytes > XS_TX_MEMORY)
		return -ENOSPC;
	struct tx *tx = calloc(1, sizeof(*tx));
	if (!tx || tree_copy(&tx->t, &c->s->t)) {
		free(tx);
		return -ENOMEM;
	}
	if (c->domid)
		tx->charged = tx->t.bytes;
	c->s->tx_bytes += tx->charged;
	do
		tx->id = c->next_txid++;
	while (!tx->id || tx_find(c, tx->id, NULL));
	tx->start_gen = c->s->gen;
	tx->next = c->txs;
	c->txs = tx;
	d->txs++;
	*id = tx->id;
	return 0;
}

/* Commit: the transaction's tree becomes the store's when the store has
 * not changed since it started; else EAGAIN and the caller starts again
 * (Xen's answer to a conflict). Either way the transaction is gone. */
static int tx_end(struct xs_conn *c, uint32_t id, bool commit)
{
	struct tx **link, *tx = tx_find(c, id, &link);
	if (!tx)
		return -ENOENT;
	*link = tx->next;
	int rc = 0;
	if (commit && tx->nch && tx->start_gen != c->s->gen)
		rc = -EAGAIN;
	else if (commit && tx->nch) {
		struct tree old = c->s->t;
		c->s->t = tx->t;
		tx->t = old;
		next_gen(c->s);
		for (unsigned i = 0; i < tx->nch; i++)
			fire(c->s, tx->ch[i].path, &tx->ch[i].perms, tx->ch[i].exact);
	}
	tx_free(c, tx);
	return rc;
}

/* ---- watches ------------------------------------------------------------- */

static void watch_free(struct xs_conn *c, struct watch *w)
{
	struct dom *d = dom_get(c->s, c->domid, false);
	if (d && d->watches)
		d->watches--;
	free(w->path);
	free(w->token);
	free(w);
}

static void conn_reset(struct xs_conn *c)
{
	while (c->watches) {
		struct watch *w = c->watches;
		c->watches = w->next;
		watch_free(c, w);
	}
	while (c->txs) {
		struct tx *tx = c->txs;
		c->txs = tx->next;
		tx_free(c, tx);
	}
}

static int watch_add(struct xs_conn *c, const char *path, bool rel, const char *token, struct watch **out)
{
	for (struct watch *w = c->watches; w; w = w->next)
		if (!strcmp(w->path, path) && !strcmp(w->token, token))
			return -EEXIST;
	struct dom *d;
	int rc = dom_room(c, true, &d);
	if (rc)
		return rc;
	struct watch *w = calloc(1, sizeof(*w));
	if (!w || !(w->path = strdup(path)) || !(w->token = strdup(token))) {
		if (w)
			free(w->path);
		free(w);
		return -ENOMEM;
	}
	w->rel = rel;
	w->next = c->watches;
	c->watches = w;
	d->watches++;
	*out = w;
	return 0;
}

static int watch_del(struct xs_conn *c, const char *path, const char *token)
{
	for (struct watch **l = &c->watches; *l; l = &(*l)->next)
		if (!strcmp((*l)->path, path) && !strcmp((*l)->token, token)) {
			struct watch *w = *l;
			*l = w->next;
			watch_free(c, w);
			return 0;
		}
	return -ENOENT;
}

/* ---- domains ------------------------------------------------------------- */

/* What a domain that has gone owned becomes Domain 0's, and what it was
 * granted is no more: a domain given its id later inherits nothing. */
static void give_to_dom0(struct tree *t, struct node *n, unsigned domid)
{
	if (n->perms.v[0].dom == domid) {
		n->perms.v[0].dom = 0;
		own_add(t, domid, -1);
		own_add(t, 0, 1);
	}
	unsigned k = 1;
	for (unsigned i = 1; i < n->perms.n; i++)
		if (n->perms.v[i].dom != domid)
			n->perms.v[k++] = n->perms.v[i];
	t->bytes -= (n->perms.n - k) * sizeof(struct perm);
	n->perms.n = k;
	for (unsigned i = 0; i < n->nkid; i++)
		give_to_dom0(t, n->kid[i], domid);
}

static void release_locked(struct xs_store *s, unsigned domid)
{
	char path[32];
	snprintf(path, sizeof(path), DOM_PREFIX "%u", domid);
	struct op o;
	op_init(&o, s, 0, NULL);
	op_rm(&o, path);
	give_to_dom0(&s->t, s->t.root, domid);
	for (struct xs_conn *c = s->conns; c; c = c->next)
		if (c->domid == domid)
			conn_reset(c);
	struct dom *d = dom_get(s, domid, false);
	if (d)
		d->introduced = false;
	next_gen(s);
	fire_special(s, "@releaseDomain");
}

static bool valid_name(const char *name)
{
	return name && *name && strlen(name) < 256;
}

static int write_as(struct xs_store *s, const char *path, const char *val, unsigned owner, unsigned reader)
{
	struct op o;
	op_init(&o, s, 0, NULL);
	int rc = op_write(&o, path, val, strlen(val));
	if (rc)
		return rc;
	char a[16], b[16];
	snprintf(a, sizeof(a), "n%u", owner);
	snprintf(b, sizeof(b), "r%u", reader);
	const char *p[] = { a, b };
	return op_set_perms(&o, path, p, reader != owner ? 2 : 1);
}

int xs_domain_introduce(struct xs_store *s, unsigned domid, const char *name)
{
	if (!domid || domid > MAX_DOMID || !valid_name(name))
		return -EINVAL;
	pthread_mutex_lock(&s->store_lock);
	struct dom *d = dom_get(s, domid, true);
	int rc = !d ? -ENOMEM : d->introduced ? -EEXIST : 0;
	char path[48], id[16];
	snprintf(path, sizeof(path), DOM_PREFIX "%u", domid);
	snprintf(id, sizeof(id), "%u", domid);
	if (!rc)
		rc = write_as(s, path, "", domid, domid);
	snprintf(path, sizeof(path), DOM_PREFIX "%u/domid", domid);
	if (!rc)
		rc = write_as(s, path, id, 0, domid);
	snprintf(path, sizeof(path), DOM_PREFIX "%u/name", domid);
	if (!rc)
		rc = write_as(s, path, name, 0, domid);
	if (!rc) {
		d->introduced = true;
		fire_special(s, "@introduceDomain");
	} else if (rc != -EEXIST) {
		release_locked(s, domid);
	}
	pthread_mutex_unlock(&s->store_lock);
	return rc;
}

void xs_domain_release(struct xs_store *s, unsigned domid)
{
	if (!domid || domid > MAX_DOMID)
		return;
	pthread_mutex_lock(&s->store_lock);
	struct dom *d = dom_get(s, domid, false);
	if (d && d->introduced)
		release_locked(s, domid);
	pthread_mutex_unlock(&s->store_lock);
}

/* ---- requests ------------------------------------------------------------ */

/* The payload's NUL-terminated strings: exactly want of them (any number
 * from want up when more), the last terminated. */
static int args(char *p, size_t len, const char **v, unsigned want, bool more)
{
	unsigned n = 0;
	if (!len || p[len - 1])
		return -EINVAL;
	for (size_t i = 0; i < len; i += strlen(p + i) + 1) {
		if (n == want && !more)
			return -EINVAL;
		if (n < want)
			v[n] = p + i;
		n++;
	}
	return n < want ? -EINVAL : 0;
}

static int path_arg(struct xs_conn *c, const char *in, char *out, size_t outlen)
{
	bool rel;
	return canonical(c->domid, in, out, outlen, &rel);
}

static int domid_arg(const char *s, unsigned *domid)
{
	if (!*s || strlen(s) > 5 || strspn(s, "0123456789") != strlen(s))
		return -EINVAL;
	*domid = (unsigned)strtoul(s, NULL, 10);
	return *domid > MAX_DOMID ? -EINVAL : 0;
}

static int do_directory(struct op *o, const char *path, struct reply *r)
{
	struct node *n;
	int rc = get_node(o, path, PERM_READ, &n);
	for (unsigned i = 0; !rc && i < n->nkid; i++)
		rc = put_str(r, n->kid[i]->name);
	return rc;
}

/* The children from a byte offset into the list: "<generation>\0", the
 * names that fit, and an empty string after the last (libxenstore's
 * xs_directory asks for these when the whole list is over E2BIG). */
static int do_directory_part(struct op *o, const char *path, const char *offs, struct reply *r)
{
	struct node *n;
	int rc = get_node(o, path, PERM_READ, &n);
	if (rc)
		return rc;
	if (!*offs || strspn(offs, "0123456789") != strlen(offs) || strlen(offs) > 9)
		return -EINVAL;
	size_t off = strtoul(offs, NULL, 10), pos = 0;
	char gen[24];
	snprintf(gen, sizeof(gen), "%llu", (unsigned long long)n->gen);
	put_str(r, gen);
	unsigned i = 0;
	for (; i < n->nkid && pos < off; i++)
		pos += strlen(n->kid[i]->name) + 1;
	if (pos != off)
		return -EINVAL;
	for (; i < n->nkid; i++)
		if (r->len + strlen(n->kid[i]->name) + 2 > sizeof(r->body) || put_str(r, n->kid[i]->name))
			return 0;
	return put(r, "", 1);
}

static int do_get_perms(struct op *o, const char *path, struct reply *r)
{
	struct node *n;
	int rc = get_node(o, path, PERM_READ, &n);
	for (unsigned i = 0; !rc && i < n->perms.n; i++) {
		char s[16];
		snprintf(s, sizeof(s), "%c%u", "nrwb"[n->perms.v[i].p & 3], n->perms.v[i].dom);
		rc = put_str(r, s);
	}
	return rc;
}

static int do_watch(struct xs_conn *c, const char **v, struct reply *r, struct watch **added)
{
	char path[XENSTORE_ABS_PATH_MAX + 64];
	bool rel = false;
	int rc = v[0][0] == '@' ? (is_special(v[0]) ? 0 : -EINVAL) : canonical(c->domid, v[0], path, sizeof(path), &rel);
	if (rc)
		return rc;
	rc = watch_add(c, v[0][0] == '@' ? v[0] : path, rel, v[1], added);
	return rc ? rc : put_str(r, "OK");
}

static int do_unwatch(struct xs_conn *c, const char **v, struct reply *r)
{
	char path[XENSTORE_ABS_PATH_MAX + 64];
	bool rel;
	int rc = v[0][0] == '@' ? (is_special(v[0]) ? 0 : -EINVAL) : canonical(c->domid, v[0], path, sizeof(path), &rel);
	if (!rc)
		rc = watch_del(c, v[0][0] == '@' ? v[0] : path, v[1]);
	return rc ? rc : put_str(r, "OK");
}

static int do_domain_op(struct xs_conn *c, uint32_t type, const char **v, struct reply *r)
{
	unsigned domid;
	int rc = domid_arg(v[0], &domid);
	if (rc)
		return rc;
	if (type == XS_GET_DOMAIN_PATH) {
		char path[32];
		snprintf(path, sizeof(path), DOM_PREFIX "%u", domid);
		return put_str(r, path);
	}
	if (c->domid)
		return -EACCES;
	struct dom *d = dom_get(c->s, domid, false);
	bool known = domid == 0 || (d && d->introduced);
	switch (type) {
	case XS_IS_DOMAIN_INTRODUCED:
		return put_str(r, known ? "T" : "F");
	case XS_INTRODUCE:
		/* pvmon introduces the domains it runs itself; an introduction
		 * of one of those is a no-op, any other cannot be served. */
		return known && domid ? put_str(r, "OK") : -EINVAL;
	default:        /* XS_RELEASE */
		if (!domid)
			return -EINVAL;
		if (!known)
			return -ENOENT;
		release_locked(c->s, domid);
		return put_str(r, "OK");
	}
}

static int do_tree_op(struct xs_conn *c, const struct xsd_sockmsg *h, char *p, struct reply *r)
{
	const char *v[2];
	struct tx *tx = NULL;
	if (h->tx_id && !(tx = tx_find(c, h->tx_id, NULL)))
		return -ENOENT;
	/* What a domain's transaction changed is kept for its commit's watch
	 * events: bounded, as everything a domain can make pvmon keep. */
	bool modifies = h->type == XS_WRITE || h->type == XS_MKDIR || h->type == XS_RM || h->type == XS_SET_PERMS;
	if (tx && c->domid && modifies && tx->nch >= XS_TX_CHANGES)
		return -ENOSPC;
	struct op o;
	op_init(&o, c->s, c->domid, tx);
	char path[XENSTORE_ABS_PATH_MAX + 64];
	int rc;
	if (h->type == XS_WRITE) {
		/* path\0value: the value runs to the end, unterminated. */
		size_t plen = strnlen(p, h->len);
		if (plen == h->len)
			return -EINVAL;
		if ((rc = path_arg(c, p, path, sizeof(path))))
			return rc;
		rc = op_write(&o, path, p + plen + 1, h->len - plen - 1);
		return rc ? rc : put_str(r, "OK");
	}
	if (h->type == XS_SET_PERMS) {
		const char **all = calloc(h->len + 1, sizeof(*all));
		if (!all)
			return -ENOMEM;
		rc = args(p, h->len, all, 2, true);
		unsigned n = 0;
		for (size_t i = 0; !rc && i < h->len; i += strlen(p + i) + 1)
			all[n++] = p + i;
		if (!rc)
			rc = path_arg(c, all[0], path, sizeof(path));
		if (!rc)
			rc = op_set_perms(&o, path, all + 1, n - 1);
		free(all);
		return rc ? rc : put_str(r, "OK");
	}
	bool two = h->type == XS_DIRECTORY_PART;
	if ((rc = args(p, h->len, v, two ? 2 : 1, false)) || (rc = path_arg(c, v[0], path, sizeof(path))))
		return rc;
	struct node *n;
	switch (h->type) {
	case XS_READ:
		if ((rc = get_node(&o, path, PERM_READ, &n)))
			return rc;
		return put(r, n->val, n->len);
	case XS_MKDIR:
		rc = op_mkdir(&o, path);
		return rc ? rc : put_str(r, "OK");
	case XS_RM:
		rc = op_rm(&o, path);
		return rc ? rc : put_str(r, "OK");
	case XS_DIRECTORY:
		return do_directory(&o, path, r);
	case XS_DIRECTORY_PART:
		return do_directory_part(&o, path, v[1], r);
	default:        /* XS_GET_PERMS */
		return do_get_perms(&o, path, r);
	}
}

/* One request: its reply through send (and, for WATCH, the first event
 * after it, as Xen sends one at once). */
static void request(struct xs_conn *c, const struct xsd_sockmsg *h, char *p)
{
	struct reply r = { .h = *h };
	const char *v[3];
	struct watch *added = NULL;
	int rc;
	switch (h->type) {
	case XS_READ: case XS_WRITE: case XS_MKDIR: case XS_RM: case XS_DIRECTORY:
	case XS_DIRECTORY_PART: case XS_GET_PERMS: case XS_SET_PERMS:
		rc = do_tree_op(c, h, p, &r);
		break;
	case XS_WATCH:
		if (!(rc = args(p, h->len, v, 2, true)))
			rc = do_watch(c, v, &r, &added);
		break;
	case XS_UNWATCH:
		if (!(rc = args(p, h->len, v, 2, true)))
			rc = do_unwatch(c, v, &r);
		break;
	case XS_TRANSACTION_START: {
		uint32_t id;
		char s[16];
		/* Its payload ("" from libxenstore and Linux) means nothing: as
		 * xenstored, any is taken. */
		rc = h->tx_id ? -EBUSY : tx_start(c, &id);
		if (!rc) {
			snprintf(s, sizeof(s), "%u", id);
			rc = put_str(&r, s);
		}
		break;
	}
	case XS_TRANSACTION_END:
		if (!(rc = args(p, h->len, v, 1, false)))
			rc = strcmp(v[0], "T") && strcmp(v[0], "F") ? -EINVAL : tx_end(c, h->tx_id, !strcmp(v[0], "T"));
		if (!rc)
			rc = put_str(&r, "OK");
		break;
	case XS_GET_DOMAIN_PATH: case XS_IS_DOMAIN_INTRODUCED: case XS_RELEASE:
		if (!(rc = args(p, h->len, v, 1, false)))
			rc = do_domain_op(c, h->type, v, &r);
		break;
	case XS_INTRODUCE:
		if (!(rc = args(p, h->len, v, 3, false)))
			rc = do_domain_op(c, h->type, v, &r);
		break;
	case XS_RESET_WATCHES:
		conn_reset(c);
		rc = put_str(&r, "OK");
		break;
	case XS_WATCH_EVENT: case XS_ERROR:
		rc = -EINVAL;       /* the daemon's messages, not a client's */
		break;
	default:                /* CONTROL/DEBUG, RESUME, SET_TARGET, unknown */
		rc = -ENOSYS;
		break;
	}
	if (rc) {
		r = (struct reply){ .h = { .type = XS_ERROR, .req_id = h->req_id, .tx_id = h->tx_id } };
		put_str(&r, err_name(-rc));
	}
	reply_send(c, &r);
	if (added)
		watch_event(c, added, added->path);
}

/* Whole requests in c->in, answered while there is room. */
static void drain(struct xs_conn *c)
{
	struct xsd_sockmsg h;
	if (c->in_len < HDR)
		return;
	memcpy(&h, c->in, HDR);
	if (c->in_len < HDR + h.len)
		return;
	c->held = c->track && c->qn >= outstanding_limit(c);
	if (c->held)
		return;
	request(c, &h, (char *)c->in + HDR);
	c->in_len = 0;
}

int xs_conn_input(struct xs_conn *c, const void *buf, size_t len)
{
	struct xs_store *s = c->s;
	const unsigned char *b = buf;
	pthread_mutex_lock(&s->store_lock);
	while (len && !c->err) {
		if (c->held) {
			c->err = -ENOBUFS;
			break;
		}
		size_t want = HDR;
		if (c->in_len >= HDR) {
			struct xsd_sockmsg h;
			memcpy(&h, c->in, HDR);
			want = HDR + h.len;
		}
		size_t n = want - c->in_len < len ? want - c->in_len : len;
		memcpy(c->in + c->in_len, b, n);
		c->in_len += n;
		b += n;
		len -= n;
		if (c->in_len == HDR) {
			struct xsd_sockmsg h;
			memcpy(&h, c->in, HDR);
			if (h.len > XENSTORE_PAYLOAD_MAX) {
				c->err = -E2BIG;
				break;
			}
		}
		drain(c);
	}
	int rc = c->err;
	pthread_mutex_unlock(&s->store_lock);
	return rc;
}

size_t xs_conn_input_space(struct xs_conn *c)
{
	pthread_mutex_lock(&c->s->store_lock);
	size_t n = c->held || c->err ? 0 : HDR;
	if (n && c->in_len >= HDR) {
		struct xsd_sockmsg h;
		memcpy(&h, c->in, HDR);
		n = HDR + h.len - c->in_len;
	} else if (n) {
		n = HDR - c->in_len;
	}
	pthread_mutex_unlock(&c->s->store_lock);
	return n;
}

void xs_conn_output_done(struct xs_conn *c, size_t len)
{
	pthread_mutex_lock(&c->s->store_lock);
	c->track = true;
	c->qdone += len;
	while (c->qn && c->qdone >= c->q[c->qhead]) {
		c->qdone -= c->q[c->qhead];
		c->qhead = (c->qhead + 1) % c->qcap;
		c->qn--;
	}
	if (!c->qn)
		c->qdone = 0;
	if (c->held)
		drain(c);
	pthread_mutex_unlock(&c->s->store_lock);
}

struct xs_conn *xs_conn_new(struct xs_store *s, unsigned domid, xs_send_fn *send, void *ctx)
{
	if (domid > MAX_DOMID || !send)
		return NULL;
	struct xs_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	*c = (struct xs_conn){ .s = s, .domid = domid, .send = send, .ctx = ctx, .next_txid = 1 };
	pthread_mutex_lock(&s->store_lock);
	c->next = s->conns;
	s->conns = c;
	pthread_mutex_unlock(&s->store_lock);
	return c;
}

void xs_conn_free(struct xs_conn *c)
{
	if (!c)
		return;
	struct xs_store *s = c->s;
	pthread_mutex_lock(&s->store_lock);
	conn_reset(c);
	for (struct xs_conn **l = &s->conns; *l; l = &(*l)->next)
		if (*l == c) {
			*l = c->next;
			break;
		}
	pthread_mutex_unlock(&s->store_lock);
	free(c->q);
	free(c);
}

/* ---- the store and pvmon's own access ----------------------------------- */

struct xs_store *xs_store_new(const struct xs_limits *lim)
{
	struct xs_store *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	pthread_mutex_init(&s->store_lock, NULL);
	struct xs_limits l = lim ? *lim : (struct xs_limits){ 0 };
	s->lim = (struct xs_limits){
		.nodes = l.nodes ? l.nodes : XS_DEFAULT_NODES,
		.node_size = l.node_size ? l.node_size : XS_DEFAULT_NODE_SIZE,
		.watches = l.watches ? l.watches : XS_DEFAULT_WATCHES,
		.outstanding = l.outstanding ? l.outstanding : XS_DEFAULT_OUTSTANDING,
		.transactions = l.transactions ? l.transactions : XS_DEFAULT_TRANSACTIONS,
	};
	struct perm dom0 = { 0, PERM_NONE };
	struct perms p = { &dom0, 1 };
	s->t.root = node_new("", 0, &p);
	struct op o;
	op_init(&o, s, 0, NULL);
	if (!s->t.root || op_mkdir(&o, DOM_PREFIX "0")) {
		xs_store_free(s);
		return NULL;
	}
	own_add(&s->t, 0, 1);       /* the root */
	s->t.bytes += node_cost(s->t.root);
	return s;
}

void xs_store_free(struct xs_store *s)
{
	if (!s)
		return;
	while (s->conns)
		xs_conn_free(s->conns);
	tree_free(&s->t);
	while (s->doms) {
		struct dom *d = s->doms;
		s->doms = d->next;
		free(d);
	}
	pthread_mutex_destroy(&s->store_lock);
	free(s);
}

/* pvmon's own calls: an absolute path, as Domain 0, outside transactions;
 * on 0 the store is locked and o ready. */
static int dom0_begin(struct xs_store *s, const char *path, struct op *o)
{
	bool rel;
	char tmp[XENSTORE_ABS_PATH_MAX + 64];
	if (!path || path[0] != '/')
		return -EINVAL;
	int rc = canonical(0, path, tmp, sizeof(tmp), &rel);
	if (rc)
		return rc;
	pthread_mutex_lock(&s->store_lock);
	op_init(o, s, 0, NULL);
	return 0;
}

static int dom0_end(struct xs_store *s, int rc)
{
	pthread_mutex_unlock(&s->store_lock);
	return rc;
}

int xs_write(struct xs_store *s, const char *path, const void *val, size_t len)
{
	struct op o;
	int rc = dom0_begin(s, path, &o);
	return rc ? rc : dom0_end(s, op_write(&o, path, val, len));
}

int xs_read(struct xs_store *s, const char *path, char *buf, size_t *len)
{
	struct op o;
	struct node *n;
	int rc = dom0_begin(s, path, &o);
	if (rc)
		return rc;
	if ((rc = get_node(&o, path, PERM_READ, &n)))
		return dom0_end(s, rc);
	size_t size = *len;
	*len = n->len;
	if (n->len > size)
		return dom0_end(s, -ERANGE);
	if (n->len)
		memcpy(buf, n->val, n->len);
	if (n->len < size)
		buf[n->len] = '\0';
	return dom0_end(s, 0);
}

int xs_rm(struct xs_store *s, const char *path)
{
	struct op o;
	int rc = dom0_begin(s, path, &o);
	return rc ? rc : dom0_end(s, op_rm(&o, path));
}

int xs_set_perms(struct xs_store *s, const char *path, const char *const *perms, unsigned n)
{
	struct op o;
	int rc = dom0_begin(s, path, &o);
	return rc ? rc : dom0_end(s, op_set_perms(&o, path, perms, n));
}
