/* pvos files: a process's descriptors (the console, pipe ends), pipes
 * with a 4 KiB ring whose readers and writers sleep on one wait queue,
 * and the read/write/pipe system calls. */
#include "proc.h"
#include "syscall.h"

struct file console_file = { F_CONSOLE, 1, 0 };

/* ---- files --------------------------------------------------------------------- */

void file_put(struct file *f)
{
	if (!f || --f->refs > 0 || f->kind == F_CONSOLE)
		return;
	struct pipe *pp = f->pipe;
	if (f->kind == F_PIPE_R)
		pp->readers--;
	else
		pp->writers--;
	wake_all(&pp->q);
	if (!pp->readers && !pp->writers)
		page_free(pp->buf, 1);
}

long sys_pipe(struct proc *p, uint64_t ufds)
{
	int a = -1, b = -1;
	for (int i = 0; i < NFD; i++)
		if (!p->fd[i]) {
			if (a < 0)
				a = i;
			else if (b < 0)
				b = i;
		}
	if (b < 0)
		return -PV_ENOSPC;
	struct pipe *pp = kalloc(sizeof(*pp));
	struct file *r = kalloc(sizeof(*r)), *w = kalloc(sizeof(*w));
	uint8_t *buf = page_alloc(1);
	if (!pp || !r || !w || !buf)
		return -PV_ENOMEM;
	*pp = (struct pipe){ .buf = buf, .readers = 1, .writers = 1 };
	*r = (struct file){ F_PIPE_R, 1, pp };
	*w = (struct file){ F_PIPE_W, 1, pp };
	int fds[2] = { a, b };
	if (user_copy(p, fds, ufds, sizeof(fds), 1)) {
		page_free(buf, 1);
		return -PV_EFAULT;
	}
	p->fd[a] = r;
	p->fd[b] = w;
	return 0;
}

static uint8_t bounce[4096];

static long pipe_write(struct proc *p, struct pipe *pp, uint64_t va, uint64_t len)
{
	uint64_t done = 0;
	int m = irq_save();
	while (done < len) {
		while (pp->count == PIPE_SIZE && pp->readers)
			wait_on(&pp->q);
		if (!pp->readers) {
			irq_restore(m);
			return done ? (long)done : -E_PIPE;
		}
		uint64_t n = PIPE_SIZE - pp->count;
		if (n > len - done)
			n = len - done;
		uint32_t tail = (pp->head + pp->count) % PIPE_SIZE;
		if (n > PIPE_SIZE - tail)
			n = PIPE_SIZE - tail;
		if (user_copy(p, pp->buf + tail, va + done, n, 0)) {
			irq_restore(m);
			return done ? (long)done : -PV_EFAULT;
		}
		pp->count += (uint32_t)n;
		done += n;
		wake_all(&pp->q);
	}
	irq_restore(m);
	return (long)done;
}

static long pipe_read(struct proc *p, struct pipe *pp, uint64_t va, uint64_t len)
{
	int m = irq_save();
	while (!pp->count && pp->writers)
		wait_on(&pp->q);
	uint64_t n = pp->count < len ? pp->count : len;
	if (n > PIPE_SIZE - pp->head)
		n = PIPE_SIZE - pp->head;
	long rc = user_copy(p, pp->buf + pp->head, va, n, 1);
	if (!rc) {
		pp->head = (pp->head + (uint32_t)n) % PIPE_SIZE;
		pp->count -= (uint32_t)n;
		rc = (long)n;
	}
	wake_all(&pp->q);
	irq_restore(m);
	return rc;
}

long sys_write(struct proc *p, int fd, uint64_t va, uint64_t len)
{
	struct file *f = fd >= 0 && fd < NFD ? p->fd[fd] : 0;
	if (!f || f->kind == F_PIPE_R)
		return -E_BADF;
	if (f->kind == F_PIPE_W)
		return pipe_write(p, f->pipe, va, len);
	if (len > sizeof(bounce))
		len = sizeof(bounce);
	if (user_copy(p, bounce, va, len, 0))
		return -PV_EFAULT;
	return HYPERVISOR_console_write((const char *)bounce, len);
}

long sys_read(struct proc *p, int fd, uint64_t va, uint64_t len)
{
	struct file *f = fd >= 0 && fd < NFD ? p->fd[fd] : 0;
	if (!f || f->kind == F_PIPE_W)
		return -E_BADF;
	return f->kind == F_PIPE_R ? pipe_read(p, f->pipe, va, len) : 0;
}

