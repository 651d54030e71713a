// xterm.js as the console pty's terminal: keystrokes out, guest bytes in, size to the guest.
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { TERMINAL_THEMES, ThemeName } from './theme';
import { TypedLine } from './diagnostics';

export class TerminalPane {
  readonly term: Terminal;
  private readonly fit = new FitAddon();
  onInput: (data: string) => void = () => undefined;
  onBinary: (data: Uint8Array) => void = () => undefined;
  onResize: (rows: number, cols: number) => void = () => undefined;
  /**
   * Called when Enter is pressed, with the text of the line the cursor is on and, after a
   * newline, the keys typed since the last Enter (the echo may not have arrived yet).
   */
  onEnter: (line: string) => void = () => undefined;
  private readonly typed = new TypedLine();

  constructor(
    private readonly container: HTMLElement,
    theme: ThemeName,
  ) {
    this.term = new Terminal({
      fontFamily: "'JetBrains Mono', 'DejaVu Sans Mono', 'Cascadia Code', Menlo, Consolas, monospace",
      fontSize: 13,
      lineHeight: 1.15,
      cursorBlink: true,
      scrollback: 5000,
      allowProposedApi: false,
      theme: TERMINAL_THEMES[theme],
      convertEol: false,
    });
    this.term.loadAddon(this.fit);
    this.term.open(container);
    this.term.onData((d) => {
      const typed = this.typed.feed(d);
      if (typed.length) this.onEnter(this.cursorLine() + '\n' + typed.join('\n'));
      this.onInput(d);
    });
    this.term.onBinary((d) => {
      const b = new Uint8Array(d.length);
      for (let i = 0; i < d.length; i++) b[i] = d.charCodeAt(i) & 0xff;
      this.onBinary(b);
    });
    this.term.onResize(({ rows, cols }) => this.onResize(rows, cols));
    new ResizeObserver(() => this.refit()).observe(container);
    this.refit();
  }

  refit(): void {
    if (this.container.clientWidth < 20 || this.container.clientHeight < 20) return;
    try {
      this.fit.fit();
    } catch {
      /* not rendered yet */
    }
  }

  get rows(): number {
    return this.term.rows;
  }
  get cols(): number {
    return this.term.cols;
  }

  setTheme(theme: ThemeName): void {
    this.term.options.theme = TERMINAL_THEMES[theme];
  }

  focus(): void {
    this.term.focus();
  }

  /** Writes guest output; resolves once xterm has parsed it (back-pressure for the pump). */
  write(data: Uint8Array | string): Promise<void> {
    return new Promise((resolve) => this.term.write(data, resolve));
  }

  /** A message from the IDE itself (not the guest), dimmed, on its own lines. */
  notice(text: string, kind: 'info' | 'warn' | 'error' = 'info'): void {
    const colour = kind === 'error' ? '1;31' : kind === 'warn' ? '33' : '2';
    const lines = text.split('\n').map((l) => `\x1b[${colour}m${l}\x1b[0m`);
    this.term.write(lines.join('\r\n') + '\r\n');
  }

  private cursorLine(): string {
    const buf = this.term.buffer.active;
    // A command may wrap over several rows: join the wrapped rows up to the cursor's.
    let y = buf.baseY + buf.cursorY;
    let text = buf.getLine(y)?.translateToString(true) ?? '';
    while (y > 0 && buf.getLine(y)?.isWrapped) {
      y--;
      text = (buf.getLine(y)?.translateToString(true) ?? '') + text;
    }
    return text;
  }
}
