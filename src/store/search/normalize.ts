/**
 * String normalisation shared by indexing and querying, so that both sides agree:
 * NFKC folds full-width Latin and half-width katakana (ｶﾝｼﾞｬ → カンジャ) into one form, hiragana is folded
 * into katakana (やまだ finds ヤマダ), case is folded, and runs of spaces collapse.
 * Dakuten stay: they change the word (か ≠ が), unlike Latin accents.
 */
export function normalizeString(value: string): string {
  const folded = value.normalize('NFKC').toLowerCase();
  let out = '';
  for (const ch of folded) {
    const code = ch.codePointAt(0) as number;
    // Hiragana U+3041–U+3096 sit exactly 0x60 below their katakana.
    out += code >= 0x3041 && code <= 0x3096 ? String.fromCodePoint(code + 0x60) : ch;
  }
  return out.replace(/\s+/gu, ' ').trim();
}

/** Escapes LIKE wildcards so user input matches literally. */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => '\\' + c);
}
