/* crt0.S — entry of a native app: keeps what the roottask's STARTUP reply put in the registers, calls main, exits.
 * Start state (roottask policy, README.md): RSP → argc, argv[], 0, envp[], 0, auxv (the Linux layout);
 * RDI = CPU, RSI = UTCB address, RDX = number of CPUs; RFLAGS = 0x200. */

    .section .hedron.kind,"a",@progbits
    .asciz "native"

    .text
    .globl _start
    .type _start, @function
_start:
    xor %ebp, %ebp
    mov %edi, hrt_cpu(%rip)
    mov %rsi, hrt_utcb(%rip)
    mov %edx, hrt_cpus(%rip)
    mov (%rsp), %rdi            /* argc */
    lea 8(%rsp), %rsi           /* argv */
    lea 16(%rsp,%rdi,8), %rdx   /* envp: after argv's terminating 0 */
    and $-16, %rsp
    call main
    mov %eax, %edi
    call hrt_exit
    ud2
    .size _start, . - _start

    .section .note.GNU-stack,"",@progbits
