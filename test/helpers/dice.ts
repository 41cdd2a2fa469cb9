/** Dice of one label value between two label buffers (NaN when both lack it). */
export function dice(a: ArrayLike<number>, b: ArrayLike<number>, value: number): number {
  let both = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] === value;
    const y = b[i] === value;
    na += +x;
    nb += +y;
    both += +(x && y);
  }
  return (2 * both) / (na + nb);
}
