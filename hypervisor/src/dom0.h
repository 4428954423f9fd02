/* The control operations pvmon serves to Domain 0 (dom0.c). */
#ifndef PVMON_DOM0_H
#define PVMON_DOM0_H
#include "control.h"
extern const struct control_ops dom0_ops;
struct domain;
/* Given to every domain pvctl creates as its on_exit (pvmon --stats). */
extern void (*dom0_on_exit)(struct domain *d);
#endif
