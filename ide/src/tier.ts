// The execution tier setting (issue 11, "Modes"; docs/jit.md): the interpreter only, or the
// JIT (hot x86 code compiled to WebAssembly). A status-bar button shows the tier the machine
// runs with and opens a dialog to change it; the choice is kept in localStorage
// (`glassbox.jit`) and takes effect by reloading the page: the same path as any reload, so
// the student's files (synced to IndexedDB) are kept and running programs stop.
// `?jit=on|off` in the URL overrides the setting for that page (tests, links to a lab).
import { $, showDialog } from './ui';

export type Tier = 'off' | 'on';
export const TIER_KEY = 'glassbox.jit';
/** The tier when neither the URL nor the student chose one: the JIT, since Dec 7 2026 (in
 *  headless Chromium every bench row runs faster with it than without: docs/jit.md,
 *  "The JIT by default in the browser"). */
export const DEFAULT_TIER: Tier = 'on';

const parse = (v: string | null): Tier | null => (v === 'on' || v === 'off' ? v : null);

/** The tier for this page: ?jit=, else the student's setting, else the default. */
export function currentTier(): Tier {
  return parse(new URLSearchParams(location.search).get('jit')) ?? parse(localStorage.getItem(TIER_KEY)) ?? DEFAULT_TIER;
}

const label = (t: Tier) => (t === 'on' ? 'JIT' : 'interpreter');

/** Wires the status-bar button; `restart` reloads the machine with the new setting. */
export function setupTierButton(restart: () => void = () => location.reload()): void {
  const btn = $('st-tier') as HTMLButtonElement;
  const tier = currentTier();
  const fromUrl = parse(new URLSearchParams(location.search).get('jit')) !== null;
  btn.textContent = label(tier);
  btn.dataset.tier = tier;
  btn.title = `Execution tier: ${tier === 'on' ? 'hot code is compiled to WebAssembly' : 'every instruction is interpreted'}${fromUrl ? ' (set by the page address)' : ''}. Click to change.`;
  btn.onclick = async () => {
    const dialog = $('tier-dialog') as HTMLDialogElement;
    for (const r of dialog.querySelectorAll<HTMLInputElement>('input[name="tier"]')) r.checked = r.value === tier;
    if ((await showDialog(dialog)) !== 'apply') return;
    const chosen = parse(dialog.querySelector<HTMLInputElement>('input[name="tier"]:checked')?.value ?? null);
    if (!chosen) return;
    localStorage.setItem(TIER_KEY, chosen);
    if (fromUrl) {
      // the address would override the new setting: drop ?jit= from it
      const u = new URL(location.href);
      u.searchParams.delete('jit');
      history.replaceState(null, '', u.href);
    }
    if (chosen !== tier || fromUrl) restart();
  };
}
