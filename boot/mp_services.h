/* SPDX-License-Identifier: MIT */
/*
 * EFI_MP_SERVICES_PROTOCOL, which GNU-EFI does not declare: UEFI Platform
 * Initialization Specification, Vol. 2 (DXE), "MP Services Protocol".
 * Used by nestvisor to run its take-over on every CPU (boot/mp.c) and by
 * the test payloads to run their suites on an application processor.
 * Only what those need; the extended processor information of later PI
 * versions is covered by padding.
 */
#ifndef NV_BOOT_MP_SERVICES_H
#define NV_BOOT_MP_SERVICES_H

#include <efi.h>

#define NV_EFI_MP_SERVICES_GUID                                             \
	{ 0x3fdda605, 0xa76e, 0x4f46,                                       \
	  { 0xad, 0x29, 0x12, 0xf4, 0x53, 0x1b, 0x3d, 0x08 } }

/* EFI_PROCESSOR_INFORMATION.StatusFlag */
#define NV_PROCESSOR_AS_BSP      0x1u
#define NV_PROCESSOR_ENABLED     0x2u
#define NV_PROCESSOR_HEALTHY     0x4u

struct nv_processor_info {
	UINT64 processor_id;        /* the local APIC ID */
	UINT32 status_flag;
	UINT32 package, core, thread;
	UINT8 extended[64];         /* PI 1.7 extended topology, unused */
};

struct nv_mp_services;

typedef VOID (EFIAPI *nv_ap_procedure)(VOID *arg);

struct nv_mp_services {
	EFI_STATUS (EFIAPI *get_number_of_processors)(
		struct nv_mp_services *self, UINTN *nr, UINTN *nr_enabled);
	EFI_STATUS (EFIAPI *get_processor_info)(
		struct nv_mp_services *self, UINTN number,
		struct nv_processor_info *info);
	EFI_STATUS (EFIAPI *startup_all_aps)(
		struct nv_mp_services *self, nv_ap_procedure proc,
		BOOLEAN single_thread, EFI_EVENT wait_event,
		UINTN timeout_us, VOID *arg, UINTN **failed);
	EFI_STATUS (EFIAPI *startup_this_ap)(
		struct nv_mp_services *self, nv_ap_procedure proc,
		UINTN number, EFI_EVENT wait_event, UINTN timeout_us,
		VOID *arg, BOOLEAN *finished);
	EFI_STATUS (EFIAPI *switch_bsp)(struct nv_mp_services *self,
					UINTN number, BOOLEAN enable_old);
	EFI_STATUS (EFIAPI *enable_disable_ap)(struct nv_mp_services *self,
					       UINTN number, BOOLEAN enable,
					       UINT32 *health);
	EFI_STATUS (EFIAPI *who_am_i)(struct nv_mp_services *self,
				      UINTN *number);
};

#endif
