/* The client side of pvmon's control socket, shared by Domain 0's tools
 * (pvctl, pvtop): connecting, one request and its reply (D lines, C
 * chunks, OK or ERR). The protocol is docs/control-protocol.md; nothing of
 * pvmon is linked or included; its `list` objects are read with
 * common/jsonread.h. */
#ifndef PVLAB_CTLCLIENT_H
#define PVLAB_CTLCLIENT_H
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

/* From the protocol (hypervisor/src/control.h, which the tools do not
 * include: the socket speaks text, and pvmon's internals are not theirs). */
#define CTLC_DEFAULT_SOCKET "/run/pvlab/pvmon.sock"
#define CTLC_MAX_LINE 4096       /* a request line, newline included */
#define CTLC_MAX_CHUNK 4096      /* a console chunk */
#define CTLC_REPLY_TIMEOUT_S 60  /* a reply that is not a console stream ($PVLAB_CTL_TIMEOUT: seconds) */

/* The tools' exit statuses. */
#define EXIT_FAIL 1
#define EXIT_USAGE 2

/* Name the tool (messages start "PROG: ") and pick the socket:
 * $PVLAB_SOCKET if set and not empty, else CTLC_DEFAULT_SOCKET. */
void ctlc_init(const char *prog);
void ctlc_set_socket(const char *path);
const char *ctlc_socket(void);
/* The common option: argv[*i] is --socket PATH or --socket=PATH. -1: it
 * is not; 0: the socket is set and *i is at its last word; else the exit
 * status of a usage error (told). */
int ctlc_socket_option(int argc, char **argv, int *i);

/* "PROG: message" on stderr; returns status, for `return complain(...)`.
 * While held (a full-screen tool owns the terminal), the last message is
 * kept instead and printed by ctlc_hold_errors(false). */
__attribute__((format(printf, 2, 3)))
int complain(int status, const char *fmt, ...);
void ctlc_hold_errors(bool hold);

/* Each answer of the server: D lines and C chunks go to the callbacks. */
struct reply_cb {
	int (*data)(void *arg, const char *text);                 /* 0 or an exit status */
	int (*chunk)(void *arg, const char *bytes, size_t len);   /* 0 or an exit status */
	void *arg;
};

/* One connection; it may carry several requests in turn. Functions that
 * return int give 0 or an exit status, the reason already told. */
struct ctlc_conn;
/* follow: no reply timeout (a console stream may wait for ever).
 * cancel (may be NULL): a signal handler's flag; once it is set, a wait
 * for pvmon that a signal interrupts gives up with EXIT_FAIL, silently. */
int ctlc_open(struct ctlc_conn **out, bool follow, volatile sig_atomic_t *cancel);
/* Send one request and read its reply to the terminator. ok_text (may be
 * NULL) receives the text after OK. */
int ctlc_ask(struct ctlc_conn *c, const char *request, const struct reply_cb *cb,
             char *ok_text, size_t ok_len);
void ctlc_close(struct ctlc_conn *c);
/* Open, ask, close. */
int ctlc_request(const char *request, const struct reply_cb *cb, bool follow,
                 char *ok_text, size_t ok_len);

#endif
