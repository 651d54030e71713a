// Light and dark themes. The page's colours are CSS variables keyed on <html data-theme>;
// Monaco and xterm get matching themes. The choice is kept in localStorage; with no
// choice yet, the system preference decides.

export type ThemeName = 'dark' | 'light';
export const THEME_KEY = 'glassbox.theme';

export function initialTheme(): ThemeName {
  const saved = localStorage.getItem(THEME_KEY);
  if (saved === 'dark' || saved === 'light') return saved;
  return window.matchMedia?.('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

/** xterm.js colours for each theme. */
export const TERMINAL_THEMES = {
  dark: {
    background: '#14171c',
    foreground: '#d7dae0',
    cursor: '#f0c674',
    cursorAccent: '#14171c',
    selectionBackground: '#3a4454',
    black: '#1d2026', red: '#e06c75', green: '#98c379', yellow: '#e5c07b',
    blue: '#61afef', magenta: '#c678dd', cyan: '#56b6c2', white: '#d7dae0',
    brightBlack: '#5c6370', brightRed: '#ff7b86', brightGreen: '#b5e890', brightYellow: '#ffd68a',
    brightBlue: '#7cc4ff', brightMagenta: '#de94f0', brightCyan: '#6fd3df', brightWhite: '#ffffff',
  },
  light: {
    background: '#fbfbfa',
    foreground: '#24292f',
    cursor: '#0969da',
    cursorAccent: '#fbfbfa',
    selectionBackground: '#c8daf5',
    black: '#24292f', red: '#cf222e', green: '#116329', yellow: '#8a6100',
    blue: '#0550ae', magenta: '#8250df', cyan: '#1b7c83', white: '#6e7781',
    brightBlack: '#57606a', brightRed: '#e0323e', brightGreen: '#1a7f37', brightYellow: '#9a6700',
    brightBlue: '#0969da', brightMagenta: '#a475f9', brightCyan: '#3192aa', brightWhite: '#8c959f',
  },
} as const;

export const MONACO_THEMES: Record<ThemeName, string> = { dark: 'glassbox-dark', light: 'glassbox-light' };
