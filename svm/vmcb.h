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

/* APM Vol. 2 §15.5.1: VMCB segment register (selector, attributes, limit,
 * base).  attrib packs descriptor bits 47:40 into 7:0 and 55:52 into 11:8. */
struct vmcb_seg {
	uint16_t selector;
	uint16_t attrib;
	uint32_t limit;
	uint64_t base;
} __attribute__((packed));
_Static_assert(sizeof(struct vmcb_seg) == 16, "vmcb_seg");

#define SEG_ATTR_TYPE(a) ((a) & 0xf)
#define SEG_ATTR_S     (1u << 4)
#define SEG_ATTR_DPL(a) (((a) >> 5) & 3)
#define SEG_ATTR_P     (1u << 7)
#define SEG_ATTR_L     (1u << 9)
#define SEG_ATTR_DB    (1u << 10)
#define SEG_ATTR_G     (1u << 11)

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
	uint32_t exit_int_info;       /* 0x088 */
	uint32_t exit_int_info_err;   /* 0x08c */
	uint64_t misc_ctl;            /* 0x090: MISC_CTL_* (NP, GMET, ...) */
	uint64_t avic_vapic_bar;      /* 0x098 */
	uint64_t ghcb_gpa;            /* 0x0a0 */
	uint32_t event_inj;           /* 0x0a8: EVTINJ_* */
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

/* intercept_misc1 (VMCB 0x00c) */
#define INTERCEPT1_INTR      (1u << 0)
#define INTERCEPT1_NMI       (1u << 1)
#define INTERCEPT1_SMI       (1u << 2)
#define INTERCEPT1_INIT      (1u << 3)
#define INTERCEPT1_VINTR     (1u << 4)
#define INTERCEPT1_RDTSC     (1u << 14)
#define INTERCEPT1_CPUID     (1u << 18)
#define INTERCEPT1_INVD      (1u << 22)
#define INTERCEPT1_HLT       (1u << 24)
#define INTERCEPT1_INVLPGA   (1u << 26)
#define INTERCEPT1_IOIO_PROT (1u << 27)
#define INTERCEPT1_MSR_PROT  (1u << 28)
#define INTERCEPT1_SHUTDOWN  (1u << 31)
/* intercept_misc2 (VMCB 0x010) */
#define INTERCEPT2_VMRUN     (1u << 0)
#define INTERCEPT2_VMMCALL   (1u << 1)
#define INTERCEPT2_VMLOAD    (1u << 2)
#define INTERCEPT2_VMSAVE    (1u << 3)
#define INTERCEPT2_STGI      (1u << 4)
#define INTERCEPT2_CLGI      (1u << 5)
#define INTERCEPT2_SKINIT    (1u << 6)
#define INTERCEPT2_RDTSCP    (1u << 7)
#define INTERCEPT2_XSETBV    (1u << 13)

#define TLB_CONTROL_DO_NOTHING      0
#define TLB_CONTROL_FLUSH_ALL       1
#define TLB_CONTROL_FLUSH_ASID      3
#define TLB_CONTROL_FLUSH_ASID_LOCAL 7

/* int_ctl (VMCB 0x060) */
#define V_TPR_MASK          0xffu
#define V_IRQ               (1u << 8)
#define V_GIF               (1u << 9)
#define V_INTR_PRIO_SHIFT   16
#define V_IGN_TPR           (1u << 20)
#define V_INTR_MASKING      (1u << 24)
#define V_GIF_ENABLE        (1u << 25)

/* misc_ctl (VMCB 0x090); docs/semantics.md §2.2 */
#define MISC_CTL_NP_ENABLE  (1ull << 0)
#define MISC_CTL_SEV        (1ull << 1)
#define MISC_CTL_SEV_ES     (1ull << 2)
#define MISC_CTL_GMET       (1ull << 3)

/* virt_ext (VMCB 0x0b8) */
#define VIRT_EXT_LBR        (1ull << 0)
#define VIRT_EXT_VVMSAVE    (1ull << 1)

/* EVENTINJ / EXITINTINFO, APM Vol. 2 §15.20 */
#define EVTINJ_VEC_MASK     0xffu
#define EVTINJ_TYPE_SHIFT   8
#define EVTINJ_TYPE_INTR    (0u << 8)
#define EVTINJ_TYPE_NMI     (2u << 8)
#define EVTINJ_TYPE_EXC     (3u << 8)
#define EVTINJ_TYPE_SOFT    (4u << 8)
#define EVTINJ_TYPE_MASK    (7u << 8)
#define EVTINJ_EV           (1u << 11)
#define EVTINJ_VALID        (1u << 31)

/* Exit codes, APM Vol. 2 Appendix C. */
#define VMEXIT_EXCP_BASE    0x040
#define VMEXIT_INTR         0x060
#define VMEXIT_NMI          0x061
#define VMEXIT_SMI          0x062
#define VMEXIT_INIT         0x063
#define VMEXIT_VINTR        0x064
#define VMEXIT_RDTSC        0x06e
#define VMEXIT_CPUID        0x072
#define VMEXIT_INVD         0x076
#define VMEXIT_PAUSE        0x077
#define VMEXIT_HLT          0x078
#define VMEXIT_INVLPG       0x079
#define VMEXIT_INVLPGA      0x07a
#define VMEXIT_IOIO         0x07b
#define VMEXIT_MSR          0x07c
#define VMEXIT_TASK_SWITCH  0x07d
#define VMEXIT_SHUTDOWN     0x07f
#define VMEXIT_VMRUN        0x080
#define VMEXIT_VMMCALL      0x081
#define VMEXIT_VMLOAD       0x082
#define VMEXIT_VMSAVE       0x083
#define VMEXIT_STGI         0x084
#define VMEXIT_CLGI         0x085
#define VMEXIT_SKINIT       0x086
#define VMEXIT_RDTSCP       0x087
#define VMEXIT_XSETBV       0x08d
#define VMEXIT_NPF          0x400
#define VMEXIT_INVALID      (~0ull)

/* IOIO exit_info_1, APM Vol. 2 §15.10.2 */
#define IOIO_TYPE_IN        (1u << 0)
#define IOIO_STR            (1u << 2)
#define IOIO_REP            (1u << 3)
#define IOIO_SZ8            (1u << 4)
#define IOIO_SZ16           (1u << 5)
#define IOIO_SZ32           (1u << 6)
#define IOIO_PORT_SHIFT     16

/* Exit codes are 64-bit, but QEMU TCG stores VMEXIT_INVALID as a 32-bit -1
 * (docs/semantics.md §10.3): accept both. */
static inline int vmexit_is_invalid(uint64_t code)
{
	return code == VMEXIT_INVALID || code == 0xffffffffull;
}

#endif
