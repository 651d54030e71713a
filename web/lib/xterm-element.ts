// attachTerminal(element): xterm.js and its fit addon in the element, loaded on demand
// (a page that brings its own terminal never downloads them). The stylesheet is inlined
// once into the document.
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import css from '@xterm/xterm/css/xterm.css';
import type { TerminalLike } from './glassbox';

let styled = false;

export function openXterm(el: HTMLElement, onResize: (rows: number, cols: number) => void): { term: TerminalLike; fit: () => void; dispose: () => void } {
  if (!styled) {
    styled = true;
    const style = document.createElement('style');
    style.textContent = css;
    document.head.appendChild(style);
  }
  const term = new Terminal({ fontFamily: "'DejaVu Sans Mono', Menlo, Consolas, monospace", fontSize: 13, cursorBlink: true, scrollback: 5000 });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(el);
  term.onResize(({ rows, cols }) => onResize(rows, cols));
  const refit = () => {
    try {
      if (el.clientWidth && el.clientHeight) fit.fit();
    } catch {
      /* not laid out yet */
    }
  };
  const ro = new ResizeObserver(refit);
  ro.observe(el);
  return {
    term: {
      write: (b) => term.write(b),
      onData: (l) => term.onData(l),
      get rows() {
        return term.rows;
      },
      get cols() {
        return term.cols;
      },
    },
    fit: refit,
    dispose: () => {
      ro.disconnect();
      term.dispose();
    },
  };
}
