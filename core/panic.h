/* SPDX-License-Identifier: MIT */
/*
 * The end of the run when nestvisor finds a bug in itself: panic() logs
 * the formatted message, asks the "dump" hook to print what it knows
 * (svm/ installs one that prints the vCPU state and the exit ring), then
 * calls the "stop" hook (installed by boot/ and svm/: QEMU's isa-debug-exit,
 * or halt).  Before any hook is installed, panic() logs and halts with
 * interrupts disabled.  docs/architecture.md, "Hooks".
 */
#ifndef NV_CORE_PANIC_H
#define NV_CORE_PANIC_H

typedef void (*panic_dump_fn)(void *ctx);
typedef void (*panic_stop_fn)(void) __attribute__((noreturn));

/* Prints extra state after the message (ctx is passed back). */
void panic_set_dump(panic_dump_fn dump, void *ctx);
/* Ends the run; must not return. */
void panic_set_stop(panic_stop_fn stop);

/* Logs "PANIC: <message>", runs the dump hook, ends the run. */
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

/* A condition nestvisor relies on: when false, a panic that names the file,
 * the line and the condition.  (It replaces GNU-EFI's ASSERT in boot/ files
 * that include both.) */
#undef ASSERT
#define ASSERT(cond)                                                    \
	do {                                                            \
		if (__builtin_expect(!(cond), 0))                       \
			panic("assertion failed at %s:%d: %s", __FILE__, \
			      __LINE__, #cond);                         \
	} while (0)

#endif
