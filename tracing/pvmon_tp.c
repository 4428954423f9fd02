/* The pvmon tracepoint provider: instantiates the probes declared in
 * pvmon_tp.h into libpvmon-tp.so, which links liblttng-ust. pvmon dlopen()s
 * it at start (trace_init) and runs untraced when it or LTTng is absent. */
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#ifdef __clang__
/* clang flags the probes' constant-size stack arrays when the LTTng headers
 * are not in a system directory (e.g. a from-source install under -I). */
#pragma clang diagnostic ignored "-Wgnu-folding-constant"
#endif
#include "pvmon_tp.h"
