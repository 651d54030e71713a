// The site's config.json (written by tools/site; docs/site.md): a class's title, the
// lessons folder and the relay. Optional: a site without one is the default IDE.
export interface SiteConfig {
  /** Shown in the tab title and the toolbar: "Operating systems 101". */
  title?: string;
  /** The lessons folder, relative to the site or absolute (default "lessons/"). */
  lessons?: string;
  /** A lesson to open when the page has no ?lesson= (a course's first lesson). */
  startLesson?: string;
  /** The network relay's WebSocket URL (docs/networking, when the machine has one). */
  relay?: string;
}

export async function loadSiteConfig(): Promise<SiteConfig> {
  try {
    const r = await fetch(new URL('config.json', document.baseURI).href, { cache: 'no-cache' });
    if (!r.ok) return {};
    const c = (await r.json()) as SiteConfig;
    return c && typeof c === 'object' ? c : {};
  } catch {
    return {};
  }
}
