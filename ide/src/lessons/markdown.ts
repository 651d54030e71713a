// The Markdown of a lesson's steps, to HTML: a small subset on purpose (docs/lessons.md,
// "Writing steps"). Everything is escaped: a lesson folder may come from any static host
// (?lessons=URL), so its text can never inject markup or script. Pure code (node-tested).
//
//   # / ## / ###            headings
//   blank-line paragraphs, - and 1. lists, > notes
//   `code`, **bold**, *italic*
//   [text](https://...)     a link (new tab)
//   [text](file:hello.c)    opens the file (relative to the lesson's folder) in the editor
//   [text](inspector:syscalls)  opens an inspector panel
//   ```run                  a command the student can click to type into the terminal
//   ```c / ```              a code block

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function inline(text: string): string {
  // Split out code spans first: nothing inside them is interpreted.
  const parts = text.split(/(`[^`]+`)/);
  return parts
    .map((p) => {
      if (p.length > 1 && p.startsWith('`') && p.endsWith('`')) return `<code>${escapeHtml(p.slice(1, -1))}</code>`;
      let s = escapeHtml(p);
      s = s.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_m, label: string, href: string) => {
        const raw = href.replace(/&amp;/g, '&');
        if (raw.startsWith('file:')) return `<a href="#" class="lesson-file" data-open-file="${escapeHtml(raw.slice(5))}">${label}</a>`;
        if (raw.startsWith('inspector:')) return `<a href="#" class="lesson-inspector" data-inspector="${escapeHtml(raw.slice(10))}">${label}</a>`;
        if (/^https?:\/\//.test(raw)) return `<a href="${escapeHtml(raw)}" target="_blank" rel="noopener noreferrer">${label}</a>`;
        return label; // other schemes (javascript:, data:) are dropped
      });
      s = s.replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
      s = s.replace(/(^|[^*])\*([^*\s][^*]*)\*/g, '$1<em>$2</em>');
      return s;
    })
    .join('');
}

export function renderMarkdown(md: string): string {
  const lines = md.replace(/\r\n/g, '\n').split('\n');
  const out: string[] = [];
  let para: string[] = [];
  let list: { tag: 'ul' | 'ol'; items: string[] } | null = null;
  const flushPara = () => {
    if (para.length) out.push(`<p>${inline(para.join(' '))}</p>`);
    para = [];
  };
  const flushList = () => {
    if (list) out.push(`<${list.tag}>${list.items.map((i) => `<li>${inline(i)}</li>`).join('')}</${list.tag}>`);
    list = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = /^```\s*([\w+-]*)\s*$/.exec(line);
    if (fence) {
      flushPara();
      flushList();
      const body: string[] = [];
      for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
      const code = body.join('\n');
      if (fence[1] === 'run') {
        out.push(
          `<div class="lesson-run"><pre><code>${escapeHtml(code)}</code></pre>` +
            `<button class="btn mini lesson-run-btn" data-run="${escapeHtml(code)}" title="Type this command into the terminal">Run ▸</button></div>`,
        );
      } else {
        out.push(`<pre class="lesson-code"${fence[1] ? ` data-lang="${escapeHtml(fence[1])}"` : ''}><code>${escapeHtml(code)}</code></pre>`);
      }
      continue;
    }
    const h = /^(#{1,3})\s+(.*)$/.exec(line);
    if (h) {
      flushPara();
      flushList();
      const level = h[1].length + 2; // h3..h5 inside the panel
      out.push(`<h${level}>${inline(h[2])}</h${level}>`);
      continue;
    }
    const li = /^\s*(?:([-*])|(\d+)\.)\s+(.*)$/.exec(line);
    if (li) {
      flushPara();
      const tag = li[1] ? 'ul' : 'ol';
      if (!list || list.tag !== tag) {
        flushList();
        list = { tag, items: [] };
      }
      list.items.push(li[3]);
      continue;
    }
    const quote = /^>\s?(.*)$/.exec(line);
    if (quote) {
      flushPara();
      flushList();
      out.push(`<blockquote>${inline(quote[1])}</blockquote>`);
      continue;
    }
    if (!line.trim()) {
      flushPara();
      flushList();
      continue;
    }
    if (list) {
      // A continuation line of the last item.
      const l = list as { items: string[] };
      l.items[l.items.length - 1] += ` ${line.trim()}`;
      continue;
    }
    para.push(line.trim());
  }
  flushPara();
  flushList();
  return out.join('\n');
}
