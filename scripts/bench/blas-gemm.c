/* Raw sgemm at the study's GEMM shapes (batch 64, context 128, d 128, FFN 256, 4 heads): each
 * linear layer's forward and backward GEMMs, and one head's causal attention GEMMs in the row
 * blocks LMSweep issues them (32 rows). Built once per BLAS library by scripts/bench-blas.sh,
 * which alternates the builds; this program times one round and prints one line per shape:
 * name, FLOPs per call, best seconds of `reps` calls. One thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { RowMajor = 101, NoTrans = 111, Trans = 112 };
void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc);
#ifdef USE_BLIS
typedef int arch_t;
arch_t bli_arch_query_id(void);
const char *bli_arch_string(arch_t);
static const char *library(void) { static char s[64]; snprintf(s, sizeof s, "BLIS %s", bli_arch_string(bli_arch_query_id())); return s; }
#else
char *openblas_get_corename(void);
static const char *library(void) { static char s[64]; snprintf(s, sizeof s, "OpenBLAS %s", openblas_get_corename()); return s; }
#endif

typedef struct { int ta, tb, m, n, k; float beta; } Gemm;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *buffer(size_t count) {
    float *p = aligned_alloc(64, ((count * sizeof(float) + 63) / 64) * 64);
    for (size_t i = 0; i < count; i++) p[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
    return p;
}

/* Times `reps` passes over `calls`; returns the best pass of `rounds` in seconds. */
static double best(const Gemm *calls, int count, int reps, int rounds, double *flops) {
    size_t big = 0;
    for (int i = 0; i < count; i++) {
        size_t s = (size_t)calls[i].m * calls[i].k + (size_t)calls[i].k * calls[i].n + (size_t)calls[i].m * calls[i].n;
        if (s > big) big = s;
    }
    float *a = buffer(big), *b = buffer(big), *c = buffer(big);
    *flops = 0;
    for (int i = 0; i < count; i++) *flops += 2.0 * calls[i].m * calls[i].n * calls[i].k;
    *flops *= reps;
    double fastest = 1e30;
    for (int r = 0; r < rounds; r++) {
        double start = now();
        for (int rep = 0; rep < reps; rep++) {
            for (int i = 0; i < count; i++) {
                const Gemm g = calls[i];
                int lda = g.ta ? g.m : g.k, ldb = g.tb ? g.k : g.n;
                cblas_sgemm(RowMajor, g.ta ? Trans : NoTrans, g.tb ? Trans : NoTrans, g.m, g.n, g.k, 1.0f, a, lda, b, ldb,
                            g.beta, c, g.n);
            }
        }
        double t = now() - start;
        if (t < fastest) fastest = t;
    }
    free(a); free(b); free(c);
    return fastest;
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 5;
    const int rows = 64 * 128, d = 128, f = 256, T = 128, D = 32, block = 32;
    printf("library\t%s\n", library());
    struct { const char *name; int in, out; } layers[] = {{"linear qkv", d, 3 * d}, {"linear out", d, d},
                                                          {"linear ffn1", d, f}, {"linear ffn2", f, d}};
    for (int l = 0; l < 4; l++) {
        /* y = x·Wᵀ, dx += dy·W, dW += dyᵀ·x */
        Gemm calls[3] = {{0, 1, rows, layers[l].out, layers[l].in, 1}, {0, 0, rows, layers[l].in, layers[l].out, 1},
                         {1, 0, layers[l].out, layers[l].in, rows, 1}};
        double flops, s = best(calls, 3, 1, rounds, &flops);
        printf("%s\t%.0f\t%.6f\n", layers[l].name, flops, s);
    }
    Gemm attention[6 * (128 / 32)];
    int n = 0;
    for (int start = 0; start < T; start += block) {
        int r = (start + block < T ? start + block : T) - start, keys = start + r;
        attention[n++] = (Gemm){0, 1, r, keys, D, 0};       /* S = Q·Kᵀ */
        attention[n++] = (Gemm){0, 0, r, D, keys, 0};       /* O = P·V */
        attention[n++] = (Gemm){1, 0, r, D, T - start, 1};  /* dV += Pᵀ·dO */
        attention[n++] = (Gemm){0, 1, r, keys, D, 0};       /* dP = dO·Vᵀ */
        attention[n++] = (Gemm){0, 0, r, D, keys, 1};       /* dQ += dS·K */
        attention[n++] = (Gemm){1, 0, r, D, T - start, 1};  /* dK += dSᵀ·Q */
    }
    double flops, s = best(attention, n, 64, rounds, &flops);
    printf("attention GEMMs\t%.0f\t%.6f\n", flops, s);
    return 0;
}
