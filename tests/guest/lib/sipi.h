/* SPDX-License-Identifier: MIT */
/*
 * A payload that starts an AP itself, the way an OS does: the AP's APIC
 * ID from the firmware's MP services (boot/mp_services.h), a real-mode
 * page below 640 KiB for its code, INIT-SIPI-SIPI through the boot CPU's
 * xAPIC ICR (the sequence of the Intel MP specification that OSes use;
 * APM Vol. 2 chapter 16 "Interprocessor Interrupts": a Start-up IPI
 * starts a CPU in wait-for-SIPI at CS = vector << 8, IP = 0), and a wait
 * for the word the AP's code stores at offset GUEST_AP_MARK_OFF.
 */
#ifndef NV_GUEST_SIPI_H
#define NV_GUEST_SIPI_H

#include <stdbool.h>
#include <stdint.h>

#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define GUEST_AP_MARK_OFF 0x100
#define GUEST_AP_MARK     0x5150

/* The first AP's APIC ID: 0, or -1 with no AP (or no MP services). */
int guest_first_ap(uint32_t *apic_id);

/* A page below 640 KiB holding code[0..len) at offset 0, the rest zero
 * (its Start-up vector: its address >> 12), or NULL. */
volatile uint8_t *guest_ap_page(const uint8_t *code, unsigned len);

/* The boot CPU's xAPIC register at offset reg. */
volatile uint32_t *guest_apic(unsigned reg);

/* ICR high = apic_id << 24, ICR low = lo, then a bounded wait for the
 * delivery status to clear. */
void guest_icr(uint32_t apic_id, uint32_t lo);

/* INIT (level assert), 10 ms, Start-up, 200 us, Start-up. */
void guest_init_sipi_sipi(uint32_t apic_id, uint32_t vector);

/* Up to ms milliseconds for the AP's word at p + GUEST_AP_MARK_OFF. */
bool guest_ap_ran(volatile uint8_t *p, unsigned ms);

#endif
