/** "1/64", "0.015625" or "1.5e-2": a fraction as people write it (NaN when it is none; the schema says why). */
export function parseFraction(text: string): number {
  const ratio = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)\s*$/.exec(text);
  return ratio ? Number(ratio[1]) / Number(ratio[2]) : text.trim() === '' ? NaN : Number(text);
}
