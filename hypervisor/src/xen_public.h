/* Xen's public headers (libxen-dev) as pvmon's Linux PV mode uses them:
 * the interface version Xen 4.17 implements (without it the headers give
 * a guest the legacy interface: sched_op would be number 6). */
#ifndef PVMON_XEN_PUBLIC_H
#define PVMON_XEN_PUBLIC_H
#include <stdint.h>
#define __XEN_INTERFACE_VERSION__ 0x00040e00
#include <xen/xen.h>
#include <xen/callback.h>
#include <xen/event_channel.h>
#include <xen/features.h>
#include <xen/grant_table.h>
#include <xen/memory.h>
#include <xen/physdev.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/version.h>
#include <xen/pmu.h>
#endif
