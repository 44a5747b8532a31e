/* SPDX-License-Identifier: MIT */
/*
 * The I/O APICs (their MMIO pages from the ACPI MADT), emulated so that
 * no redirection entry L1 programs delivers an INIT, Start-up or SMI
 * (svm/irq_msg.h; docs/security.md, "Interrupt messages").
 */
#ifndef NV_SVM_IOAPIC_H
#define NV_SVM_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define IOAPIC_MAX 8

struct cpu;

/* At set-up, on the boot CPU: each I/O APIC page made inaccessible in
 * L1's NPT (present without the user bit: every access exits), its
 * entry count read.  0, or an error from the NPT. */
int ioapic_init(const uint64_t *base, unsigned n);

/* Is gpa an I/O APIC's page?  Does [lo, hi) hold one? */
bool ioapic_page(uint64_t gpa);
bool ioapic_meets(uint64_t lo, uint64_t hi);

/* An #NPF at gpa on an I/O APIC page (read or write): the MOV (or XCHG)
 * decoded at RIP and emulated; another instruction gets #GP. */
void ioapic_mmio(struct cpu *cpu, uint64_t gpa);

#endif
