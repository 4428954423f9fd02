/* The control operations pvmon serves to Domain 0 (dom0.c). */
#ifndef PVMON_DOM0_H
#define PVMON_DOM0_H
#include "control.h"
extern const struct control_ops dom0_ops;
#endif
