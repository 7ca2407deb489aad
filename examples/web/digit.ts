/**
 * A drawing → a 28×28 MNIST-style input, the way the MNIST digits were made: the ink's bounding box scaled (keeping
 * its aspect) to fit 20×20, then placed in a 28×28 field so that its centre of mass is at the centre. Runs once per
 * redraw on 784 pixels (input preparation, not a training hot path), in plain TS so it can be tested in Node.
 */

/** A grey image: `data[y * width + x]` = ink in [0, 1]. */
export interface Gray {
  data: Float32Array;
  width: number;
  height: number;
}

/** RGBA bytes (canvas ImageData) → ink from the brightness (white strokes on black, as MNIST). */
export function inkOf(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number): Gray {
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = (rgba[4 * i] + rgba[4 * i + 1] + rgba[4 * i + 2]) / 765;
  return { data, width, height };
}

/** Bilinear sample with zero outside the image. */
function sample(g: { data: ArrayLike<number>; width: number; height: number }, x: number, y: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const at = (xx: number, yy: number): number =>
    xx >= 0 && yy >= 0 && xx < g.width && yy < g.height ? g.data[yy * g.width + xx] : 0;
  return (
    (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) +
    (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy
  );
}

/**
 * The 784 inputs of a drawing (`pixels[y * width + x]` = ink in [0, 1]), or undefined when there is (almost) no
 * ink: the ink's bounding box (pixels above `threshold`) scaled, keeping its aspect, so its longer side is 20 px,
 * then placed in the 28×28 field with its centre of mass at pixel (14, 14) (a whole-pixel shift, as MNIST's).
 * The resampling is anti-aliased: each target pixel averages 4×4 bilinear samples of the area it covers (a box
 * filter when shrinking, so thin strokes do not vanish; smooth when enlarging a small drawing).
 */
export function centerDigit(
  pixels: ArrayLike<number>,
  width: number,
  height: number,
  threshold = 0.05,
): Float32Array | undefined {
  if (pixels.length !== width * height) throw new Error(`centerDigit: ${pixels.length} pixels for ${width}×${height}`);
  const g = { data: pixels, width, height };
  let x0 = g.width;
  let y0 = g.height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < g.height; y++) {
    for (let x = 0; x < g.width; x++) {
      if (g.data[y * g.width + x] > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return undefined;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const scale = 20 / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * scale));
  const th = Math.max(1, Math.round(bh * scale));
  // Box-filtered resize of the bounding box to tw × th (sub-sampled on a 4×4 grid per target pixel).
  const small = new Float32Array(tw * th);
  const step = 1 / scale;
  for (let ty = 0; ty < th; ty++) {
    for (let tx = 0; tx < tw; tx++) {
      let s = 0;
      for (let sy = 0; sy < 4; sy++)
        for (let sx = 0; sx < 4; sx++)
          s += sample(g, x0 + (tx + (sx + 0.5) / 4) * step - 0.5, y0 + (ty + (sy + 0.5) / 4) * step - 0.5);
      small[ty * tw + tx] = Math.min(1, s / 16);
    }
  }
  // Centre of mass of the small image → where to put it in the 28×28 field.
  let m = 0;
  let cx = 0;
  let cy = 0;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const v = small[y * tw + x];
      m += v;
      cx += v * x;
      cy += v * y;
    }
  }
  if (m <= 0) return undefined;
  // MNIST's own digits have their centre of mass within half a pixel of pixel (14, 14) (counting pixels from 0,
  // so 0.5 px right of and below the field's geometric centre): the same whole-pixel shift here.
  const ox = Math.round(14 - cx / m);
  const oy = Math.round(14 - cy / m);
  const out = new Float32Array(784);
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const X = x + ox;
      const Y = y + oy;
      if (X >= 0 && X < 28 && Y >= 0 && Y < 28) out[Y * 28 + X] = small[y * tw + x];
    }
  }
  return out;
}
