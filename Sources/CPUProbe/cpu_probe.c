#include "cpu_probe.h"
#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>

int lmsweep_cpu_has_avx2_fma(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

int lmsweep_cpu_has_avx512(void) {
    __builtin_cpu_init();
    return lmsweep_cpu_has_avx2_fma() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
}

// 16 chains: FMA latency (4 cycles) × 2 FMA ports needs at least 8 in flight; 16 leaves slack.
// acc = acc·m + c converges to c/(1 − m), so no chain overflows however long it runs.
#define CHAINS(T, SET1, FMA, ADD, REDUCE)                                                   \
    const T m = SET1(0.999999f), c = SET1(1e-6f);                                          \
    T a0 = SET1(0.1f), a1 = SET1(0.2f), a2 = SET1(0.3f), a3 = SET1(0.4f);                  \
    T a4 = SET1(0.5f), a5 = SET1(0.6f), a6 = SET1(0.7f), a7 = SET1(0.8f);                  \
    T a8 = SET1(0.9f), a9 = SET1(1.0f), a10 = SET1(1.1f), a11 = SET1(1.2f);                \
    T a12 = SET1(1.3f), a13 = SET1(1.4f), a14 = SET1(1.5f), a15 = SET1(1.6f);              \
    for (long i = 0; i < iterations; i++) {                                                \
        a0 = FMA(a0, m, c); a1 = FMA(a1, m, c); a2 = FMA(a2, m, c); a3 = FMA(a3, m, c);    \
        a4 = FMA(a4, m, c); a5 = FMA(a5, m, c); a6 = FMA(a6, m, c); a7 = FMA(a7, m, c);    \
        a8 = FMA(a8, m, c); a9 = FMA(a9, m, c); a10 = FMA(a10, m, c); a11 = FMA(a11, m, c); \
        a12 = FMA(a12, m, c); a13 = FMA(a13, m, c); a14 = FMA(a14, m, c); a15 = FMA(a15, m, c); \
        __asm__ volatile("" : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(a3));                     \
    }                                                                                      \
    T s = ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7)));              \
    s = ADD(s, ADD(ADD(ADD(a8, a9), ADD(a10, a11)), ADD(ADD(a12, a13), ADD(a14, a15))));  \
    return REDUCE(s);

__attribute__((target("avx512f"))) static float chains_zmm(long iterations) {
    CHAINS(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, _mm512_reduce_add_ps)
}

__attribute__((target("avx2,fma"))) static float reduce_ymm(__m256 v) {
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    x = _mm_add_ss(x, _mm_shuffle_ps(x, x, 1));
    return _mm_cvtss_f32(x);
}

__attribute__((target("avx2,fma"))) static float chains_ymm(long iterations) {
    CHAINS(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, reduce_ymm)
}

float lmsweep_fma_chains_zmm(long iterations) { return lmsweep_cpu_has_avx512() ? chains_zmm(iterations) : NAN; }
float lmsweep_fma_chains_ymm(long iterations) { return lmsweep_cpu_has_avx2_fma() ? chains_ymm(iterations) : NAN; }

#else
int lmsweep_cpu_has_avx2_fma(void) { return 0; }
int lmsweep_cpu_has_avx512(void) { return 0; }
float lmsweep_fma_chains_zmm(long iterations) { (void)iterations; return NAN; }
float lmsweep_fma_chains_ymm(long iterations) { (void)iterations; return NAN; }
#endif
