// SPDX-License-Identifier: MIT
/*
 * Every CPU, through the firmware's MP services (boot/mp_services.h),
 * while boot services still exist.
 *  1. mp_discover: the processors and their APIC IDs; each enabled AP
 *     runs a probe (svm_unsupported_reason) natively, which changes
 *     nothing.  Without MP services only the boot CPU is known.
 *  2. (boot/main.c: hv_prepare in the hypervisor copy, with the list.)
 *  3. mp_launch_aps: each enabled AP runs hv_launch() in the copy.  One
 *     that may be virtualized runs it with StartupThisAP, blocking and
 *     without a timeout (on a timeout OVMF would reset the AP with
 *     INIT-SIPI-SIPI in the middle of its take-over); it returns to the
 *     firmware's AP loop as a guest.  One that will be parked (the probe
 *     failed, or the configuration's CPU limit) runs it non-blocking: it
 *     never returns, and the firmware sees that AP busy for good.
 * The boot CPU is taken over last (boot/main.c), so during this the only
 * CPU that sends INIT and SIPI is the boot CPU, natively, to the AP being
 * started.
 */
#include <efi.h>
#include <efilib.h>

#include "boot/efi_util.h"
#include "boot/mp.h"
#include "boot/mp_services.h"
#include "core/err.h"
#include "core/log.h"
#include "svm/features.h"
#include "svm/smp.h"

static EFI_GUID mp_guid = NV_EFI_MP_SERVICES_GUID;
static struct nv_mp_services *mp;

struct ap_call {
	const char *why;   /* probe: NULL if the AP can run SVM */
	int (*launch)(struct launch_params *);
	struct launch_params *p;
	volatile int rc;
};

static VOID EFIAPI ap_probe(VOID *arg)
{
	((struct ap_call *)arg)->why = svm_unsupported_reason();
}

static VOID EFIAPI ap_launch(VOID *arg)
{
	struct ap_call *c = arg;

	c->rc = c->launch(c->p);
}

int mp_discover(struct mp_cpus *c, unsigned max_virtualized)
{
	UINTN nr = 0, nr_enabled = 0;
	unsigned aps = 0;
	EFI_STATUS st;

	*c = (struct mp_cpus){ .nr = 1 };
	c->cpu[0] = (struct mp_cpu){ .apic_id = smp_this_apic_id(), .bsp = true,
				     .virtualize = true };
	st = uefi_call_wrapper(BS->LocateProtocol, 3, &mp_guid, NULL,
			       (void **)&mp);
	if (EFI_ERROR(st)) {
		mp = 0;
		log_warn("no MP services protocol (%s): only this CPU is known "
			 "and virtualized", efi_status_name(st));
		return 0;
	}
	st = uefi_call_wrapper(mp->get_number_of_processors, 3, mp, &nr,
			       &nr_enabled);
	if (EFI_ERROR(st) || nr == 0) {
		log_error("MP services: cannot count the CPUs (%s)",
			  efi_status_name(st));
		return -NV_EINVAL;
	}
	if (nr > NV_MAX_CPUS) {
		log_error("%lu CPUs: nestvisor handles at most %u", nr,
			  NV_MAX_CPUS);
		return -NV_ERANGE;
	}
	c->nr = 0;
	for (UINTN i = 0; i < nr; i++) {
		struct nv_processor_info info;
		struct mp_cpu *m = &c->cpu[c->nr];

		st = uefi_call_wrapper(mp->get_processor_info, 3, mp, i, &info);
		if (EFI_ERROR(st)) {
			log_error("MP services: no information on CPU %lu (%s)",
				  i, efi_status_name(st));
			return -NV_EINVAL;
		}
		*m = (struct mp_cpu){
			.number = i, .apic_id = (uint32_t)info.processor_id,
			.bsp = info.status_flag & NV_PROCESSOR_AS_BSP,
			.enabled = info.status_flag & NV_PROCESSOR_ENABLED,
		};
		c->nr++;
		if (m->bsp) {
			m->enabled = m->virtualize = true;
			continue;
		}
		if (!m->enabled) {
			m->why = "the firmware has disabled it";
			continue;
		}
		{
			struct ap_call call = { 0 };

			st = uefi_call_wrapper(mp->startup_this_ap, 7, mp,
					       ap_probe, i, NULL, 0, &call,
					       NULL);
			m->why = EFI_ERROR(st) ? "it does not run code for the "
						 "firmware's MP services"
					       : call.why;
		}
		if (!m->why && max_virtualized && ++aps >= max_virtualized)
			m->why = "the configuration virtualizes fewer CPUs (cpus)";
		m->virtualize = !m->why;
	}
	return 0;
}

void mp_launch_aps(const struct mp_cpus *c,
		   int (*launch)(struct launch_params *),
		   struct launch_params *p)
{
	static struct ap_call parked[NV_MAX_CPUS];
	EFI_STATUS st;

	if (!mp)
		return;
	for (unsigned i = 0; i < c->nr; i++) {
		const struct mp_cpu *m = &c->cpu[i];

		if (m->bsp || !m->enabled)
			continue;
		if (m->virtualize) {
			struct ap_call call = { .launch = launch, .p = p,
						.rc = -1 };

			st = uefi_call_wrapper(mp->startup_this_ap, 7, mp,
					       ap_launch, m->number, NULL, 0,
					       &call, NULL);
			if (EFI_ERROR(st) || call.rc)
				log_error("CPU %u (APIC ID %u): take-over "
					  "failed (%s, %s)", i, m->apic_id,
					  efi_status_name(st),
					  nv_err_name(call.rc));
			continue;
		}
		/* Parked: it never returns, so do not wait for it. */
		{
			EFI_EVENT ev;

			parked[i] = (struct ap_call){ .launch = launch, .p = p };
			st = uefi_call_wrapper(BS->CreateEvent, 5, 0, 0, NULL,
					       NULL, &ev);
			if (!EFI_ERROR(st))
				st = uefi_call_wrapper(mp->startup_this_ap, 7,
						       mp, ap_launch, m->number,
						       ev, 0, &parked[i], NULL);
			if (EFI_ERROR(st))
				log_error("CPU %u (APIC ID %u): cannot park it "
					  "(%s)", i, m->apic_id,
					  efi_status_name(st));
		}
	}
}
