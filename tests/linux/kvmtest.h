/* SPDX-License-Identifier: MIT */
/*
 * kvmtest.h: the contract between kvmtest.c (the L1 user program driving
 * KVM) and kvmtest-guest.S (the L2 code): guest-physical layout, the I/O
 * ports and the values exchanged.  Plain #defines only: the assembler
 * includes this file too.
 *
 * With several vCPUs each has its own equal part of the region (multiples
 * of KT_PROGRESS_STEP), its own probe word at KT_PROBE_OFFSET into its
 * part, and the same conversation for that part.
 *
 * The conversation, in order (every access is one OUT or IN, count 1):
 *   1. OUT  KT_PORT_HELLO     32-bit  KT_HELLO_MAGIC
 *   2. IN   KT_PORT_SEED      32-bit  the host answers KT_SEED
 *           then one 32-bit read of KT_READ_ADDR (a page nothing else
 *           touches: its first access is a read, for nvctl's trace)
 *   3.      write pass: every 32-bit word at address A in
 *           [KT_REGION_START, KT_REGION_END) gets A ^ seed; after each
 *           KT_PROGRESS_STEP bytes:
 *      OUT  KT_PORT_PROGRESS  32-bit  the address reached (4 exits)
 *           at the last of them the host overwrites the word at
 *           KT_PROBE_ADDR through its own mapping with KT_PROBE_VALUE
 *   4.      read pass: every word compared with A ^ seed
 *   5. OUT  KT_PORT_MISMATCHES 32-bit number of words that differ (1)
 *   6. OUT  KT_PORT_FIRST_BAD  32-bit first differing address
 *           (KT_PROBE_ADDR), KT_NO_MISMATCH if none
 *   7. OUT  KT_PORT_DONE       8-bit  KT_DONE_BYTE
 *   8. HLT
 */
#ifndef NV_TESTS_LINUX_KVMTEST_H
#define NV_TESTS_LINUX_KVMTEST_H

/* Guest-physical memory: one slot at 0. */
#define KT_MEM_SIZE        0x2000000   /* 32 MiB */
#define KT_CODE_GPA        0x1000      /* where the guest code is copied */
#define KT_MAX_VCPUS       2

/* The tested region: 16 MiB starting at 4 MiB; both ends multiples of
 * KT_PROGRESS_STEP (the guest tests the low bits of the address). */
#define KT_REGION_START    0x400000
#define KT_REGION_END      0x1400000
#define KT_PROGRESS_STEP   0x400000    /* one progress exit per 4 MiB */

/* Ports (an unused range on a PC: nothing else in the VM decodes them). */
#define KT_PORT_HELLO      0x510
#define KT_PORT_SEED       0x511
#define KT_PORT_PROGRESS   0x512
#define KT_PORT_MISMATCHES 0x513
#define KT_PORT_FIRST_BAD  0x514
#define KT_PORT_DONE       0x515

#define KT_HELLO_MAGIC     0x4c32564b  /* "KV2L" little-endian */
#define KT_SEED            0x9e3779b9
#define KT_DONE_BYTE       0x44        /* 'D' */
#define KT_NO_MISMATCH     0xffffffff

/* A word outside the region and the code that only this read touches. */
#define KT_READ_ADDR       0x1800000

/* The word the host changes between the passes (inside the region, not
 * on a page boundary), and the value it writes there. */
#define KT_PROBE_OFFSET    0x600124    /* from the start of a vCPU's part */
#define KT_PROBE_ADDR      (KT_REGION_START + KT_PROBE_OFFSET)
#define KT_PROBE_VALUE     0x0badf00d

#endif
