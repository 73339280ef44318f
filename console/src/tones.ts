/**
 * The colours that mark a state, chosen to pass WCAG AA with the text Mantine puts on them (the theme's
 * autoContrast gives yellow dark text; teal and orange at their default shade are too light for white text).
 */
export const TONE = {
  ok: 'teal.9',
  waiting: 'yellow.5',
  danger: 'red.9',
  neutral: 'gray.8',
} as const;
