/* Issue #16, "our own GEMM, only if it wins": a register-blocked AVX-512 sgemm in the
 * GotoBLAS/BLIS style against OpenBLAS's cblas_sgemm at the study's linear-layer GEMM shapes
 * (rows = batch 64 · context 128 = 8192; qkv 128→384, out 128→128, ffn1 128→256, ffn2 256→128;
 * per layer y = x·Wᵀ, dx += dy·W, dW += dyᵀ·x), one thread. Built and run by
 * scripts/bench-own-gemm.sh; `own-gemm [ROUNDS]`.
 *
 * It first checks the kernel against cblas_sgemm on every study shape and on odd edge shapes
 * (every transpose pair, beta 0 / 1 / other, alpha ≠ 1), exiting 1 when the normwise relative
 * error max|ours − theirs| / max|theirs| exceeds 1e-4. It then alternates the two per shape for
 * ROUNDS rounds, each the best of 5 calls, and prints each shape's median GFLOP/s and the median
 * of the rounds' paired ratios (pairs taken seconds apart, so the shared machine's drift cancels).
 *
 * The kernel. Row-major C (m×n) = alpha·op(A)·op(B) + beta·C.
 * - Micro-kernel: MR×NR = 14×32 accumulators, 28 zmm registers, 2 more for the row of B and 1
 *   for the broadcast of A (31 of 32). Per k: 2 aligned loads of packed B, 14 broadcasts of A,
 *   28 FMAs. C is prefetched at the start and touched once per KC block, at the end (masked
 *   load, add, masked store; the masks handle the n edge without a scratch tile).
 * - B is packed per KC×NC block into NR-wide micro-panels (k-major, 32 floats per k, zero
 *   padded at the n edge), so the kernel reads it with aligned unit-stride loads. The packing
 *   also does op(B)'s transpose (the forward y = x·Wᵀ).
 * - A as it is (forward, dx) is not packed: the kernel broadcasts op(A)[i][k] from A's 14 rows
 *   in place. A transposed (dW = dyᵀ·x) is packed per MC×KC block into 14-high k-major slivers,
 *   reading dy row by row: read in place, its sliver columns at stride lda alias in L1 (qkv's dW
 *   measured 0.81× OpenBLAS so, 1.05× packed, in one 7-round run). The m edge (< 14 rows) is
 *   packed and runs a kernel instance of its own height.
 * - Loops: NC → KC (B block in L2) → MC → MR sliver (kept in L1) → NR panel (streamed from L2).
 *   KC = 384 fits a 384×384 B block (576 KiB) in the 4 MiB L2; a 14-row sliver of A is 7-21 KiB.
 * - Knobs, for experiments (-DNAME=value): MR, NV (NR = 16·NV), KC, MC, NC, PACK_AT, PREFETCH_C
 *   (k steps before the tile's end to prefetch C; 0 = at its start), JR_OUTER (the BLIS loop
 *   order). Measured here, none of 7×64, KC 192/256/512, NC 128, JR_OUTER or PREFETCH_C
 *   24/48/96 beat these defaults beyond the machine's noise; no C prefetch lost 5-15% on the
 *   forward. Tried and dropped: software prefetch of B 8/16 k steps ahead (no gain), and of the
 *   next K block's rows of dy and x into L2 between micro-kernel calls (dW lost 3-7%).
 */
#include <immintrin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { RowMajor = 101, NoTrans = 111, Trans = 112 };
void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc);
char *openblas_get_corename(void);

#ifndef MR
#define MR 14
#endif
#ifndef NV
#define NV 2 /* zmm vectors per row of the tile */
#endif
#define NR (16 * NV)
#ifndef KC
#define KC 384
#endif
#ifndef NC
#define NC 1536
#endif
#ifndef MC
#define MC (MR * 28) /* 392: a transposed A of up to 384 rows packs in one block */
#endif

#ifndef JR_OUTER
#define JR_OUTER 0
#endif
#ifndef PREFETCH_C
#define PREFETCH_C 0 /* k steps before the end of the tile; 0: at its start */
#endif
#ifndef PACK_AT
#define PACK_AT 1
#endif

/* The mask of the first `count` of a vector's 16 columns. */
static inline __mmask16 columns(int count) {
    return count >= 16 ? (__mmask16)0xffff : count <= 0 ? (__mmask16)0 : (__mmask16)((1u << count) - 1);
}

/* How the kernel merges its tile into C. */
enum { Overwrite, Accumulate, Scale };

/* One mr×NR tile (mr ≤ MR, a compile-time constant after inlining): acc = Σk op(A)[i][k]·Bp[k][j],
 * then C = alpha·acc (+ beta·C) through the column masks (the n edge). `a` points at op(A)[0][0]
 * of the sliver, op(A)[i][k] = a[i·rs + k·cs]; `b` is a packed micro-panel. */
static inline __attribute__((always_inline)) void micro(int kc, int mr, const float *a, long rs, long cs,
                                                        const float *b, float *c, long ldc, float alpha, float beta,
                                                        int mode, int nr) {
    __m512 acc[MR][NV];
#pragma GCC unroll 14
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 4
        for (int h = 0; h < NV; h++) acc[i][h] = _mm512_setzero_ps();
    /* C comes from L3 or memory (the forward's y is 4-12 MiB): ask for it PREFETCH_C k steps
     * before the end (0: at the start), so it is in L1 for the merge. */
#define PREFETCH_TILE()                                                                       \
    for (int i = 0; i < mr; i++)                                                              \
        for (int h = 0; h < NV; h++) _mm_prefetch((const char *)(c + i * ldc + 16 * h), _MM_HINT_T0)
#define STEP()                                                                                \
    do {                                                                                      \
        __m512 bv[NV];                                                                        \
        _Pragma("GCC unroll 4") for (int h = 0; h < NV; h++) bv[h] = _mm512_load_ps(b + 16 * h); \
        _Pragma("GCC unroll 14") for (int i = 0; i < mr; i++) {                               \
            __m512 ai = _mm512_set1_ps(a[i * rs]);                                            \
            _Pragma("GCC unroll 4") for (int h = 0; h < NV; h++) acc[i][h] = _mm512_fmadd_ps(ai, bv[h], acc[i][h]); \
        }                                                                                     \
        a += cs;                                                                              \
        b += NR;                                                                              \
    } while (0)
    int late = PREFETCH_C > 0 && kc > PREFETCH_C ? kc - PREFETCH_C : 0;
    if (!late) PREFETCH_TILE();
    int k = 0;
#pragma GCC unroll 2
    for (; k < late; k++) STEP();
    if (late) PREFETCH_TILE();
#pragma GCC unroll 2
    for (; k < kc; k++) STEP();
#undef STEP
#undef PREFETCH_TILE
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 14
    for (int i = 0; i < mr; i++) {
#pragma GCC unroll 4
        for (int h = 0; h < NV; h++) {
            float *ci = c + i * ldc + 16 * h;
            __mmask16 cols = columns(nr - 16 * h);
            __m512 r = _mm512_mul_ps(va, acc[i][h]);
            if (mode == Accumulate) r = _mm512_add_ps(r, _mm512_maskz_loadu_ps(cols, ci));
            else if (mode == Scale) r = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(cols, ci), r);
            _mm512_mask_storeu_ps(ci, cols, r);
        }
    }
}

/* The A layouts, each its own instance so the compiler folds the strides: rows of A as they
 * are (op(A) = A), columns of A as they are (op(A) = Aᵀ, 14 contiguous values per k), and a
 * packed sliver (k-major, MR per k) of any height for the m edge. */
static void micro_rows(int kc, const float *a, long lda, const float *b, float *c, long ldc, float alpha, float beta,
                       int mode, int nr) { micro(kc, MR, a, lda, 1, b, c, ldc, alpha, beta, mode, nr); }
static void micro_cols(int kc, const float *a, long lda, const float *b, float *c, long ldc, float alpha, float beta,
                       int mode, int nr) { micro(kc, MR, a, 1, lda, b, c, ldc, alpha, beta, mode, nr); }
static void micro_packed(int kc, int mr, const float *a, const float *b, float *c, long ldc, float alpha, float beta,
                         int mode, int nr) {
    switch (mr) { /* cases above MR are never taken */
#define CASE(h) case h: micro(kc, h < MR ? h : MR, a, 1, MR, b, c, ldc, alpha, beta, mode, nr); break;
        CASE(1) CASE(2) CASE(3) CASE(4) CASE(5) CASE(6) CASE(7) CASE(8) CASE(9) CASE(10) CASE(11) CASE(12) CASE(13)
        CASE(14)
#undef CASE
    }
}

/* Packs op(B)[k0..k0+kc)[n0..n0+nc) into NR-wide k-major micro-panels, zero padded in n. */
static void pack_b(int tb, const float *b, long ldb, int k0, int kc, int n0, int nc, float *out) {
    if (!tb) { /* row by row of B, so the source streams from memory in order */
        for (int k = 0; k < kc; k++) {
            const float *src = b + (long)(k0 + k) * ldb + n0;
            for (int j0 = 0; j0 < nc; j0 += NR)
                for (int h = 0; h < NV; h++)
                    _mm512_store_ps(out + (long)j0 * kc + k * NR + 16 * h,
                                    _mm512_maskz_loadu_ps(columns(nc - j0 - 16 * h), src + j0 + 16 * h));
        }
        return;
    }
    for (int j0 = 0; j0 < nc; j0 += NR) {
        int nr = nc - j0 < NR ? nc - j0 : NR;
        float *p = out + (long)j0 * kc;
        { /* op(B)[k][n] = B[n][k]: read each row of B along k, write down a column. */
            for (int j = 0; j < NR; j++) {
                if (j < nr) {
                    const float *src = b + (long)(n0 + j0 + j) * ldb + k0;
                    for (int k = 0; k < kc; k++) p[k * NR + j] = src[k];
                } else {
                    for (int k = 0; k < kc; k++) p[k * NR + j] = 0.0f;
                }
            }
        }
    }
}

/* Packs op(A)[0..mc)[0..kc) into MR-high slivers, k-major with stride MR. A transposed (`a` at
 * op(A)[0][0], rows of A along m) is read row by row, so it streams from memory in order and
 * its strided sliver columns (which alias in L1) are never read by the kernel. A as it is is
 * packed only for the m edge (`from` = the edge sliver's first row), as the kernel reads its
 * rows in place. */
static void pack_a(int ta, const float *a, long lda, int kc, int mc, int from, float *out) {
    if (ta) {
        for (int k = 0; k < kc; k++) {
            const float *row = a + (long)k * lda;
            for (int i0 = from; i0 < mc; i0 += MR) {
                __mmask16 rows = columns(mc - i0 < MR ? mc - i0 : MR);
                _mm512_mask_storeu_ps(out + (long)i0 * kc + k * MR, rows, _mm512_maskz_loadu_ps(rows, row + i0));
            }
        }
    } else {
        for (int i0 = from; i0 < mc; i0 += MR)
            for (int k = 0; k < kc; k++)
                for (int r = 0; r < MR && i0 + r < mc; r++) out[(long)i0 * kc + k * MR + r] = a[(long)(i0 + r) * lda + k];
    }
}

static float *bpack, *apack; /* KC × NC and MC × KC, 64-byte aligned, allocated once */

void own_sgemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
               float beta, float *c, int ldc) {
    if (!bpack) bpack = aligned_alloc(64, sizeof(float) * KC * NC);
    if (!apack) apack = aligned_alloc(64, sizeof(float) * ((MC + MR - 1) / MR) * MR * KC);
    if (k == 0 || alpha == 0.0f) { /* C = beta·C */
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) c[(long)i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[(long)i * ldc + j];
        return;
    }
    for (int n0 = 0; n0 < n; n0 += NC) {
        int nc = n - n0 < NC ? n - n0 : NC;
        for (int k0 = 0; k0 < k; k0 += KC) {
            int kc = k - k0 < KC ? k - k0 : KC;
            /* The first K block applies beta; later ones add to what it left. */
            float bt = k0 == 0 ? beta : 1.0f;
            int mode = bt == 0.0f ? Overwrite : bt == 1.0f ? Accumulate : Scale;
            pack_b(tb, b, ldb, k0, kc, n0, nc, bpack);
            for (int m0 = 0; m0 < m; m0 += MC) {
                int mc = m - m0 < MC ? m - m0 : MC;
                /* Pack the slivers that need it once per block: the m edge, and all of a transposed A. */
                const float *am = ta ? a + (long)k0 * lda + m0 : a + (long)m0 * lda + k0; /* op(A)[m0][k0] */
                int edge = mc / MR * MR;
                if (ta && PACK_AT) pack_a(ta, am, lda, kc, mc, 0, apack);
                else if (edge < mc) pack_a(ta, am, lda, kc, mc, edge, apack);
#if JR_OUTER
                for (int j0 = 0; j0 < nc; j0 += NR)
                    for (int i0 = 0; i0 < mc; i0 += MR) {
#else
                for (int i0 = 0; i0 < mc; i0 += MR)
                    for (int j0 = 0; j0 < nc; j0 += NR) {
#endif
                        int i = m0 + i0, mr = mc - i0 < MR ? mc - i0 : MR;
                        const float *ai = ta ? a + (long)k0 * lda + i : a + (long)i * lda + k0; /* op(A)[i][k0] */
                        int nr = nc - j0 < NR ? nc - j0 : NR;
                        const float *bp = bpack + (long)j0 * kc;
                        float *cij = c + (long)i * ldc + n0 + j0;
                        if (mr < MR || (ta && PACK_AT))
                            micro_packed(kc, mr, apack + (long)i0 * kc, bp, cij, ldc, alpha, bt, mode, nr);
                        else if (ta) micro_cols(kc, ai, lda, bp, cij, ldc, alpha, bt, mode, nr);
                        else micro_rows(kc, ai, lda, bp, cij, ldc, alpha, bt, mode, nr);
                    }
            }
        }
    }
}

/* ---- the benchmark ---- */

typedef struct { const char *name; int ta, tb, m, n, k; } Gemm;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *buffer(size_t count, unsigned seed) {
    float *p = aligned_alloc(64, ((count * sizeof(float) + 63) / 64) * 64);
    for (size_t i = 0; i < count; i++) p[i] = (float)(((i + seed) * 2654435761u) % 1000) / 1000.0f - 0.5f;
    return p;
}

typedef void (*Sgemm)(int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int);

static void blas(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
                 float beta, float *c, int ldc) {
    cblas_sgemm(RowMajor, ta ? Trans : NoTrans, tb ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/* Runs one call of each on the same inputs; returns max|ours − blas| / max|blas|. */
static double check(Gemm g, float alpha, float beta) {
    int lda = g.ta ? g.m : g.k, ldb = g.tb ? g.k : g.n;
    float *a = buffer((size_t)g.m * g.k, 1), *b = buffer((size_t)g.k * g.n, 7);
    float *c0 = buffer((size_t)g.m * g.n, 13), *c1 = malloc(sizeof(float) * g.m * g.n);
    memcpy(c1, c0, sizeof(float) * g.m * g.n);
    blas(g.ta, g.tb, g.m, g.n, g.k, alpha, a, lda, b, ldb, beta, c0, g.n);
    own_sgemm(g.ta, g.tb, g.m, g.n, g.k, alpha, a, lda, b, ldb, beta, c1, g.n);
    double diff = 0, scale = 0;
    for (size_t i = 0; i < (size_t)g.m * g.n; i++) {
        double d = fabs((double)c0[i] - c1[i]);
        if (!(d <= diff)) diff = d; /* catches NaN */
        if (fabs(c0[i]) > scale) scale = fabs(c0[i]);
    }
    free(a); free(b); free(c0); free(c1);
    return diff / (scale > 0 ? scale : 1);
}

/* Best of `passes` calls of `f` on g, in seconds (beta = 1, as the backward GEMMs accumulate). */
static double best(Sgemm f, Gemm g, float *a, float *b, float *c, int passes) {
    int lda = g.ta ? g.m : g.k, ldb = g.tb ? g.k : g.n;
    double fastest = 1e30;
    for (int p = 0; p < passes; p++) {
        double t0 = now();
        f(g.ta, g.tb, g.m, g.n, g.k, 1.0f, a, lda, b, ldb, 1.0f, c, g.n);
        double t = now() - t0;
        if (t < fastest) fastest = t;
    }
    return fastest;
}

static int by_value(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static double median(double *v, int n) {
    qsort(v, n, sizeof *v, by_value);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 5;
    if (rounds < 1 || rounds > 64) {
        fprintf(stderr, "own-gemm: ROUNDS must be an integer from 1 to 64, got '%s'\n", argv[1]);
        return 2;
    }
    const int rows = 64 * 128;
    struct { const char *name; int in, out; } layers[] = {{"qkv", 128, 384}, {"out", 128, 128},
                                                          {"ffn1", 128, 256}, {"ffn2", 256, 128}};
    enum { Shapes = 12 };
    Gemm shapes[Shapes];
    static char names[Shapes][32];
    for (int l = 0; l < 4; l++) {
        int in = layers[l].in, out = layers[l].out;
        snprintf(names[3 * l], 32, "%s y=x.W^T", layers[l].name);
        snprintf(names[3 * l + 1], 32, "%s dx+=dy.W", layers[l].name);
        snprintf(names[3 * l + 2], 32, "%s dW+=dy^T.x", layers[l].name);
        shapes[3 * l] = (Gemm){names[3 * l], 0, 1, rows, out, in};
        shapes[3 * l + 1] = (Gemm){names[3 * l + 1], 0, 0, rows, in, out};
        shapes[3 * l + 2] = (Gemm){names[3 * l + 2], 1, 0, out, in, rows};
    }

    /* Correctness: every study shape, then odd shapes through every edge path. */
    double worst = 0;
    for (int s = 0; s < Shapes; s++) {
        double e = check(shapes[s], 1.0f, 1.0f);
        if (!(e <= worst)) worst = e;
    }
    const int odd[][3] = {{1, 1, 1}, {13, 31, 7}, {14, 32, 1}, {15, 33, 385}, {29, 65, 400}, {100, 47, 769},
                          {337, 1600, 20}, {28, 1537, 3}};
    const float ab[][2] = {{1.0f, 1.0f}, {1.0f, 0.0f}, {-0.5f, 0.25f}, {2.0f, 1.0f}};
    for (size_t s = 0; s < sizeof odd / sizeof odd[0]; s++)
        for (int t = 0; t < 4; t++)
            for (int v = 0; v < 4; v++) {
                Gemm g = {"odd", t & 1, t >> 1, odd[s][0], odd[s][1], odd[s][2]};
                double e = check(g, ab[v][0], ab[v][1]);
                if (!(e <= worst)) worst = e;
                if (!(e <= 1e-4))
                    fprintf(stderr, "own-gemm: wrong result, m %d n %d k %d transA %d transB %d alpha %g beta %g: "
                            "relative error %.3g\n", g.m, g.n, g.k, g.ta, g.tb, ab[v][0], ab[v][1], e);
            }
    printf("correctness: max relative error vs cblas_sgemm %.2e over 12 study shapes and 128 edge cases "
           "(limit 1e-4)\n", worst);
    if (!(worst <= 1e-4)) { fprintf(stderr, "own-gemm: FAILED correctness check\n"); return 1; }

    /* Speed: alternate the two per shape and round, so both see the same machine. */
    static double rate[2][Shapes][64];
    for (int r = 0; r < rounds; r++)
        for (int s = 0; s < Shapes; s++) {
            Gemm g = shapes[s];
            float *a = buffer((size_t)g.m * g.k, 1), *b = buffer((size_t)g.k * g.n, 7), *c = buffer((size_t)g.m * g.n, 13);
            double flops = 2.0 * g.m * g.n * g.k;
            rate[0][s][r] = flops / best(blas, g, a, b, c, 5) / 1e9;
            rate[1][s][r] = flops / best(own_sgemm, g, a, b, c, 5) / 1e9;
            free(a); free(b); free(c);
        }
    printf("raw sgemm, one thread, median of %d alternated rounds (each the best of 5 passes), GFLOP/s;\n"
           "own/OpenBLAS is the median of the rounds' paired ratios\n", rounds);
    printf("own: %d×%d zmm micro-kernel, KC %d, MC %d, NC %d; OpenBLAS %s\n", MR, NR, KC, MC, NC,
           openblas_get_corename());
    printf("%-20s%6s%6s%6s%12s%12s%14s\n", "shape", "M", "N", "K", "OpenBLAS", "own", "own/OpenBLAS");
    double tb = 0, to = 0, tf = 0, lowest = 1e30;
    for (int s = 0; s < Shapes; s++) {
        double ratio[64];
        for (int r = 0; r < rounds; r++) ratio[r] = rate[1][s][r] / rate[0][s][r];
        double q = median(ratio, rounds);
        double x = median(rate[0][s], rounds), y = median(rate[1][s], rounds), f = 2.0 * shapes[s].m * shapes[s].n * shapes[s].k;
        printf("%-20s%6d%6d%6d%12.1f%12.1f%14.2f\n", shapes[s].name, shapes[s].m, shapes[s].n, shapes[s].k, x, y, q);
        if (q < lowest) lowest = q;
        tf += f; tb += f / x; to += f / y;
    }
    printf("%-38s%12.1f%12.1f%14.2f\n", "all 12, time-weighted (ratio of medians)", tf / tb, tf / to, tb / to);
    printf("lowest per-shape ratio: %.2f\n", lowest);
    printf("note: FMA peak on this machine, zmm chains, measured by `lmsweep bench`: 189 GFLOP/s per core\n");
    return 0;
}
