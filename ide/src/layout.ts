// Resizable panes. The workbench is a CSS grid whose track sizes are CSS variables on
// #workbench; each splitter drags one of them. Sizes are kept in localStorage.
//
//   --files-w     width of the file tree (left)
//   --right-w     width of the inspector/lessons column (right)
//   --term-h      height of the terminal (below the editor)
//   --lessons-h   height of the lessons panel (below the inspector)

export const LAYOUT_KEY = 'glassbox.layout';

export interface LayoutSizes {
  filesW: number;
  rightW: number;
  termH: number;
  lessonsH: number;
}

/** Defaults scale with the window (a 1024-px laptop keeps a usable editor). */
export function defaultLayout(w = window.innerWidth, h = window.innerHeight): LayoutSizes {
  const clamp = (v: number, lo: number, hi: number) => Math.round(Math.min(Math.max(v, lo), hi));
  return {
    filesW: clamp(w * 0.17, 170, 260),
    rightW: clamp(w * 0.24, 240, 380),
    termH: clamp(h * 0.34, 160, 340),
    lessonsH: clamp(h * 0.32, 140, 320),
  };
}

const VARS: Record<keyof LayoutSizes, string> = {
  filesW: '--files-w',
  rightW: '--right-w',
  termH: '--term-h',
  lessonsH: '--lessons-h',
};

const MIN: Record<keyof LayoutSizes, number> = { filesW: 140, rightW: 200, termH: 90, lessonsH: 80 };

export function loadLayout(): LayoutSizes {
  try {
    const v = JSON.parse(localStorage.getItem(LAYOUT_KEY) ?? '{}') as Partial<LayoutSizes>;
    const out = defaultLayout();
    for (const k of Object.keys(out) as (keyof LayoutSizes)[]) {
      if (typeof v[k] === 'number' && Number.isFinite(v[k])) out[k] = v[k]!;
    }
    return out;
  } catch {
    return defaultLayout();
  }
}

export class Layout {
  sizes: LayoutSizes;
  onChange: () => void = () => undefined;

  constructor(private readonly root: HTMLElement) {
    this.sizes = loadLayout();
    this.apply();
    for (const el of root.querySelectorAll<HTMLElement>('[data-split]')) this.attach(el);
    window.addEventListener('resize', () => this.apply());
  }

  /** Largest size a pane may take so that the others keep their minimum. */
  private max(key: keyof LayoutSizes): number {
    const r = this.root.getBoundingClientRect();
    switch (key) {
      case 'filesW':
        return Math.max(MIN.filesW, r.width - this.sizes.rightW - 320);
      case 'rightW':
        return Math.max(MIN.rightW, r.width - this.sizes.filesW - 320);
      case 'termH':
      case 'lessonsH':
        return Math.max(MIN[key], r.height - 120);
    }
  }

  set(key: keyof LayoutSizes, value: number, persist = true): void {
    this.sizes[key] = Math.round(Math.min(Math.max(value, MIN[key]), this.max(key)));
    this.apply();
    if (persist) localStorage.setItem(LAYOUT_KEY, JSON.stringify(this.sizes));
  }

  reset(): void {
    this.sizes = defaultLayout();
    localStorage.removeItem(LAYOUT_KEY);
    this.apply();
  }

  private apply(): void {
    // Shown sizes give way when the window is too small for the kept ones; kept sizes stay.
    for (const k of Object.keys(VARS) as (keyof LayoutSizes)[]) {
      this.root.style.setProperty(VARS[k], `${Math.max(MIN[k], Math.min(this.sizes[k], this.max(k)))}px`);
    }
    this.onChange();
  }

  private attach(handle: HTMLElement): void {
    const key = handle.dataset.split as keyof LayoutSizes;
    // Dragging right/down grows the left/top pane for files; shrinks it for the others.
    const sign = key === 'filesW' ? 1 : -1;
    const vertical = key === 'filesW' || key === 'rightW';
    handle.setAttribute('role', 'separator');
    handle.setAttribute('aria-orientation', vertical ? 'vertical' : 'horizontal');
    handle.tabIndex = 0;
    handle.addEventListener('pointerdown', (ev) => {
      if (ev.button !== 0) return;
      ev.preventDefault();
      handle.setPointerCapture(ev.pointerId);
      const start = vertical ? ev.clientX : ev.clientY;
      const startSize = this.sizes[key];
      document.body.classList.add(vertical ? 'resizing-col' : 'resizing-row');
      handle.classList.add('dragging');
      const move = (e: PointerEvent) => {
        const d = (vertical ? e.clientX : e.clientY) - start;
        this.set(key, startSize + sign * d, false);
      };
      const up = () => {
        handle.removeEventListener('pointermove', move);
        handle.removeEventListener('pointerup', up);
        handle.removeEventListener('pointercancel', up);
        document.body.classList.remove('resizing-col', 'resizing-row');
        handle.classList.remove('dragging');
        this.set(key, this.sizes[key]);
      };
      handle.addEventListener('pointermove', move);
      handle.addEventListener('pointerup', up);
      handle.addEventListener('pointercancel', up);
    });
    handle.addEventListener('dblclick', () => this.set(key, defaultLayout()[key]));
    handle.addEventListener('keydown', (ev) => {
      const step = ev.shiftKey ? 40 : 10;
      const grow = vertical ? ev.key === 'ArrowRight' : ev.key === 'ArrowDown';
      const shrink = vertical ? ev.key === 'ArrowLeft' : ev.key === 'ArrowUp';
      if (!grow && !shrink) return;
      ev.preventDefault();
      this.set(key, this.sizes[key] + (grow ? step : -step) * sign);
    });
  }
}
