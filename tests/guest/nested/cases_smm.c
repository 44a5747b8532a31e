// SPDX-License-Identifier: MIT
/*
 * SMIs and the GIF (AMD APM Vol. 2 §15.17): while the GIF is clear the
 * CPU holds SMIs, as it holds NMIs and interrupts, and takes them when
 * STGI (or VMRUN) sets it again, SMI first, then NMI, then INTR (the
 * simultaneous-interrupt priorities, APM Vol. 2 §8.5).  VMRUN with an SMI
 * pending and vmcb12 intercepting SMI exits with #VMEXIT(SMI) before L2
 * runs, and the SMI stays pending for L1 (§15.13.3, §15.17).
 *
 * The SMI a guest can cause and see: a software SMI to the firmware's SMM
 * (q35 with SMM, OVMF's SMM build).  The PI SMM Communication protocol's
 * Communicate() puts a request where SMM finds it and writes the SMI
 * command port (the FADT's SMI_CMD); the SMI handler then answers in the
 * request's buffer.  The request: edk2's SMM variable service, function
 * GET_PAYLOAD_SIZE (MdeModulePkg's SmmVariableCommon.h, function 11),
 * whose handler writes its ReturnStatus and the payload size into the
 * buffer.  "The SMI was taken" is "the buffer holds the answer"; the
 * answer to expect is the one a request with the GIF set gets (the first
 * case).  Communicate()'s own return value is read from SMM's shared
 * state right after the port write, so it is stale when the SMI waits.
 *
 * Without SMM (no such protocol) the group has no cases: the test
 * nested-smm runs the payload on firmware with SMM and requires them.
 */
#include <efi.h>
#include <efilib.h>
#include "nested.h"
#include "core/x86.h"

#define NMI 2u
#define SENTINEL 0x5a5a5a5a5a5a5a5aull
#define FN_GET_PAYLOAD_SIZE 11u

/* UEFI PI Specification, Vol. 4, EFI_SMM_COMMUNICATION_PROTOCOL. */
struct smm_communication {
	EFI_STATUS (EFIAPI *communicate)(struct smm_communication *self,
					 void *buf, UINTN *size);
};

/* EFI_SMM_COMMUNICATE_HEADER, then edk2's SMM_VARIABLE_COMMUNICATE_HEADER
 * and SMM_VARIABLE_COMMUNICATE_GET_PAYLOAD_SIZE. */
struct smm_request {
	EFI_GUID guid;
	UINTN length;           /* of what follows */
	UINTN function;
	EFI_STATUS status;      /* the handler's ReturnStatus */
	UINTN payload_size;
};
_Static_assert(__builtin_offsetof(struct smm_request, function) == 24,
	       "EFI_SMM_COMMUNICATE_HEADER.Data");
_Static_assert(sizeof(struct smm_request) == 48, "header + 24 bytes");

static struct smm_communication *comm;
static volatile struct smm_request *req;
static uint64_t answer_size;   /* what the reference request got */

extern char l2_vmmcall[];

/* A fresh request, its answer fields holding the sentinel. */
static void arm(void)
{
	static const EFI_GUID var_guid = { 0xed32d533, 0x99e6, 0x4209,
		{ 0x9c, 0xc0, 0x2d, 0x72, 0xcd, 0xd9, 0x98, 0xa7 } };

	req->guid = var_guid;
	req->length = sizeof(struct smm_request) -
		      __builtin_offsetof(struct smm_request, function);
	req->function = FN_GET_PAYLOAD_SIZE;
	req->status = SENTINEL;
	req->payload_size = SENTINEL;
}

static EFI_STATUS request(void)
{
	UINTN size = sizeof(struct smm_request);

	return uefi_call_wrapper(comm->communicate, 3, comm,
				 (void *)(uintptr_t)req, &size);
}

static int answered(void)
{
	return req->status == EFI_SUCCESS && req->payload_size == answer_size;
}

static int untouched(void)
{
	return req->status == SENTINEL && req->payload_size == SENTINEL;
}

static void delay(void)
{
	for (volatile int i = 0; i < 100000; i++)
		;
}

/* With the GIF set: the SMI is taken at once, the answer is there. */
static int reference(void)
{
	EFI_STATUS s;

	arm();
	s = request();
	answer_size = req->payload_size;
	return TAP_EXPECT_EQ("Communicate", s, EFI_SUCCESS) &
	       TAP_EXPECT_EQ("ReturnStatus", req->status, EFI_SUCCESS) &
	       TAP_EXPECT_EQ("payload size answered",
			     req->payload_size != SENTINEL, 1);
}

/* L1: CLGI; the request; no answer until STGI; then the answer. */
static int held_by_clgi(void)
{
	int held;

	arm();
	clgi();
	request();
	delay();
	held = untouched();
	stgi();
	delay();
	return TAP_EXPECT_EQ("request untouched with GIF=0", held, 1) &
	       TAP_EXPECT_EQ("answered after STGI", answered(), 1);
}

/* L1: CLGI; STI; a self-IPI, a self-NMI and the request all wait; STGI:
 * the SMI first (the NMI's handler finds the answer there), then the
 * NMI, then the interrupt. */
static int smi_nmi_intr_on_stgi(void)
{
	uint32_t n0 = env.irq_log_n = 0; /* earlier cases may have filled it */
	int ok;

	arm();
	clgi();
	__asm__ volatile("sti" ::: "memory");
	apic_self_ipi(VEC_IPI);
	apic_self_nmi();
	request();
	delay();
	ok = TAP_EXPECT_EQ("events taken with GIF=0", env.irq_log_n - n0, 0) &
	     TAP_EXPECT_EQ("request untouched with GIF=0", untouched(), 1);
	env.irq_probe = &req->status;
	stgi();
	delay();
	__asm__ volatile("cli" ::: "memory");
	env.irq_probe = NULL;
	if (!TAP_EXPECT_EQ("events taken after STGI", env.irq_log_n - n0, 2))
		return 0;
	ok &= TAP_EXPECT_EQ("first: the NMI", env.irq_log[n0], NMI);
	ok &= TAP_EXPECT_EQ("SMM had answered when the NMI came",
			    env.irq_probe_log[n0], EFI_SUCCESS);
	ok &= TAP_EXPECT_EQ("then: the interrupt", env.irq_log[n0 + 1], VEC_IPI);
	return ok & TAP_EXPECT_EQ("answered", answered(), 1);
}

/* The request and an NMI held by L1's CLGI, then VMRUN of an L2 whose
 * SMIs and NMIs L1 intercepts: #VMEXIT(SMI) at once (the SMI first; L2
 * has not run), both still pending (no answer yet), taken at L1's STGI,
 * the SMI first. */
static int held_then_vmrun_intercepted(void)
{
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { 0 };
	uint32_t n0 = env.irq_log_n = 0;
	int ok, held;

	vmcb_default(v, l2_vmmcall);
	v->control.intercept_misc1 |= INTERCEPT1_SMI | INTERCEPT1_NMI;
	arm();
	clgi();
	request();
	apic_self_nmi();
	nested_vmrun((uint64_t)(uintptr_t)v, &g);
	held = untouched();
	env.irq_probe = &req->status;
	stgi();
	delay();
	env.irq_probe = NULL;
	ok = expect_exit(v, VMEXIT_SMI);
	ok &= TAP_EXPECT_EQ("rip (L2 had not run)", v->save.rip,
			    (uint64_t)(uintptr_t)l2_vmmcall);
	ok &= TAP_EXPECT_EQ("request untouched at the #VMEXIT", held, 1);
	ok &= TAP_EXPECT_EQ("answered after STGI", answered(), 1);
	if (!TAP_EXPECT_EQ("events L1 took after STGI", env.irq_log_n - n0, 1))
		return 0;
	ok &= TAP_EXPECT_EQ("the NMI", env.irq_log[n0], NMI);
	return ok & TAP_EXPECT_EQ("SMM had answered when the NMI came",
				  env.irq_probe_log[n0], EFI_SUCCESS);
}

/* The same without L1's SMI intercept: VMRUN sets the GIF, the SMI is
 * taken before L2's first instruction, L2 exits with its VMMCALL. */
static int held_then_vmrun(void)
{
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { 0 };
	int answered_at_exit;

	vmcb_default(v, l2_vmmcall);
	arm();
	clgi();
	request();
	nested_vmrun((uint64_t)(uintptr_t)v, &g);
	answered_at_exit = answered();
	stgi();
	return expect_exit(v, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("answered at L2's exit", answered_at_exit, 1);
}

/*
 * L2 makes the request itself (L1 does not intercept the port): it calls
 * Communicate() and exits with VMMCALL, RAX = Communicate's status.
 * L1 intercepting SMI: the port write completes, and #VMEXIT(SMI) comes
 * before anything else of L2 (no answer yet); L1's STGI takes the SMI;
 * L2, resumed, returns from Communicate with the answer's status.  Not
 * intercepting: the SMI is taken at once, in L2's time.
 */
__attribute__((used)) static void l2_request(void)
{
	EFI_STATUS s = request();

	__asm__ volatile("vmmcall" ::"a"(s) : "memory");
	for (;;)
		__asm__ volatile("hlt");
}

static struct vmcb *l2_request_vmcb(void)
{
	struct vmcb *v = env.vmcb;

	vmcb_default(v, l2_request);
	v->save.rsp -= 8; /* as after a call: the ABI's alignment */
	return v;
}

/* Run L2 until an exit other than INTR: the firmware's SMI handler may
 * take longer than one of l2_run()'s bounded runs (its timer's INTR exit
 * then resumes L2 where it was), but not twenty. */
static void l2_run_through_timer(struct vmcb *v, struct l2_gprs *g)
{
	l2_run(v, g);
	for (int i = 0; i < 20 && v->control.exit_code == VMEXIT_INTR; i++)
		l2_run(v, g);
}

static int l2_request_intercepted(void)
{
	struct vmcb *v = l2_request_vmcb();
	struct l2_gprs g = { 0 };
	int ok, held;

	v->control.intercept_misc1 |= INTERCEPT1_SMI;
	arm();
	clgi();
	nested_vmrun((uint64_t)(uintptr_t)v, &g);
	held = untouched();
	stgi();
	delay();
	ok = expect_exit(v, VMEXIT_SMI);
	ok &= TAP_EXPECT_EQ("request untouched at the #VMEXIT", held, 1);
	ok &= TAP_EXPECT_EQ("answered after STGI", answered(), 1);
	l2_run_through_timer(v, &g);
	return ok & expect_exit(v, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("Communicate's status in L2", v->save.rax,
			     EFI_SUCCESS);
}

static int l2_request_taken(void)
{
	struct vmcb *v = l2_request_vmcb();
	struct l2_gprs g = { 0 };

	arm();
	l2_run_through_timer(v, &g);
	return expect_exit(v, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("Communicate's status in L2", v->save.rax,
			     EFI_SUCCESS) &
	       TAP_EXPECT_EQ("answered", answered(), 1);
}

static const struct tap_case cases[] = {
	{ "smm.reference_with_gif_set", reference },
	{ "smm.held_by_clgi", held_by_clgi },
	{ "smm.smi_nmi_intr_on_stgi", smi_nmi_intr_on_stgi },
	{ "smm.held_then_vmrun_intercepted", held_then_vmrun_intercepted },
	{ "smm.held_then_vmrun", held_then_vmrun },
	{ "smm.l2_request_intercepted", l2_request_intercepted },
	{ "smm.l2_request", l2_request_taken },
};

struct case_list smi_cases(void)
{
	EFI_GUID guid = { 0xc68ed8e2, 0x9dc6, 0x4cbd,
		{ 0x9d, 0x94, 0xdb, 0x65, 0xac, 0xc5, 0xc3, 0x32 } };
	EFI_PHYSICAL_ADDRESS a = 0xffffffffull;

	if (EFI_ERROR(uefi_call_wrapper(BS->LocateProtocol, 3, &guid, NULL,
					(void **)&comm)))
		return (struct case_list){ cases, 0 };
	/* SMM takes requests only in memory the OS keeps for the firmware
	 * at run time (edk2's SmmIsBufferOutsideSmmValid). */
	if (EFI_ERROR(uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress,
					EfiRuntimeServicesData, 1, &a)))
		return (struct case_list){ cases, 0 };
	req = (volatile struct smm_request *)(uintptr_t)a;
	return (struct case_list){ cases, TAP_COUNT(cases) };
}
