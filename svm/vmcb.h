/* SPDX-License-Identifier: MIT */
/*
 * The Virtual Machine Control Block.
 * AMD APM Vol. 2, Appendix B "Layout of VMCB": Table B-1 (control area,
 * offsets 0x000-0x3ff) and Table B-2 (state save area, from 0x400).
 * Declared once here; every other file uses these types.
 */
#ifndef NV_SVM_VMCB_H
#define NV_SVM_VMCB_H

#include <stddef.h>
#include <stdint.h>

#include "svm/exit_code.h"

/* VMCB segment attributes, APM Vol. 2 §15.5.1: the descriptor's bits
 * 47:40 in 7:0 and 55:52 in 11:8 (descriptor fields: §4.7, §4.8). */
union vmcb_seg_attr {
	uint16_t raw;
	struct {
		uint16_t type : 4;
		uint16_t s : 1;    /* code or data (not system) */
		uint16_t dpl : 2;
		uint16_t p : 1;    /* present */
		uint16_t avl : 1;
		uint16_t l : 1;    /* 64-bit code */
		uint16_t db : 1;   /* default operand size 32 */
		uint16_t g : 1;    /* limit in 4 KiB units */
		uint16_t rsvd : 4;
	};
};
_Static_assert(sizeof(union vmcb_seg_attr) == 2, "segment attributes");

/* APM Vol. 2 §15.5.1: VMCB segment register (selector, attributes, limit,
 * base). */
struct vmcb_seg {
	uint16_t selector;
	union vmcb_seg_attr attrib;
	uint32_t limit;
	uint64_t base;
} __attribute__((packed));
_Static_assert(sizeof(struct vmcb_seg) == 16, "vmcb_seg");

/* EVENTINJ (VMCB 0x0a8) and EXITINTINFO (0x088), APM Vol. 2 §15.20 and
 * §15.7.2: the same format.  The error code has a field of its own. */
union svm_event {
	uint32_t raw;
	struct {
		uint32_t vector : 8;
		uint32_t type : 3; /* enum svm_event_type */
		uint32_t ev : 1;   /* an error code is pushed */
		uint32_t rsvd : 19;
		uint32_t valid : 1;
	};
};
_Static_assert(sizeof(union svm_event) == 4, "EVENTINJ is 32 bits");

/* Its TYPE field; 1, 5, 6 and 7 are reserved. */
enum svm_event_type {
	SVM_EVENT_INTR = 0,     /* external or virtual interrupt */
	SVM_EVENT_NMI = 2,
	SVM_EVENT_EXCEPTION = 3,
	SVM_EVENT_SOFT_INT = 4, /* INTn */
};

/* EXITINFO1 of an MSR exit (APM Vol. 2 §15.11): 1 for WRMSR, 0 for
 * RDMSR. */
#define EXITINFO1_MSR_WRITE 1u

/* EXITINFO1 of an IOIO intercept, APM Vol. 2 §15.10.2. */
union svm_ioio_info {
	uint64_t raw;
	struct {
		uint64_t in : 1;   /* TYPE: 1 = IN, 0 = OUT */
		uint64_t rsvd1 : 1;
		uint64_t str : 1;  /* INS/OUTS */
		uint64_t rep : 1;
		uint64_t sz8 : 1;  /* operand size, one of the three set */
		uint64_t sz16 : 1;
		uint64_t sz32 : 1;
		uint64_t a16 : 1;  /* address size */
		uint64_t a32 : 1;
		uint64_t a64 : 1;
		uint64_t seg : 3;  /* effective segment (decode assists) */
		uint64_t rsvd2 : 3;
		uint64_t port : 16;
		uint64_t rsvd3 : 32;
	};
};
_Static_assert(sizeof(union svm_ioio_info) == 8, "IOIO EXITINFO1 is 64 bits");

/* Bytes the IN or OUT of an IOIO exit moves: 1, 2 or 4. */
static inline unsigned ioio_size(union svm_ioio_info io)
{
	return io.sz8 ? 1 : io.sz16 ? 2 : 4;
}

/* Table B-1: control area. */
struct vmcb_control {
	uint32_t intercept_cr;        /* 0x000: 15:0 reads, 31:16 writes */
	uint32_t intercept_dr;        /* 0x004 */
	uint32_t intercept_exceptions;/* 0x008 */
	uint32_t intercept_misc1;     /* 0x00c: INTERCEPT1_* */
	uint32_t intercept_misc2;     /* 0x010: INTERCEPT2_* */
	uint32_t intercept_misc3;     /* 0x014: INTERCEPT3_* */
	uint8_t  rsvd_018[0x03c - 0x018];
	uint16_t pause_filter_thresh; /* 0x03c */
	uint16_t pause_filter_count;  /* 0x03e */
	uint64_t iopm_base_pa;        /* 0x040 */
	uint64_t msrpm_base_pa;       /* 0x048 */
	uint64_t tsc_offset;          /* 0x050 */
	uint32_t asid;                /* 0x058 */
	uint8_t  tlb_control;         /* 0x05c: TLB_CONTROL_* */
	uint8_t  rsvd_05d[3];
	uint32_t int_ctl;             /* 0x060: V_* */
	uint32_t int_vector;          /* 0x064 */
	uint32_t int_state;           /* 0x068: bit 0 interrupt shadow */
	uint8_t  rsvd_06c[4];
	uint64_t exit_code;           /* 0x070 */
	uint64_t exit_info_1;         /* 0x078 */
	uint64_t exit_info_2;         /* 0x080 */
	union svm_event exit_int_info;/* 0x088 */
	uint32_t exit_int_info_err;   /* 0x08c */
	uint64_t misc_ctl;            /* 0x090: MISC_CTL_* (NP, GMET, ...) */
	uint64_t avic_vapic_bar;      /* 0x098 */
	uint64_t ghcb_gpa;            /* 0x0a0 */
	union svm_event event_inj;    /* 0x0a8 */
	uint32_t event_inj_err;       /* 0x0ac */
	uint64_t nested_cr3;          /* 0x0b0 */
	uint64_t virt_ext;            /* 0x0b8: LBR, virtual VMLOAD/VMSAVE */
	uint32_t clean;               /* 0x0c0: VMCB_CLEAN_* */
	uint32_t rsvd_0c4;
	uint64_t next_rip;            /* 0x0c8 */
	uint8_t  insn_len;            /* 0x0d0 */
	uint8_t  insn_bytes[15];      /* 0x0d1 */
	uint64_t avic_backing_page;   /* 0x0e0 */
	uint8_t  rsvd_0e8[8];
	uint64_t avic_logical_id;     /* 0x0f0 */
	uint64_t avic_physical_id;    /* 0x0f8 */
	uint8_t  rsvd_100[8];
	uint64_t vmsa_pa;             /* 0x108 */
	uint8_t  rsvd_110[0x400 - 0x110];
} __attribute__((packed));

/* Table B-2: state save area (non-SEV-ES layout). */
struct vmcb_save {
	struct vmcb_seg es;           /* 0x400 */
	struct vmcb_seg cs;           /* 0x410 */
	struct vmcb_seg ss;           /* 0x420 */
	struct vmcb_seg ds;           /* 0x430 */
	struct vmcb_seg fs;           /* 0x440 */
	struct vmcb_seg gs;           /* 0x450 */
	struct vmcb_seg gdtr;         /* 0x460 */
	struct vmcb_seg ldtr;         /* 0x470 */
	struct vmcb_seg idtr;         /* 0x480 */
	struct vmcb_seg tr;           /* 0x490 */
	uint8_t  rsvd_4a0[0x4cb - 0x4a0];
	uint8_t  cpl;                 /* 0x4cb */
	uint32_t rsvd_4cc;
	uint64_t efer;                /* 0x4d0 */
	uint8_t  rsvd_4d8[0x548 - 0x4d8];
	uint64_t cr4;                 /* 0x548 */
	uint64_t cr3;                 /* 0x550 */
	uint64_t cr0;                 /* 0x558 */
	uint64_t dr7;                 /* 0x560 */
	uint64_t dr6;                 /* 0x568 */
	uint64_t rflags;              /* 0x570 */
	uint64_t rip;                 /* 0x578 */
	uint8_t  rsvd_580[0x5d8 - 0x580];
	uint64_t rsp;                 /* 0x5d8 */
	uint64_t s_cet;               /* 0x5e0 */
	uint64_t ssp;                 /* 0x5e8 */
	uint64_t isst_addr;           /* 0x5f0 */
	uint64_t rax;                 /* 0x5f8 */
	uint64_t star;                /* 0x600 */
	uint64_t lstar;               /* 0x608 */
	uint64_t cstar;               /* 0x610 */
	uint64_t sfmask;              /* 0x618 */
	uint64_t kernel_gs_base;      /* 0x620 */
	uint64_t sysenter_cs;         /* 0x628 */
	uint64_t sysenter_esp;        /* 0x630 */
	uint64_t sysenter_eip;        /* 0x638 */
	uint64_t cr2;                 /* 0x640 */
	uint8_t  rsvd_648[0x668 - 0x648];
	uint64_t g_pat;               /* 0x668 */
	uint64_t dbgctl;              /* 0x670 */
	uint64_t br_from;             /* 0x678 */
	uint64_t br_to;               /* 0x680 */
	uint64_t last_excp_from;      /* 0x688 */
	uint64_t last_excp_to;        /* 0x690 */
	uint8_t  rsvd_698[0x1000 - 0x698];
} __attribute__((packed));

struct vmcb {
	struct vmcb_control control;
	struct vmcb_save save;
} __attribute__((packed, aligned(4096)));

#define VMCB_CHECK(type, field, off) \
	_Static_assert(offsetof(type, field) == (off), #type "." #field)
VMCB_CHECK(struct vmcb_control, iopm_base_pa, 0x040);
VMCB_CHECK(struct vmcb_control, asid, 0x058);
VMCB_CHECK(struct vmcb_control, int_ctl, 0x060);
VMCB_CHECK(struct vmcb_control, exit_code, 0x070);
VMCB_CHECK(struct vmcb_control, exit_int_info, 0x088);
VMCB_CHECK(struct vmcb_control, misc_ctl, 0x090);
VMCB_CHECK(struct vmcb_control, event_inj, 0x0a8);
VMCB_CHECK(struct vmcb_control, nested_cr3, 0x0b0);
VMCB_CHECK(struct vmcb_control, clean, 0x0c0);
VMCB_CHECK(struct vmcb_control, next_rip, 0x0c8);
VMCB_CHECK(struct vmcb_control, insn_len, 0x0d0);
VMCB_CHECK(struct vmcb_control, vmsa_pa, 0x108);
_Static_assert(sizeof(struct vmcb_control) == 0x400, "control area");
VMCB_CHECK(struct vmcb, save.es, 0x400);
VMCB_CHECK(struct vmcb, save.tr, 0x490);
VMCB_CHECK(struct vmcb, save.cpl, 0x4cb);
VMCB_CHECK(struct vmcb, save.efer, 0x4d0);
VMCB_CHECK(struct vmcb, save.cr4, 0x548);
VMCB_CHECK(struct vmcb, save.rip, 0x578);
VMCB_CHECK(struct vmcb, save.rsp, 0x5d8);
VMCB_CHECK(struct vmcb, save.rax, 0x5f8);
VMCB_CHECK(struct vmcb, save.star, 0x600);
VMCB_CHECK(struct vmcb, save.cr2, 0x640);
VMCB_CHECK(struct vmcb, save.g_pat, 0x668);
VMCB_CHECK(struct vmcb, save.last_excp_to, 0x690);
_Static_assert(sizeof(struct vmcb) == 4096, "VMCB is one page");

/* Intercept vectors (VMCB 0x00c, 0x010, 0x014; Table B-1): bit n of each
 * word intercepts the exit code its first code + n (svm/exit_code.h). */
#define INTERCEPT1(code) (1u << ((code) - VMEXIT_MISC1_FIRST))
#define INTERCEPT2(code) (1u << ((code) - VMEXIT_MISC2_FIRST))
#define INTERCEPT3(code) (1u << ((code) - VMEXIT_MISC3_FIRST))
#define INTERCEPT1_INTR      INTERCEPT1(VMEXIT_INTR)
#define INTERCEPT1_CR0_SEL_WRITE INTERCEPT1(VMEXIT_CR0_SEL_WRITE)
#define INTERCEPT1_NMI       INTERCEPT1(VMEXIT_NMI)
#define INTERCEPT1_SMI       INTERCEPT1(VMEXIT_SMI)
#define INTERCEPT1_INIT      INTERCEPT1(VMEXIT_INIT)
#define INTERCEPT1_VINTR     INTERCEPT1(VMEXIT_VINTR)
#define INTERCEPT1_RDTSC     INTERCEPT1(VMEXIT_RDTSC)
#define INTERCEPT1_CPUID     INTERCEPT1(VMEXIT_CPUID)
#define INTERCEPT1_INVD      INTERCEPT1(VMEXIT_INVD)
#define INTERCEPT1_SWINT     INTERCEPT1(VMEXIT_SWINT)
#define INTERCEPT1_HLT       INTERCEPT1(VMEXIT_HLT)
#define INTERCEPT1_INVLPGA   INTERCEPT1(VMEXIT_INVLPGA)
#define INTERCEPT1_IOIO_PROT INTERCEPT1(VMEXIT_IOIO)
#define INTERCEPT1_MSR_PROT  INTERCEPT1(VMEXIT_MSR)
#define INTERCEPT1_SHUTDOWN  INTERCEPT1(VMEXIT_SHUTDOWN)
#define INTERCEPT2_VMRUN     INTERCEPT2(VMEXIT_VMRUN)
#define INTERCEPT2_VMMCALL   INTERCEPT2(VMEXIT_VMMCALL)
#define INTERCEPT2_VMLOAD    INTERCEPT2(VMEXIT_VMLOAD)
#define INTERCEPT2_VMSAVE    INTERCEPT2(VMEXIT_VMSAVE)
#define INTERCEPT2_STGI      INTERCEPT2(VMEXIT_STGI)
#define INTERCEPT2_CLGI      INTERCEPT2(VMEXIT_CLGI)
#define INTERCEPT2_SKINIT    INTERCEPT2(VMEXIT_SKINIT)
#define INTERCEPT2_RDTSCP    INTERCEPT2(VMEXIT_RDTSCP)
#define INTERCEPT2_WBINVD    INTERCEPT2(VMEXIT_WBINVD)
#define INTERCEPT2_XSETBV    INTERCEPT2(VMEXIT_XSETBV)
#define INTERCEPT2_RDPRU     INTERCEPT2(VMEXIT_RDPRU)
/* Bits 31:15: EFER and CR0-CR15 write *traps* (intercepts taken after the
 * write), an SEV-ES mechanism. */
#define INTERCEPT2_WRITE_TRAPS \
	(~0u << (VMEXIT_EFER_WRITE_TRAP - VMEXIT_MISC2_FIRST))
#define INTERCEPT3_INVLPGB     INTERCEPT3(VMEXIT_INVLPGB)
#define INTERCEPT3_INVLPGB_ILL INTERCEPT3(VMEXIT_INVLPGB_ILLEGAL)
#define INTERCEPT3_INVPCID     INTERCEPT3(VMEXIT_INVPCID)
#define INTERCEPT3_MCOMMIT     INTERCEPT3(VMEXIT_MCOMMIT)
#define INTERCEPT3_TLBSYNC     INTERCEPT3(VMEXIT_TLBSYNC)
_Static_assert(INTERCEPT1_CR0_SEL_WRITE == 1u << 5,
	       "Table B-1: the selective CR0 write intercept is bit 5");
_Static_assert(INTERCEPT1_IOIO_PROT == 1u << 27 &&
	       INTERCEPT1_MSR_PROT == 1u << 28,
	       "Table B-1: IOIO_PROT is bit 27, MSR_PROT bit 28");
_Static_assert(INTERCEPT2_WRITE_TRAPS == 0xffff8000u, "write traps: bits 31:15");

/* tlb_control (VMCB 0x05c) */
#define TLB_CONTROL_DO_NOTHING      0
#define TLB_CONTROL_FLUSH_ALL       1
#define TLB_CONTROL_FLUSH_ASID      3
#define TLB_CONTROL_FLUSH_ASID_LOCAL 7

/* int_ctl (VMCB 0x060).  V_TPR is bits 7:0, but only 3:0 hold the 4-bit
 * TPR; 7:4 are SBZ. */
#define V_TPR_MASK          0xffu
#define V_TPR_BITS          0x0fu
#define V_IRQ               (1u << 8)
#define V_GIF               (1u << 9)
#define V_NMI_PENDING       (1u << 11)
#define V_NMI_BLOCKING      (1u << 12)
#define V_INTR_PRIO_SHIFT   16
#define V_INTR_PRIO_MASK    (0x0fu << V_INTR_PRIO_SHIFT)
#define V_IGN_TPR           (1u << 20)
#define V_INTR_MASKING      (1u << 24)
#define V_GIF_ENABLE        (1u << 25)
#define V_NMI_ENABLE        (1u << 26)
#define V_X2AVIC_ENABLE     (1u << 30)
#define V_AVIC_ENABLE       (1u << 31)

/* int_vector (VMCB 0x064): bits 7:0 only. */
#define INT_VECTOR_MASK     0xffu
/* int_state (VMCB 0x068): bit 0 interrupt shadow; bit 1 (GUEST_INTERRUPT_MASK)
 * is written by the CPU on #VMEXIT, never an input. */
#define INT_STATE_SHADOW    (1u << 0)
#define INT_STATE_GUEST_IF  (1u << 1)

/* misc_ctl (VMCB 0x090), APM Vol. 2 Table B-1 (docs/semantics.md §2.2) */
#define MISC_CTL_NP_ENABLE  (1ull << 0)
#define MISC_CTL_SEV        (1ull << 1)
#define MISC_CTL_SEV_ES     (1ull << 2)
#define MISC_CTL_GMET       (1ull << 3)
#define MISC_CTL_SSS_CHECK  (1ull << 4)
#define MISC_CTL_VTE        (1ull << 5)
#define MISC_CTL_RO_GPT     (1ull << 6)
#define MISC_CTL_INVLPGB    (1ull << 7)

/* clean (VMCB 0x0c0), APM Vol. 2 "VMCB Clean Bits": a set bit tells the CPU that
 * the fields of its group are unchanged since the last VMRUN of this VMCB
 * and it may use a cached copy; bits 31:12 are reserved. */
#define VMCB_CLEAN_INTERCEPTS (1u << 0)  /* intercept vectors, TSC offset, pause filter */
#define VMCB_CLEAN_IOPM       (1u << 1)  /* IOPM and MSRPM base addresses */
#define VMCB_CLEAN_ASID       (1u << 2)
#define VMCB_CLEAN_TPR        (1u << 3)  /* V_TPR, V_IRQ, V_INTR_*, V_IGN_TPR */
#define VMCB_CLEAN_NP         (1u << 4)  /* nested paging: nCR3, gPAT */
#define VMCB_CLEAN_CRX        (1u << 5)  /* CR0, CR3, CR4, EFER */
#define VMCB_CLEAN_DRX        (1u << 6)  /* DR6, DR7 */
#define VMCB_CLEAN_DT         (1u << 7)  /* GDT, IDT */
#define VMCB_CLEAN_SEG        (1u << 8)  /* CS, DS, SS, ES, CPL */
#define VMCB_CLEAN_CR2        (1u << 9)
#define VMCB_CLEAN_LBR        (1u << 10) /* DbgCtl, last branch/exception */
#define VMCB_CLEAN_AVIC       (1u << 11)
#define VMCB_CLEAN_ALL        0xfffu

/* virt_ext (VMCB 0x0b8) */
#define VIRT_EXT_LBR        (1ull << 0)
#define VIRT_EXT_VVMSAVE    (1ull << 1)

#endif
