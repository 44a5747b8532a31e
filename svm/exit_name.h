/* SPDX-License-Identifier: MIT */
/* Names of SVM exit codes (svm/exit_code.h), for nvctl and logs. */
#ifndef NV_SVM_EXIT_NAME_H
#define NV_SVM_EXIT_NAME_H

#include <stdint.h>

/* "CPUID", "CR3_WRITE", "EXCP14", "NPF", "INVALID", ... or "0x..." for a
 * code APM Vol. 2 Table C-1 does not name; into buf (NUL-terminated). */
void svm_exit_name(uint64_t code, char *buf, unsigned size);

#endif
