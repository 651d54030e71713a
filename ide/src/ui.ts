// Small page helpers: downloads, dialogs, the context menu, byte formatting.

export function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el;
}

export function downloadBlob(name: string, data: Uint8Array | string, type = 'application/octet-stream'): void {
  const blob = new Blob([data as BlobPart], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Shows a <dialog> and resolves with the value of the button that closed it. */
export function showDialog(dialog: HTMLDialogElement): Promise<string> {
  return new Promise((resolve) => {
    dialog.returnValue = '';
    dialog.addEventListener('close', () => resolve(dialog.returnValue || 'cancel'), { once: true });
    dialog.showModal();
  });
}

/** Asks for a line of text (file names); resolves null on cancel. */
export async function askText(title: string, initial = ''): Promise<string | null> {
  const dialog = $('prompt-dialog') as HTMLDialogElement;
  $('prompt-title').textContent = title;
  const input = $('prompt-input') as HTMLInputElement;
  input.value = initial;
  const p = showDialog(dialog);
  input.focus();
  const dot = initial.lastIndexOf('.');
  input.setSelectionRange(0, dot > 0 ? dot : initial.length);
  const r = await p;
  return r === 'ok' && input.value.trim() ? input.value.trim() : null;
}

export interface MenuItem {
  label: string;
  action: () => void;
  danger?: boolean;
  disabled?: boolean;
}

export function showMenu(items: MenuItem[], x: number, y: number): void {
  const menu = $('context-menu');
  menu.replaceChildren();
  for (const it of items) {
    const b = document.createElement('button');
    b.className = 'menu-item' + (it.danger ? ' danger' : '');
    b.textContent = it.label;
    b.disabled = !!it.disabled;
    b.setAttribute('role', 'menuitem');
    b.onclick = () => {
      hide();
      it.action();
    };
    menu.append(b);
  }
  menu.hidden = false;
  const r = menu.getBoundingClientRect();
  menu.style.left = `${Math.min(x, innerWidth - r.width - 4)}px`;
  menu.style.top = `${Math.min(y, innerHeight - r.height - 4)}px`;
  (menu.querySelector('button:not([disabled])') as HTMLElement | null)?.focus();
  const hide = () => {
    menu.hidden = true;
    removeEventListener('pointerdown', outside, true);
    removeEventListener('keydown', esc, true);
  };
  const outside = (ev: Event) => {
    if (!menu.contains(ev.target as Node)) hide();
  };
  const esc = (ev: KeyboardEvent) => {
    if (ev.key === 'Escape') hide();
  };
  addEventListener('pointerdown', outside, true);
  addEventListener('keydown', esc, true);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
