// Zero padding of NHWC maps (Keras ZeroPadding2D, ONNX Pad with constant 0 on the spatial axes) and its
// gradient, the crop back. Pure data movement: each input row of w·c floats is one memory.copy; the border is
// filled with memory.fill (zero bits are +0.0f).

// y (m, top + h + bottom, left + w + right, c) = x (m, h, w, c) with zero rows above/below and zero columns
// left/right. Every float of y is written; y must not overlap x.
export function zero_pad2d_forward(
  y: usize, x: usize, m: i32, h: i32, w: i32, c: i32, top: i32, bottom: i32, left: i32, right: i32,
): void {
  const row = <usize>(w * c) << 2;
  const outRow = <usize>((left + w + right) * c) << 2;
  const before = <usize>(left * c) << 2;
  const after = <usize>(right * c) << 2;
  let dst = y;
  let src = x;
  for (let b = 0; b < m; b++) {
    // The top rows, plus the left border of the first inner row: one fill.
    memory.fill(dst, 0, <usize>top * outRow + before);
    dst += <usize>top * outRow + before;
    for (let i = 0; i < h; i++) {
      memory.copy(dst, src, row);
      dst += row;
      src += row;
      // The right border of this row and the left border of the next (or nothing when it is the last).
      const gap = i + 1 < h ? after + before : after;
      memory.fill(dst, 0, gap);
      dst += gap;
    }
    if (h == 0) {
      // No inner row: the left border already written stands for part of the first bottom row.
      dst -= before;
    }
    memory.fill(dst, 0, <usize>bottom * outRow);
    dst += <usize>bottom * outRow;
  }
}

// dx (m, h, w, c) = the interior of dy (m, top + h + bottom, left + w + right, c): the gradient of
// zero_pad2d_forward (the border's gradient goes nowhere). Every float of dx is written.
export function crop2d_backward(
  dx: usize, dy: usize, m: i32, h: i32, w: i32, c: i32, top: i32, bottom: i32, left: i32, right: i32,
): void {
  const row = <usize>(w * c) << 2;
  const outRow = <usize>((left + w + right) * c) << 2;
  const sample = <usize>(top + h + bottom) * outRow;
  let dst = dx;
  for (let b = 0; b < m; b++) {
    let src = dy + <usize>b * sample + <usize>top * outRow + (<usize>(left * c) << 2);
    for (let i = 0; i < h; i++) {
      memory.copy(dst, src, row);
      dst += row;
      src += outRow;
    }
  }
}
