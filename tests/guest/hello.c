// SPDX-License-Identifier: MIT
/*
 * hello: the default guest.  Says that it runs, whether nestvisor is
 * underneath (vendor leaf, then the VERSION hypercall) and which CPU it
 * sees, reads the firmware's SecureBoot variable (a runtime service that
 * firmware with SMM serves in SMM, through an SMI), then powers the
 * machine off through the firmware (ResetSystem(EfiResetShutdown): QEMU
 * exits with status 0).
 */
#include <efi.h>
#include <efilib.h>
#include "lib/efiutil.h"
#include "lib/exit.h"
#include "lib/nv.h"
#include "lib/serial.h"
#include "lib/trap.h"
#include "lib/x86.h"

static void brand_string(char out[49])
{
	for (uint32_t i = 0; i < 3; i++) {
		struct cpuid_regs r = cpuid_count(0x80000002u + i, 0);
		uint32_t w[4] = { r.eax, r.ebx, r.ecx, r.edx };

		for (int j = 0; j < 16; j++)
			out[i * 16 + j] = (char)(w[j / 4] >> (8 * (j % 4)));
	}
	out[48] = '\0';
}

/* UEFI 2.x §3.3: SecureBoot, a UINT8 in the global variable namespace, 1
 * when the platform enforces Secure Boot. */
static void secure_boot_text(void)
{
	static CHAR16 name[] = L"SecureBoot";
	EFI_GUID global = EFI_GLOBAL_VARIABLE;
	UINT8 v = 0;
	UINTN size = sizeof(v);
	EFI_STATUS st = uefi_call_wrapper(RT->GetVariable, 5, name,
					  &global, NULL, &size, &v);

	if (st == EFI_SUCCESS && size == 1)
		gprintf("hello: UEFI variable SecureBoot = %u\n", v);
	else
		gprintf("hello: UEFI variable SecureBoot not readable (status 0x%lx)\n",
			(uint64_t)st);
}

static void version_text(uint64_t v)
{
	gprintf("%lu.%lu.%lu", (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	char vendor[13], brand[49], sig[13];

	guest_efi_init(image, st);
	cpu_vendor(vendor);
	gprintf("\nhello: the nestvisor test guest is running\n");
	if (cpuid_count(0x80000000u, 0).eax >= 0x80000004u) {
		brand_string(brand);
		gprintf("hello: CPU vendor %s, %s\n", vendor, brand);
	} else {
		gprintf("hello: CPU vendor %s\n", vendor);
	}
	if (nv_present()) {
		struct trap_session ts;
		struct hc_regs r = { NV_HC_VERSION, 0, 0, 0 };
		int fault;

		trap_begin(&ts);
		fault = trap_vmmcall(&r);
		trap_end(&ts);
		gprintf("hello: running under nestvisor, version ");
		version_text(cpuid_count(NV_CPUID_VERSION_LEAF, 0).eax);
		if (fault == TRAP_NONE && (int64_t)r.rax == NV_HC_OK) {
			gprintf("; VERSION hypercall says ");
			version_text(r.rbx);
			gprintf("\n");
		} else {
			gprintf("; VERSION hypercall failed (exception %d, status %ld)\n",
				fault, (long)r.rax);
		}
	} else {
		nv_vendor_leaf_sig(sig);
		gprintf("hello: not running under nestvisor (hypervisor bit %u, vendor leaf \"%s\")\n",
			(cpuid_count(1, 0).ecx & CPUID_1_ECX_HYPERVISOR) ? 1 : 0, sig);
	}
	secure_boot_text();
	gprintf("hello: powering off\n");
	guest_poweroff();
}
