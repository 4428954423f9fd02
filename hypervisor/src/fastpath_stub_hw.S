/* The entry stub for VT-x/AMD-V hosts: the same source as the PVM one,
 * built with FP_HW (fastpath_stub.S says what differs). */
#define FP_HW 1
#include "fastpath_stub.S"
