// What the CPU can run, and how fast it multiplies-adds: CPUID (with the OS's register-state
// support, via the compiler runtime) for the tensor core's choice of kernel form, and FMA
// chains at 256 and 512 bits for `lmsweep bench`'s measured ceiling.
#ifndef LMSWEEP_CPU_PROBE_H
#define LMSWEEP_CPU_PROBE_H

/// 1 when the CPU and OS support AVX2 and FMA.
int lmsweep_cpu_has_avx2_fma(void);
/// 1 when the CPU and OS support AVX-512 F, DQ, BW and VL (what LLVM's skylake-avx512 assumes).
int lmsweep_cpu_has_avx512(void);

/// Runs `iterations` rounds of 16 independent FMA chains on 512-bit (zmm) registers and
/// returns a value that depends on every chain (so nothing is optimised away). Each round is
/// 16 × 16 lanes × 2 = 512 FLOP. Returns NaN without running if the CPU lacks AVX-512.
float lmsweep_fma_chains_zmm(long iterations);
/// The same on 256-bit (ymm) registers: 16 × 8 × 2 = 256 FLOP per round. NaN without AVX2/FMA.
float lmsweep_fma_chains_ymm(long iterations);

#endif
