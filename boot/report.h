/* SPDX-License-Identifier: MIT */
/* What nestvisor tells the user at boot: CPU, SVM features, memory map,
 * and the confirmation that L1 runs on top of it. */
#ifndef NV_BOOT_REPORT_H
#define NV_BOOT_REPORT_H

void report_cpu(void);
void report_memory_map(void);
void report_l1(void);

#endif
