// Plain-TS twin of assembly/conv/pad.ts: same names, same argument order, typed arrays in place of pointers.

/**
 * y (m, top + h + bottom, left + w + right, c) = x (m, h, w, c) with zero borders; every float of y is written.
 */
export function zero_pad2d_forward(
  y: Float32Array,
  x: Float32Array,
  m: number,
  h: number,
  w: number,
  c: number,
  top: number,
  bottom: number,
  left: number,
  right: number,
): void {
  const oh = top + h + bottom;
  const ow = left + w + right;
  y.fill(0, 0, m * oh * ow * c);
  for (let b = 0; b < m; b++) {
    for (let i = 0; i < h; i++) {
      const src = (b * h + i) * w * c;
      y.set(x.subarray(src, src + w * c), ((b * oh + top + i) * ow + left) * c);
    }
  }
}

/** dx (m, h, w, c) = the interior of dy (m, top + h + bottom, left + w + right, c). */
export function crop2d_backward(
  dx: Float32Array,
  dy: Float32Array,
  m: number,
  h: number,
  w: number,
  c: number,
  top: number,
  bottom: number,
  left: number,
  right: number,
): void {
  const oh = top + h + bottom;
  const ow = left + w + right;
  for (let b = 0; b < m; b++) {
    for (let i = 0; i < h; i++) {
      const src = ((b * oh + top + i) * ow + left) * c;
      dx.set(dy.subarray(src, src + w * c), (b * h + i) * w * c);
    }
  }
}
