/*
 * Matrix-product and per-channel kernels for the wasm backend, compiled to a wasm module that
 * imports the backend's own memory, so they read and write tensors where they lie on its heap.
 *
 * Why not XNNPACK (which the backend already has): its GEMM packs the right operand into
 * panels on every call (tfjs hands it fresh [K, N] data with the transposed-weights flag), at
 * 20–40 ns per value. For a product whose right operand is as large as the work itself — a
 * filter gradient xᵀ·dy over every pixel of a batch, or ∂cos·W against 100k class centres —
 * packing costs more than the multiplications. These kernels read both operands in place:
 * the right operand a row of 8 columns at a time (two 128-bit loads, contiguous), the left
 * one a scalar per row broadcast, through arbitrary strides, so xᵀ needs no transpose either.
 *
 * Build: `pnpm --filter @arcface/backend build:native` (clang 16 or later with the wasm32 target). No
 * stack, no data segments, no imports but the memory: the module writes only where told.
 *
 * Every exported function takes, last, a range [from, to) of its output's columns (of its
 * rows, for the element-wise passes) and computes those alone, so that threads sharing the
 * memory can each take a block.
 */
#include <wasm_simd128.h>

/* Rows of the reduction per pass: a 4×8 tile's right-operand panel (KC × 8 floats, one or
 * two cache lines per row) stays in L1 while every row block of the left operand runs past
 * it. */
#define KC 256
/* Floats of the left operand per block (64 KB): see product(). */
#define A_BLOCK_FLOATS 16384

/*
 * acc += x·y. Built twice: with relaxed SIMD (-mrelaxed-simd) it is one relaxed_madd, which
 * V8 turns into a fused multiply-add where the CPU has one (1.5× the GEMM's throughput on an
 * AVX2 machine: the multiply and the add were each a full instruction with its own latency);
 * without, plain SIMD128 has only a multiply and an add. relaxed_madd may round once or
 * twice, by platform: either is within the tests' tolerance of the float64 sums.
 */
#ifdef __wasm_relaxed_simd__
#define FMA(acc, x, y) acc = wasm_f32x4_relaxed_madd(x, y, acc)
#else
#define FMA(acc, x, y) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(x, y))
#endif

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
 * Copies the full 8-column panels of b[0:kc, n0:n1] into `packed`, panel after panel, each
 * kc rows of 8 contiguous floats. Why: b's rows are often a power of two apart (512 floats =
 * 2 KB), and then a panel's kc rows fall into a handful of L1 sets and evict each other; packed,
 * the panel is 8 KB of consecutive lines that stay in L1 while every row tile runs past it.
 */
static void pack_panels(int kc, int n0, int n1, const float *b, int ldb, float *packed) {
  for (int j = n0; j + 8 <= n1; j += 8) {
    const float *src = b + j;
    for (int kk = 0; kk < kc; ++kk) {
      wasm_v128_store(packed, wasm_v128_load(src));
      wasm_v128_store(packed + 4, wasm_v128_load(src + 4));
      packed += 8;
      src += ldb;
    }
  }
}

/*
 * c[0:m, n0:n1] (+)= a[0:m, 0:k] · b[0:k, n0:n1] with a(i, k) = a[i·ars + k·acs],
 * b(k, j) = b[k·ldb + j], c(i, j) = c[i·ldc + j]; accumulate = 0 overwrites c. With `packed`
 * (room for min(k, KC)·(n1 − n0) floats, this call's alone) b's panels are packed first (see
 * pack_panels); null reads b in place. (Operands as scalars, not a struct: a struct passed by
 * value would go through a stack in linear memory.)
 */
static void product(int m, int k, int n0, int n1, const float *a, int ars, int acs, const float *b, int ldb, float *c, int ldc, int accumulate,
                    float *packed) {
  if (k == 0 && !accumulate) {
    for (int i = 0; i < m; ++i)
      for (int j = n0; j < n1; ++j) c[i * ldc + j] = 0.0f;
  }
  for (int k0 = 0; k0 < k; k0 += KC) {
    const int kc = k - k0 < KC ? k - k0 : KC;
    const int load = accumulate || k0 > 0;
    const float *ak = a + k0 * acs, *bk = b + k0 * ldb;
    if (packed) pack_panels(kc, n0, n1, bk, ldb, packed);
    /* Rows per block: the block of a (rows × kc) stays in L2 while every column panel runs past
     * it, so that a tall a ([50176, 128] for a 1×1 input gradient) is read from memory once,
     * not once per 8 columns. */
    int rows = (A_BLOCK_FLOATS / kc) & ~3;
    if (rows < 4) rows = 4;
    for (int i0 = 0; i0 < m; i0 += rows) {
      const int i1 = m - i0 < rows ? m : i0 + rows;
      int j = n0;
      for (; j + 8 <= n1; j += 8) {
        const float *panel = packed ? packed + (j - n0) * kc : bk + j;
        const int ldp = packed ? 8 : ldb;
        int i = i0;
        for (; i + 4 <= i1; i += 4) tile4x8(kc, ak + i * ars, ars, acs, panel, ldp, c + i * ldc + j, ldc, load);
        for (; i < i1; ++i) tile1x8(kc, ak + i * ars, acs, panel, ldp, c + i * ldc + j, load);
      }
      if (j < n1) tile_narrow(i1 - i0, n1 - j, kc, ak + i0 * ars, ars, acs, bk + j, ldb, c + i0 * ldc + j, ldc, load);
    }
  }
}

/*
 * c = a·b (+ c when accumulate), c [m, n] row-major with row stride ldc, a(i, k) at
 * a[i * ars + k * acs] (a [m, k] row-major: ars = k, acs = 1; aᵀ of a [k, m]: ars = 1,
 * acs = m), b [k, n] with row stride ldb. Columns [n0, n1) only. `scratch`: 0, or room for
 * min(k, KC)·n floats, of which the columns [n0, n1) use their own part.
 */
__attribute__((export_name("gemm")))
void gemm(int m, int k, const float *a, int ars, int acs, const float *b, int ldb, float *c, int ldc, int accumulate, float *scratch, int n0, int n1) {
  product(m, k, n0, n1, a, ars, acs, b, ldb, c, ldc, accumulate, scratch ? scratch + n0 * (k < KC ? k : KC) : 0);
}

/*
 * One filter tap's run along an output row: the ox in [run_start, run_end) whose input column
 * ox·sw + shift (shift = tap column·dilation − left padding) lies in [0, w). Shared by the
 * regular and the depthwise filter gradients.
 */
static inline int run_start(int shift, int sw) { return shift >= 0 ? 0 : (-shift + sw - 1) / sw; }

static inline int run_end(int shift, int sw, int w, int ow) {
  const int end = (w - 1 - shift) < 0 ? 0 : (w - 1 - shift) / sw + 1;
  return end > ow ? ow : end;
}

/*
 * The filter gradient of a 2-D convolution (NHWC input x [batch, h, w, cin], output gradient
 * dy [batch, oh, ow, cout], filter gradient dw [kh, kw, cin, cout], overwritten):
 *   dw[p, q, ci, co] = Σ x[n, oy·sh + p·dh − top, ox·sw + q·dw − left, ci] · dy[n, oy, ox, co]
 * For one tap (p, q) and one output row, the valid ox form one run, along which x steps by
 * sw·cin and dy by cout: a product xᵀ·dy of cin × run × cout read in place, accumulated into
 * the tap's [cin, cout] block. Output columns [co0, co1) only. `scratch` (min(pixels, KC)·cout
 * floats, or null) serves the 1×1 case.
 */
__attribute__((export_name("conv2d_filter_gradient")))
void conv2d_filter_gradient(const float *x, const float *dy, float *dw, float *scratch, int batch, int h, int w, int cin, int oh, int ow, int cout,
                            int kh, int kw, int sh, int sw, int dh, int dwid, int top, int left, int co0, int co1) {
  if (kh == 1 && kw == 1 && sh == 1 && sw == 1 && top == 0 && left == 0 && oh == h && ow == w) {
    /* A 1×1 convolution over every pixel: one product over all of them, not a run per row, with
     * dy packed (scratch: min(pixels, KC)·cout floats, as gemm's; its rows are cout floats apart,
     * often a power of two). Each column range packs into its own part of it, min(pixels, KC)
     * floats per column: offsetting by KC per column overran the scratch when a batch had fewer
     * than KC pixels (a MobileFaceNet's 7×7 layers at batch 4). */
    const int pixels = batch * h * w;
    product(cin, pixels, co0, co1, x, 1, cin, dy, cout, dw, cout, 0, scratch ? scratch + co0 * (pixels < KC ? pixels : KC) : 0);
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
          const int shift = q * dwid - left;
          const int ox0 = run_start(shift, sw), ox1 = run_end(shift, sw, w, ow);
          if (ox0 >= ox1) continue;
          product(cin, ox1 - ox0, co0, co1, xRow + (ox0 * sw + shift) * cin, 1, sw * cin, dyRow + ox0 * cout, cout, dw + (p * kw + q) * cin * cout, cout, 1, 0);
        }
      }
    }
  }
}

/*
 * Per-channel work over an NHWC tensor seen as [rows, cols] (cols = channels, or any trailing
 * size): the channel-wise passes that tfjs otherwise makes as several element-wise kernels,
 * each with an activation-sized temporary, or that JavaScript loops make at 3–5 ns a value.
 */

/* out[r, c] = x[r, c]·k[c] + shift[c] for rows [r0, r1): batch norm with its statistics folded
 * into k and shift. Element-wise passes split their rows among threads: each thread then
 * streams one contiguous block (split by columns, two threads streamed half-rows at 6 GB/s). */
__attribute__((export_name("channel_affine")))
void channel_affine(const float *x, const float *k, const float *shift, float *out, int cols, int r0, int r1) {
  for (int r = r0; r < r1; ++r) {
    const float *xr = x + r * cols;
    float *o = out + r * cols;
    int c = 0;
    for (; c + 4 <= cols; c += 4)
      wasm_v128_store(o + c, wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(xr + c), wasm_v128_load(k + c)), wasm_v128_load(shift + c)));
    for (; c < cols; ++c) o[c] = xr[c] * k[c] + shift[c];
  }
}

/* ∂L/∂x of PReLU for rows [r0, r1): dy where x > 0, else dy·alpha[c] (tfjs' formula:
 * where(x > 0, dy, dy·alpha)). */
__attribute__((export_name("prelu_input_gradient")))
void prelu_input_gradient(const float *x, const float *alpha, const float *dy, float *out, int cols, int r0, int r1) {
  const v128_t zero = wasm_f32x4_splat(0.0f), one = wasm_f32x4_splat(1.0f);
  for (int r = r0; r < r1; ++r) {
    const float *xr = x + r * cols, *g = dy + r * cols;
    float *o = out + r * cols;
    int c = 0;
    for (; c + 4 <= cols; c += 4) {
      const v128_t slope = wasm_v128_bitselect(one, wasm_v128_load(alpha + c), wasm_f32x4_gt(wasm_v128_load(xr + c), zero));
      wasm_v128_store(o + c, wasm_f32x4_mul(wasm_v128_load(g + c), slope));
    }
    for (; c < cols; ++c) o[c] = xr[c] > 0.0f ? g[c] : g[c] * alpha[c];
  }
}

/* Adds 4 float products to two float64 accumulators. */
#define ACCUMULATE64(lo, hi, v) \
  do { \
    const v128_t v_ = (v); \
    lo = wasm_f64x2_add(lo, wasm_f64x2_promote_low_f32x4(v_)); \
    hi = wasm_f64x2_add(hi, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v_, v_, 2, 3, 0, 1))); \
  } while (0)

/*
 * out[c] = scale · Σ_r term(r, c) in float64 for columns [c0, c1), where term is x[r, c]
 * (slope = 0) or min(x[r, c], 0)·dy[r, c] (slope = 1: PReLU's ∂L/∂alpha). Sixteen columns
 * at a time, every row in turn: each cache line of the inputs is read once, and the sixteen
 * float64 sums stay in registers.
 */
static void column_reduce(const float *x, const float *dy, int slope, float *out, int rows, int cols, double scale, int c0, int c1) {
  const v128_t zero = wasm_f32x4_splat(0.0f);
  int c = c0;
  for (; c + 16 <= c1; c += 16) {
    v128_t s0 = wasm_f64x2_splat(0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    for (int r = 0; r < rows; ++r) {
      const float *xr = x + r * cols + c;
      v128_t v0 = wasm_v128_load(xr), v1 = wasm_v128_load(xr + 4), v2 = wasm_v128_load(xr + 8), v3 = wasm_v128_load(xr + 12);
      if (slope) {
        const float *g = dy + r * cols + c;
        v0 = wasm_f32x4_mul(wasm_f32x4_min(v0, zero), wasm_v128_load(g));
        v1 = wasm_f32x4_mul(wasm_f32x4_min(v1, zero), wasm_v128_load(g + 4));
        v2 = wasm_f32x4_mul(wasm_f32x4_min(v2, zero), wasm_v128_load(g + 8));
        v3 = wasm_f32x4_mul(wasm_f32x4_min(v3, zero), wasm_v128_load(g + 12));
      }
      ACCUMULATE64(s0, s1, v0);
      ACCUMULATE64(s2, s3, v1);
      ACCUMULATE64(s4, s5, v2);
      ACCUMULATE64(s6, s7, v3);
    }
    const v128_t sums[8] = {s0, s1, s2, s3, s4, s5, s6, s7};
    for (int i = 0; i < 8; ++i) {
      out[c + 2 * i] = (float)(wasm_f64x2_extract_lane(sums[i], 0) * scale);
      out[c + 2 * i + 1] = (float)(wasm_f64x2_extract_lane(sums[i], 1) * scale);
    }
  }
  for (; c < c1; ++c) {
    double s = 0;
    for (int r = 0; r < rows; ++r) {
      const float v = x[r * cols + c];
      s += slope ? (double)((v < 0.0f ? v : 0.0f) * dy[r * cols + c]) : (double)v;
    }
    out[c] = (float)(s * scale);
  }
}

/* out[c] = Σ_r x[r, c] / divisor (tf.sum: 1, tf.mean: rows; an integer, as every argument
 * crosses to worker threads as an Int32). */
__attribute__((export_name("column_sums")))
void column_sums(const float *x, float *out, int rows, int cols, int divisor, int c0, int c1) {
  column_reduce(x, 0, 0, out, rows, cols, 1.0 / divisor, c0, c1);
}

/* ∂L/∂alpha of PReLU: Σ_r min(x[r, c], 0)·dy[r, c]. */
__attribute__((export_name("prelu_slope_gradient")))
void prelu_slope_gradient(const float *x, const float *dy, float *out, int rows, int cols, int c0, int c1) {
  column_reduce(x, dy, 1, out, rows, cols, 1.0, c0, c1);
}

/*
 * The filter gradient of a depthwise convolution with channel multiplier 1 (x [batch, h, w,
 * ch], dy [batch, oh, ow, ch], dw [kh, kw, ch], overwritten):
 *   dw[p, q, c] = Σ x[n, oy·sh + p·dh − top, ox·sw + q·dwid − left, c] · dy[n, oy, ox, c]
 * Per tap and output row, one run over the valid ox, sixteen channels at a time in registers.
 */
__attribute__((export_name("depthwise_filter_gradient")))
void depthwise_filter_gradient(const float *x, const float *dy, float *dw, int batch, int h, int w, int ch, int oh, int ow, int kh, int kw, int sh,
                               int sw, int dh, int dwid, int top, int left, int c0, int c1) {
  for (int t = 0; t < kh * kw; ++t)
    for (int c = c0; c < c1; ++c) dw[t * ch + c] = 0.0f;
  const int xs = sw * ch;
  for (int n = 0; n < batch; ++n) {
    for (int oy = 0; oy < oh; ++oy) {
      const float *dyRow = dy + (n * oh + oy) * ow * ch;
      for (int p = 0; p < kh; ++p) {
        const int iy = oy * sh + p * dh - top;
        if (iy < 0 || iy >= h) continue;
        const float *xRow = x + (n * h + iy) * w * ch;
        for (int q = 0; q < kw; ++q) {
          const int shift = q * dwid - left;
          const int ox0 = run_start(shift, sw), ox1 = run_end(shift, sw, w, ow);
          if (ox0 >= ox1) continue;
          const float *xs0 = xRow + (ox0 * sw + shift) * ch, *g0 = dyRow + ox0 * ch;
          float *d = dw + (p * kw + q) * ch;
          int c = c0;
          for (; c + 16 <= c1; c += 16) {
            v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
            const float *xp = xs0 + c, *gp = g0 + c;
            for (int ox = ox0; ox < ox1; ++ox) {
              FMA(a0, wasm_v128_load(xp), wasm_v128_load(gp));
              FMA(a1, wasm_v128_load(xp + 4), wasm_v128_load(gp + 4));
              FMA(a2, wasm_v128_load(xp + 8), wasm_v128_load(gp + 8));
              FMA(a3, wasm_v128_load(xp + 12), wasm_v128_load(gp + 12));
              xp += xs; gp += ch;
            }
            wasm_v128_store(d + c, wasm_f32x4_add(wasm_v128_load(d + c), a0));
            wasm_v128_store(d + c + 4, wasm_f32x4_add(wasm_v128_load(d + c + 4), a1));
            wasm_v128_store(d + c + 8, wasm_f32x4_add(wasm_v128_load(d + c + 8), a2));
            wasm_v128_store(d + c + 12, wasm_f32x4_add(wasm_v128_load(d + c + 12), a3));
          }
          for (; c < c1; ++c) {
            float s = 0.0f;
            const float *xp = xs0 + c, *gp = g0 + c;
            for (int ox = ox0; ox < ox1; ++ox, xp += xs, gp += ch) s += *xp * *gp;
            d[c] += s;
          }
        }
      }
    }
  }
}

/*
 * Batch norm's backward in two passes instead of about nine element-wise kernels:
 *   sums (this pass): Σ_r dy[r, c] and Σ_r dy[r, c]·(x[r, c] − mean[c]), float64, into
 *     sums[c] and sums[cols + c], eight columns at a time;
 *   apply (the next): dx = dy·k + x·p + q with per-channel k, p, q from those sums.
 */
__attribute__((export_name("batch_norm_gradient_sums")))
void batch_norm_gradient_sums(const float *x, const float *mean, const float *dy, float *sums, int rows, int cols, int c0, int c1) {
  int c = c0;
  for (; c + 8 <= c1; c += 8) {
    v128_t d0 = wasm_f64x2_splat(0), d1 = d0, d2 = d0, d3 = d0, e0 = d0, e1 = d0, e2 = d0, e3 = d0;
    const v128_t m0 = wasm_v128_load(mean + c), m1 = wasm_v128_load(mean + c + 4);
    for (int r = 0; r < rows; ++r) {
      const float *xr = x + r * cols + c, *g = dy + r * cols + c;
      const v128_t g0 = wasm_v128_load(g), g1 = wasm_v128_load(g + 4);
      ACCUMULATE64(d0, d1, g0);
      ACCUMULATE64(d2, d3, g1);
      ACCUMULATE64(e0, e1, wasm_f32x4_mul(g0, wasm_f32x4_sub(wasm_v128_load(xr), m0)));
      ACCUMULATE64(e2, e3, wasm_f32x4_mul(g1, wasm_f32x4_sub(wasm_v128_load(xr + 4), m1)));
    }
    /* ACCUMULATE64 pairs lanes (0, 1) and (2, 3) */
    sums[c] = (float)wasm_f64x2_extract_lane(d0, 0); sums[c + 1] = (float)wasm_f64x2_extract_lane(d0, 1);
    sums[c + 2] = (float)wasm_f64x2_extract_lane(d1, 0); sums[c + 3] = (float)wasm_f64x2_extract_lane(d1, 1);
    sums[c + 4] = (float)wasm_f64x2_extract_lane(d2, 0); sums[c + 5] = (float)wasm_f64x2_extract_lane(d2, 1);
    sums[c + 6] = (float)wasm_f64x2_extract_lane(d3, 0); sums[c + 7] = (float)wasm_f64x2_extract_lane(d3, 1);
    float *s = sums + cols + c;
    s[0] = (float)wasm_f64x2_extract_lane(e0, 0); s[1] = (float)wasm_f64x2_extract_lane(e0, 1);
    s[2] = (float)wasm_f64x2_extract_lane(e1, 0); s[3] = (float)wasm_f64x2_extract_lane(e1, 1);
    s[4] = (float)wasm_f64x2_extract_lane(e2, 0); s[5] = (float)wasm_f64x2_extract_lane(e2, 1);
    s[6] = (float)wasm_f64x2_extract_lane(e3, 0); s[7] = (float)wasm_f64x2_extract_lane(e3, 1);
  }
  for (; c < c1; ++c) {
    double d = 0, e = 0;
    for (int r = 0; r < rows; ++r) {
      const float g = dy[r * cols + c];
      d += g;
      e += (double)(g * (x[r * cols + c] - mean[c]));
    }
    sums[c] = (float)d;
    sums[cols + c] = (float)e;
  }
}

/* dx[r, c] = dy[r, c]·k[c] + x[r, c]·p[c] + q[c] for rows [r0, r1). */
__attribute__((export_name("batch_norm_gradient_apply")))
void batch_norm_gradient_apply(const float *x, const float *dy, const float *k, const float *p, const float *q, float *dx, int cols, int r0, int r1) {
  for (int r = r0; r < r1; ++r) {
    const float *xr = x + r * cols, *g = dy + r * cols;
    float *o = dx + r * cols;
    int c = 0;
    for (; c + 4 <= cols; c += 4) {
      const v128_t v = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(g + c), wasm_v128_load(k + c)), wasm_f32x4_mul(wasm_v128_load(xr + c), wasm_v128_load(p + c)));
      wasm_v128_store(o + c, wasm_f32x4_add(v, wasm_v128_load(q + c)));
    }
    for (; c < cols; ++c) o[c] = g[c] * k[c] + xr[c] * p[c] + q[c];
  }
}

/* Σ_c a[c]·b[c] over one row: products in float32 (as tfjs' own ops), their sum in float64. */
static double row_dot(const float *a, const float *b, int cols) {
  v128_t lo = wasm_f64x2_splat(0), hi = lo;
  int c = 0;
  for (; c + 4 <= cols; c += 4) ACCUMULATE64(lo, hi, wasm_f32x4_mul(wasm_v128_load(a + c), wasm_v128_load(b + c)));
  double s = wasm_f64x2_extract_lane(lo, 0) + wasm_f64x2_extract_lane(lo, 1) + wasm_f64x2_extract_lane(hi, 0) + wasm_f64x2_extract_lane(hi, 1);
  for (; c < cols; ++c) s += (double)(a[c] * b[c]);
  return s;
}

/* Smallest squared norm divided by: x / max(‖x‖, 1e-12), as @arcface/core's l2Normalize. */
#define MIN_SQUARED_NORM 1e-24

/*
 * Unit rows of x [rows, cols] in one pass per row, for rows [r0, r1): with q = Σ x²,
 * inverse[r] = 1 / √max(q, 1e-24), unit = x·inverse[r], unclamped[r] = (q > 1e-24) and
 * norm[r] = √q. Composed of tfjs ops this was square, sum, maximum, rsqrt, multiply, greater,
 * cast and sqrt, three of them over the whole matrix.
 */
__attribute__((export_name("row_normalize")))
void row_normalize(const float *x, float *unit, float *inverse, float *unclamped, float *norm, int cols, int r0, int r1) {
  for (int r = r0; r < r1; ++r) {
    const float *xr = x + r * cols;
    float *u = unit + r * cols;
    const double q = row_dot(xr, xr, cols);
    const float f = (float)(1.0 / __builtin_sqrt(q > MIN_SQUARED_NORM ? q : MIN_SQUARED_NORM));
    const v128_t fv = wasm_f32x4_splat(f);
    int c = 0;
    for (; c + 4 <= cols; c += 4) wasm_v128_store(u + c, wasm_f32x4_mul(wasm_v128_load(xr + c), fv));
    for (; c < cols; ++c) u[c] = xr[c] * f;
    inverse[r] = f;
    unclamped[r] = q > MIN_SQUARED_NORM ? 1.0f : 0.0f;
    norm[r] = (float)__builtin_sqrt(q);
  }
}

/*
 * The gradient through that normalisation, scaled, for rows [r0, r1): with g the gradient
 * with respect to the unit rows, dx = scale·inverse[r]·(g − unit·(unit·g)·unclamped[r]) (the
 * projection onto the sphere's tangent plane; a clamped row is linear in x). `scale` points
 * at one float: a loss's dy·s/B, applied here rather than in a pass of its own.
 */
__attribute__((export_name("row_normalize_gradient")))
void row_normalize_gradient(const float *unit, const float *inverse, const float *unclamped, const float *g, const float *scale, float *dx, int cols,
                            int r0, int r1) {
  for (int r = r0; r < r1; ++r) {
    const float *u = unit + r * cols, *gr = g + r * cols;
    float *o = dx + r * cols;
    const v128_t projection = wasm_f32x4_splat((float)(row_dot(u, gr, cols) * unclamped[r]));
    const v128_t f = wasm_f32x4_splat(scale[0] * inverse[r]);
    int c = 0;
    for (; c + 4 <= cols; c += 4) {
      const v128_t tangent = wasm_f32x4_sub(wasm_v128_load(gr + c), wasm_f32x4_mul(wasm_v128_load(u + c), projection));
      wasm_v128_store(o + c, wasm_f32x4_mul(tangent, f));
    }
    const float p = wasm_f32x4_extract_lane(projection, 0), fs = wasm_f32x4_extract_lane(f, 0);
    for (; c < cols; ++c) o[c] = (gr[c] - u[c] * p) * fs;
  }
}

/* Adds 4 floats to two float64 accumulators of their sum and two of their squares (squared in float64, exact). */
#define MOMENTS64(s_lo, s_hi, q_lo, q_hi, v) \
  do { \
    const v128_t v_ = (v); \
    const v128_t a_ = wasm_f64x2_promote_low_f32x4(v_), b_ = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v_, v_, 2, 3, 0, 1)); \
    s_lo = wasm_f64x2_add(s_lo, a_); \
    s_hi = wasm_f64x2_add(s_hi, b_); \
    q_lo = wasm_f64x2_add(q_lo, wasm_f64x2_mul(a_, a_)); \
    q_hi = wasm_f64x2_add(q_hi, wasm_f64x2_mul(b_, b_)); \
  } while (0)

/* mean = s/n and the biased variance q/n − mean² (never below 0) from float64 sums, as float32. */
static inline void store_moments(double s, double q, int rows, float *mean, float *variance) {
  const double m = s / rows, v = q / rows - m * m;
  *mean = (float)m;
  *variance = (float)(v > 0 ? v : 0);
}

/*
 * Batch statistics of x [rows, cols] per column, for columns [c0, c1): out[c] = mean and
 * out[cols + c] = biased variance, from Σx and Σx² in float64 in one pass over x (float32
 * inputs squared in float64 are exact, so E[x²] − E[x]² loses nothing that matters unless
 * |mean| exceeds the deviation a million-fold). tfjs makes three passes (mean, squared
 * difference, mean) with a full-size temporary.
 */
__attribute__((export_name("column_moments")))
void column_moments(const float *x, float *out, int rows, int cols, int c0, int c1) {
  int c = c0;
  for (; c + 8 <= c1; c += 8) {
    v128_t s0 = wasm_f64x2_splat(0), s1 = s0, s2 = s0, s3 = s0, q0 = s0, q1 = s0, q2 = s0, q3 = s0;
    for (int r = 0; r < rows; ++r) {
      const float *xr = x + r * cols + c;
      MOMENTS64(s0, s1, q0, q1, wasm_v128_load(xr));
      MOMENTS64(s2, s3, q2, q3, wasm_v128_load(xr + 4));
    }
    /* MOMENTS64 pairs lanes (0, 1) into the first accumulator and (2, 3) into the second. */
    const v128_t sums[4] = {s0, s1, s2, s3}, squares[4] = {q0, q1, q2, q3};
    for (int i = 0; i < 4; ++i) {
      store_moments(wasm_f64x2_extract_lane(sums[i], 0), wasm_f64x2_extract_lane(squares[i], 0), rows, out + c + 2 * i, out + cols + c + 2 * i);
      store_moments(wasm_f64x2_extract_lane(sums[i], 1), wasm_f64x2_extract_lane(squares[i], 1), rows, out + c + 2 * i + 1, out + cols + c + 2 * i + 1);
    }
  }
  for (; c < c1; ++c) {
    double s = 0, q = 0;
    for (int r = 0; r < rows; ++r) {
      const double v = x[r * cols + c];
      s += v;
      q += v * v;
    }
    store_moments(s, q, rows, out + c, out + cols + c);
  }
}

/*
 * c[i, j] += Σ_k a[i·ars + k]·bt[j·k_ + k] for i < rows, j < cols: fewer than 8 output columns
 * (a stem's input gradient has 3) as dot products along k, four lanes at a time, instead of
 * tile_narrow's scalar loop. bt holds the columns transposed, each k floats long.
 */
static void row_dots(int rows, int cols, int k, const float *a, int ars, const float *bt, float *c, int ldc) {
  for (int i = 0; i < rows; ++i) {
    const float *ai = a + i * ars;
    for (int j = 0; j < cols; ++j) {
      const float *bj = bt + j * k;
      v128_t acc = wasm_f32x4_splat(0.0f);
      int kk = 0;
      for (; kk + 4 <= k; kk += 4) FMA(acc, wasm_v128_load(ai + kk), wasm_v128_load(bj + kk));
      float s = wasm_f32x4_extract_lane(acc, 0) + wasm_f32x4_extract_lane(acc, 1) + wasm_f32x4_extract_lane(acc, 2) + wasm_f32x4_extract_lane(acc, 3);
      for (; kk < k; ++kk) s += ai[kk] * bj[kk];
      c[i * ldc + j] += s;
    }
  }
}

/*
 * out[r, c] = prelu(out[r, c] + bias[c], slope[c]) for columns [co0, co1); bias or slope may be
 * null. Branch-free, four columns at a time: activation signs are random, and a branch on them
 * costs a misprediction every other value.
 */
static void finish_rows(float *out, int rows, int cout, int co0, int co1, const float *bias, const float *slope) {
  const v128_t zero = wasm_f32x4_splat(0.0f), one = wasm_f32x4_splat(1.0f);
  for (int r = 0; r < rows; ++r) {
    float *o = out + r * cout;
    int co = co0;
    for (; co + 4 <= co1; co += 4) {
      v128_t v = wasm_v128_load(o + co);
      if (bias) v = wasm_f32x4_add(v, wasm_v128_load(bias + co));
      if (slope) v = wasm_f32x4_mul(v, wasm_v128_bitselect(one, wasm_v128_load(slope + co), wasm_f32x4_gt(v, zero)));
      wasm_v128_store(o + co, v);
    }
    for (; co < co1; ++co) {
      float v = o[co] + (bias ? bias[co] : 0.0f);
      if (slope) v *= v > 0.0f ? 1.0f : slope[co];
      o[co] = v;
    }
  }
}

/*
 * A 2-D convolution, NHWC (x [batch, h, w, cin], filter [kh, kw, cin, cout], out [batch, oh,
 * ow, cout]), with a bias and a PReLU slope per output channel (either may be null; a slope of
 * 0 is ReLU), output columns [co0, co1). XNNPACK's convolution has no fused multiply-add in
 * the tfjs build; this one runs on the relaxed-SIMD tiles where the engine has them.
 *
 * The filter's columns [co0, co1) are packed first, tap by tap and KC rows at a time, into
 * `packed` (scratch of the filter's size, kh·kw·cin·cout floats, of which this call uses the
 * part at co0·kh·kw·cin), 8-column
 * panels as pack_panels makes them. Then, output row by output row, every tap adds xᵀ-run ·
 * panel into the row: for a tap (p, q) the valid ox form one run along which x steps by
 * sw·cin. The row (ow × 8 columns per panel) stays in L1 across the taps, and is finished
 * (bias, slope) before the next.
 */
__attribute__((export_name("conv2d_forward")))
void conv2d_forward(const float *x, const float *filter, const float *bias, const float *slope, float *out, float *packed, int batch, int h, int w,
                    int cin, int oh, int ow, int cout, int kh, int kw, int sh, int sw, int dh, int dwid, int top, int left, int co0, int co1) {
  if (kh == 1 && kw == 1 && sh == 1 && sw == 1 && top == 0 && left == 0 && oh == h && ow == w) {
    /* A 1×1 convolution over every pixel: one product over all of them (M = batch·h·w), not
     * one per output row (M = w, as little as 7: mostly edge tiles). */
    const int pixels = batch * h * w;
    product(pixels, cin, co0, co1, x, cin, 1, filter, cout, out, cout, 0, packed + co0 * (cin < KC ? cin : KC));
    if (bias || slope) finish_rows(out, pixels, cout, co0, co1, bias, slope);
    return;
  }
  const int n1 = co0 + ((co1 - co0) & ~7); /* full panels end here; [n1, co1) is read in place */
  const int taps = kh * kw;
  packed += co0 * taps * cin; /* this block's part: blocks are disjoint column ranges */
  const int tail = co1 - n1;
  float *tailT = packed + taps * cin * (n1 - co0); /* the last columns, transposed: [taps][tail][cin] */
  for (int t = 0; t < taps; ++t) {
    for (int k0 = 0; k0 < cin; k0 += KC) {
      const int kc = cin - k0 < KC ? cin - k0 : KC;
      pack_panels(kc, co0, n1, filter + (t * cin + k0) * cout, cout, packed + (t * cin + k0) * (n1 - co0));
    }
    for (int j = 0; j < tail; ++j)
      for (int k = 0; k < cin; ++k) tailT[(t * tail + j) * cin + k] = filter[(t * cin + k) * cout + n1 + j];
  }
  for (int n = 0; n < batch; ++n) {
    for (int oy = 0; oy < oh; ++oy) {
      float *row = out + (n * oh + oy) * ow * cout;
      for (int ox = 0; ox < ow; ++ox)
        for (int co = co0; co < co1; ++co) row[ox * cout + co] = 0.0f;
      for (int p = 0; p < kh; ++p) {
        const int iy = oy * sh + p * dh - top;
        if (iy < 0 || iy >= h) continue;
        const float *xRow = x + (n * h + iy) * w * cin;
        for (int q = 0; q < kw; ++q) {
          const int shift = q * dwid - left;
          const int ox0 = run_start(shift, sw), ox1 = run_end(shift, sw, w, ow);
          if (ox0 >= ox1) continue;
          const int t = p * kw + q;
          const float *a = xRow + (ox0 * sw + shift) * cin;
          const int ars = sw * cin;
          float *c = row + ox0 * cout;
          for (int k0 = 0; k0 < cin; k0 += KC) {
            const int kc = cin - k0 < KC ? cin - k0 : KC;
            const float *panels = packed + (t * cin + k0) * (n1 - co0);
            for (int j = co0; j < n1; j += 8) {
              const float *panel = panels + (j - co0) * kc;
              int i = 0;
              for (; i + 4 <= ox1 - ox0; i += 4) tile4x8(kc, a + i * ars + k0, ars, 1, panel, 8, c + i * cout + j, cout, 1);
              for (; i < ox1 - ox0; ++i) tile1x8(kc, a + i * ars + k0, 1, panel, 8, c + i * cout + j, 1);
            }
          }
          if (tail) row_dots(ox1 - ox0, tail, cin, a, ars, tailT + t * tail * cin, c + n1, cout);
        }
      }
      if (bias || slope) finish_rows(row, ow, cout, co0, co1, bias, slope);
    }
  }
}
