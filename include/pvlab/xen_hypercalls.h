/* The Xen hypercalls, listed once as X(name, number) with the numbers of
 * libxen-dev's xen/xen.h (Xen 4.17's public headers): pvmon's Xen-mode
 * names, the LTTng provider's xen_hypercall enumeration and pvtrace's
 * names are expanded from it. A separate list from pvlab's own
 * (hypercalls.h): the two ABIs share numbers (pvlab's 3 is
 * event_channel_op, Xen's 3 stack_switch), so an event or a report always
 * says which ABI a number belongs to. */
#ifndef PVLAB_XEN_HYPERCALLS_H
#define PVLAB_XEN_HYPERCALLS_H

/* Without it the headers give the legacy interface, where sched_op is 6
 * (the value pvmon's Xen mode implements is 4.17's, xen_public.h). */
#ifndef __XEN_INTERFACE_VERSION__
#define __XEN_INTERFACE_VERSION__ 0x00040e00
#endif
#include <stdint.h>
#include <xen/xen.h>

#define XEN_HYPERCALLS(X)                                                  \
	X(set_trap_table, __HYPERVISOR_set_trap_table)                         \
	X(mmu_update, __HYPERVISOR_mmu_update)                                 \
	X(set_gdt, __HYPERVISOR_set_gdt)                                       \
	X(stack_switch, __HYPERVISOR_stack_switch)                             \
	X(set_callbacks, __HYPERVISOR_set_callbacks)                           \
	X(fpu_taskswitch, __HYPERVISOR_fpu_taskswitch)                         \
	X(sched_op_compat, __HYPERVISOR_sched_op_compat)                       \
	X(platform_op, __HYPERVISOR_platform_op)                               \
	X(set_debugreg, __HYPERVISOR_set_debugreg)                             \
	X(get_debugreg, __HYPERVISOR_get_debugreg)                             \
	X(update_descriptor, __HYPERVISOR_update_descriptor)                   \
	X(memory_op, __HYPERVISOR_memory_op)                                   \
	X(multicall, __HYPERVISOR_multicall)                                   \
	X(update_va_mapping, __HYPERVISOR_update_va_mapping)                   \
	X(set_timer_op, __HYPERVISOR_set_timer_op)                             \
	X(event_channel_op_compat, __HYPERVISOR_event_channel_op_compat)       \
	X(xen_version, __HYPERVISOR_xen_version)                               \
	X(console_io, __HYPERVISOR_console_io)                                 \
	X(physdev_op_compat, __HYPERVISOR_physdev_op_compat)                   \
	X(grant_table_op, __HYPERVISOR_grant_table_op)                         \
	X(vm_assist, __HYPERVISOR_vm_assist)                                   \
	X(update_va_mapping_otherdomain, __HYPERVISOR_update_va_mapping_otherdomain) \
	X(iret, __HYPERVISOR_iret)                                             \
	X(vcpu_op, __HYPERVISOR_vcpu_op)                                       \
	X(set_segment_base, __HYPERVISOR_set_segment_base)                     \
	X(mmuext_op, __HYPERVISOR_mmuext_op)                                   \
	X(xsm_op, __HYPERVISOR_xsm_op)                                         \
	X(nmi_op, __HYPERVISOR_nmi_op)                                         \
	X(sched_op, __HYPERVISOR_sched_op)                                     \
	X(callback_op, __HYPERVISOR_callback_op)                               \
	X(xenoprof_op, __HYPERVISOR_xenoprof_op)                               \
	X(event_channel_op, __HYPERVISOR_event_channel_op)                     \
	X(physdev_op, __HYPERVISOR_physdev_op)                                 \
	X(hvm_op, __HYPERVISOR_hvm_op)                                         \
	X(sysctl, __HYPERVISOR_sysctl)                                         \
	X(domctl, __HYPERVISOR_domctl)                                         \
	X(kexec_op, __HYPERVISOR_kexec_op)                                     \
	X(tmem_op, __HYPERVISOR_tmem_op)                                       \
	X(argo_op, __HYPERVISOR_argo_op)                                       \
	X(xenpmu_op, __HYPERVISOR_xenpmu_op)                                   \
	X(dm_op, __HYPERVISOR_dm_op)                                           \
	X(hypfs_op, __HYPERVISOR_hypfs_op)

#endif
