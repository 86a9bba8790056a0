/*
 * Matrix-product kernels for the wasm backend, compiled to a wasm module that imports the
 * backend's own memory, so they read and write tensors where they lie on its heap.
 *
 * Why not XNNPACK (which the backend already has): its GEMM packs the right operand into
 * panels on every call (tfjs hands it fresh [K, N] data with the transposed-weights flag), at
 * 20–40 ns per value. For a product whose right operand is as large as the work itself — a
 * filter gradient xᵀ·dy over every pixel of a batch, or ∂cos·W against 100k class centres —
 * packing costs more than the multiplications. These kernels read both operands in place:
 * the right operand a row of 8 columns at a time (two 128-bit loads, contiguous), the left
 * one a scalar per row broadcast, through arbitrary strides, so xᵀ needs no transpose either.
 *
 * Build: `pnpm --filter @arcface/backend build:native` (clang with the wasm32 target). No
 * stack, no data segments, no imports but the memory: the module writes only where told.
 *
 * Every exported function takes, last, a range [from, to) of its output's columns and
 * computes those alone, so that threads sharing the memory can each take a block of columns.
 */
#include <wasm_simd128.h>

/* Rows of the reduction per pass: a 4×8 tile's right-operand panel (KC × 8 floats, one or
 * two cache lines per row) stays in L1 while every row block of the left operand runs past
 * it. */
#define KC 256
/* Floats of the left operand per block (64 KB): see product(). */
#define A_BLOCK_FLOATS 16384

#define FMA(acc, x, y) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(x, y))

/* c[0:4, 0:8] (+)= a[0:4, 0:kc] · b[0:kc, 0:8] */
static inline void tile4x8(int kc, const float *a, int ars, int acs, const float *b, int ldb, float *c, int ldc, int load) {
  v128_t c00, c01, c10, c11, c20, c21, c30, c31;
  if (load) {
    c00 = wasm_v128_load(c); c01 = wasm_v128_load(c + 4);
    c10 = wasm_v128_load(c + ldc); c11 = wasm_v128_load(c + ldc + 4);
    c20 = wasm_v128_load(c + 2 * ldc); c21 = wasm_v128_load(c + 2 * ldc + 4);
    c30 = wasm_v128_load(c + 3 * ldc); c31 = wasm_v128_load(c + 3 * ldc + 4);
  } else {
    c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = wasm_f32x4_splat(0.0f);
  }
  const float *a0 = a, *a1 = a + ars, *a2 = a + 2 * ars, *a3 = a + 3 * ars;
  for (int k = 0; k < kc; ++k) {
    const v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
    v128_t x;
    x = wasm_f32x4_splat(*a0); FMA(c00, x, b0); FMA(c01, x, b1);
    x = wasm_f32x4_splat(*a1); FMA(c10, x, b0); FMA(c11, x, b1);
    x = wasm_f32x4_splat(*a2); FMA(c20, x, b0); FMA(c21, x, b1);
    x = wasm_f32x4_splat(*a3); FMA(c30, x, b0); FMA(c31, x, b1);
    a0 += acs; a1 += acs; a2 += acs; a3 += acs; b += ldb;
  }
  wasm_v128_store(c, c00); wasm_v128_store(c + 4, c01);
  wasm_v128_store(c + ldc, c10); wasm_v128_store(c + ldc + 4, c11);
  wasm_v128_store(c + 2 * ldc, c20); wasm_v128_store(c + 2 * ldc + 4, c21);
  wasm_v128_store(c + 3 * ldc, c30); wasm_v128_store(c + 3 * ldc + 4, c31);
}

/* One row: c[0, 0:8] (+)= a[0, 0:kc] · b[0:kc, 0:8] */
static inline void tile1x8(int kc, const float *a, int acs, const float *b, int ldb, float *c, int load) {
  v128_t c0 = load ? wasm_v128_load(c) : wasm_f32x4_splat(0.0f);
  v128_t c1 = load ? wasm_v128_load(c + 4) : wasm_f32x4_splat(0.0f);
  for (int k = 0; k < kc; ++k) {
    const v128_t x = wasm_f32x4_splat(*a);
    FMA(c0, x, wasm_v128_load(b)); FMA(c1, x, wasm_v128_load(b + 4));
    a += acs; b += ldb;
  }
  wasm_v128_store(c, c0); wasm_v128_store(c + 4, c1);
}

/* Fewer than 8 columns left: scalar. */
static void tile_narrow(int rows, int cols, int kc, const float *a, int ars, int acs, const float *b, int ldb, float *c, int ldc, int load) {
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < cols; ++j) {
      float s = load ? c[i * ldc + j] : 0.0f;
      const float *ai = a + i * ars;
      for (int k = 0; k < kc; ++k) s += ai[k * acs] * b[k * ldb + j];
      c[i * ldc + j] = s;
    }
  }
}

/*
 * c[0:m, n0:n1] (+)= a[0:m, 0:k] · b[0:k, n0:n1] with a(i, k) = a[i·ars + k·acs],
 * b(k, j) = b[k·ldb + j], c(i, j) = c[i·ldc + j]; accumulate = 0 overwrites c. (Operands as
 * scalars, not a struct: a struct passed by value would go through a stack in linear memory.)
 */
static void product(int m, int k, int n0, int n1, const float *a, int ars, int acs, const float *b, int ldb, float *c, int ldc, int accumulate) {
  if (k == 0 && !accumulate) {
    for (int i = 0; i < m; ++i)
      for (int j = n0; j < n1; ++j) c[i * ldc + j] = 0.0f;
  }
  for (int k0 = 0; k0 < k; k0 += KC) {
    const int kc = k - k0 < KC ? k - k0 : KC;
    const int load = accumulate || k0 > 0;
    const float *ak = a + k0 * acs, *bk = b + k0 * ldb;
    /* Rows per block: the block of a (rows × kc) stays in L2 while every column panel runs past
     * it, so that a tall a ([50176, 128] for a 1×1 input gradient) is read from memory once,
     * not once per 8 columns. */
    int rows = (A_BLOCK_FLOATS / kc) & ~3;
    if (rows < 4) rows = 4;
    for (int i0 = 0; i0 < m; i0 += rows) {
      const int i1 = m - i0 < rows ? m : i0 + rows;
      int j = n0;
      for (; j + 8 <= n1; j += 8) {
        int i = i0;
        for (; i + 4 <= i1; i += 4) tile4x8(kc, ak + i * ars, ars, acs, bk + j, ldb, c + i * ldc + j, ldc, load);
        for (; i < i1; ++i) tile1x8(kc, ak + i * ars, acs, bk + j, ldb, c + i * ldc + j, load);
      }
      if (j < n1) tile_narrow(i1 - i0, n1 - j, kc, ak + i0 * ars, ars, acs, bk + j, ldb, c + i0 * ldc + j, ldc, load);
    }
  }
}

/*
 * c = a·b (+ c when accumulate), c [m, n] row-major with row stride ldc, a(i, k) at
 * a[i * ars + k * acs] (a [m, k] row-major: ars = k, acs = 1; aᵀ of a [k, m]: ars = 1,
 * acs = m), b [k, n] with row stride ldb. Columns [n0, n1) only.
 */
__attribute__((export_name("gemm")))
void gemm(int m, int k, const float *a, int ars, int acs, const float *b, int ldb, float *c, int ldc, int accumulate, int n0, int n1) {
  product(m, k, n0, n1, a, ars, acs, b, ldb, c, ldc, accumulate);
}

/*
 * The filter gradient of a 2-D convolution (NHWC input x [batch, h, w, cin], output gradient
 * dy [batch, oh, ow, cout], filter gradient dw [kh, kw, cin, cout], overwritten):
 *   dw[p, q, ci, co] = Σ x[n, oy·sh + p·dh − top, ox·sw + q·dw − left, ci] · dy[n, oy, ox, co]
 * For one tap (p, q) and one output row, the valid ox form one run, along which x steps by
 * sw·cin and dy by cout: a product xᵀ·dy of cin × run × cout read in place, accumulated into
 * the tap's [cin, cout] block. Output columns [co0, co1) only.
 */
__attribute__((export_name("conv2d_filter_gradient")))
void conv2d_filter_gradient(const float *x, const float *dy, float *dw, int batch, int h, int w, int cin, int oh, int ow, int cout, int kh,
                            int kw, int sh, int sw, int dh, int dwid, int top, int left, int co0, int co1) {
  if (kh == 1 && kw == 1 && sh == 1 && sw == 1 && top == 0 && left == 0 && oh == h && ow == w) {
    /* A 1×1 convolution over every pixel: one product over all of them, not a run per row. */
    product(cin, batch * h * w, co0, co1, x, 1, cin, dy, cout, dw, cout, 0);
    return;
  }
  for (int t = 0; t < kh * kw; ++t)
    for (int ci = 0; ci < cin; ++ci)
      for (int co = co0; co < co1; ++co) dw[(t * cin + ci) * cout + co] = 0.0f;
  for (int n = 0; n < batch; ++n) {
    for (int oy = 0; oy < oh; ++oy) {
      const float *dyRow = dy + (n * oh + oy) * ow * cout;
      for (int p = 0; p < kh; ++p) {
        const int iy = oy * sh + p * dh - top;
        if (iy < 0 || iy >= h) continue;
        const float *xRow = x + (n * h + iy) * w * cin;
        for (int q = 0; q < kw; ++q) {
          /* ox with 0 ≤ ox·sw + q·dwid − left < w */
          const int shift = q * dwid - left;
          int ox0 = shift >= 0 ? 0 : (-shift + sw - 1) / sw;
          int ox1 = (w - 1 - shift) < 0 ? 0 : (w - 1 - shift) / sw + 1;
          if (ox1 > ow) ox1 = ow;
          if (ox0 >= ox1) continue;
          product(cin, ox1 - ox0, co0, co1, xRow + (ox0 * sw + shift) * cin, 1, sw * cin, dyRow + ox0 * cout, cout, dw + (p * kw + q) * cin * cout, cout, 1);
        }
      }
    }
  }
}
