/*
 * platform_internal.h - WAMR's platform header for the bare-metal RV32 image
 * (boards/rv32-qemu): no OS, one thread, no files, no sockets. WAMR includes
 * it through platform_api_vmcore.h; the functions are in platform_rv32.c.
 */
#ifndef _PLATFORM_INTERNAL_H
#define _PLATFORM_INTERNAL_H

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef BH_PLATFORM_IOTBIND_RV32
#define BH_PLATFORM_IOTBIND_RV32
#endif

#define BH_APPLET_PRESERVED_STACK_SIZE (2 * BH_KB)
#define BH_THREAD_DEFAULT_PRIORITY 0

/* One thread, never preempted: the locks are counters. */
typedef int korp_tid;
typedef int korp_mutex;
typedef int korp_cond;
typedef int korp_thread;
typedef int korp_rwlock;
typedef unsigned int korp_sem;
#define OS_THREAD_MUTEX_INITIALIZER 0

typedef int os_file_handle;
typedef void *os_dir_stream;
typedef int os_raw_file_handle;
typedef int os_poll_file_handle;
typedef unsigned int os_nfds_t;
typedef int os_timespec;

static inline os_file_handle os_get_invalid_handle(void) { return -1; }
static inline int os_getpagesize(void) { return 4096; }

#endif
