// A Monarch tokenizer for Makefiles (Monaco ships none): comments, variable references,
// assignments, rules, recipe lines, directives and automatic variables.
import type * as Monaco from 'monaco-editor/editor/editor.api.js';

export function registerMakefile(monaco: typeof Monaco): void {
  monaco.languages.register({
    id: 'makefile',
    aliases: ['Makefile', 'make'],
    filenames: ['Makefile', 'makefile', 'GNUmakefile'],
    extensions: ['.mk', '.make'],
  });
  monaco.languages.setLanguageConfiguration('makefile', {
    comments: { lineComment: '#' },
    brackets: [['(', ')'], ['{', '}']],
    autoClosingPairs: [
      { open: '(', close: ')' },
      { open: '{', close: '}' },
      { open: '"', close: '"' },
      { open: "'", close: "'" },
    ],
  });
  monaco.languages.setMonarchTokensProvider('makefile', {
    defaultToken: '',
    directives: [
      'include', '-include', 'sinclude', 'ifeq', 'ifneq', 'ifdef', 'ifndef', 'else', 'endif',
      'define', 'endef', 'export', 'unexport', 'override', 'private', 'vpath',
    ],
    tokenizer: {
      root: [
        [/^(?=\t)/, { token: '', next: '@recipe' }],
        [/#.*$/, 'comment'],
        [/^\s*(-?include|sinclude|ifeq|ifneq|ifdef|ifndef|else|endif|define|endef|export|unexport|override|vpath)\b/, 'keyword'],
        [/^\s*\.[A-Z_]+(?=\s*:)/, 'keyword'],
        [/^([^:#=\s][^:#=]*?)(\s*)(::?)(?!=)/, ['type.identifier', 'white', 'delimiter']],
        [/^\s*([A-Za-z_][\w.-]*)(\s*)([:+?!]?=)/, ['variable', 'white', 'operator']],
        { include: '@refs' },
        [/"([^"\\]|\\.)*"/, 'string'],
        [/'[^']*'/, 'string'],
        [/[^$"'#]+/, ''],
      ],
      recipe: [
        [/^(?!\t)/, { token: '', next: '@pop' }],
        [/^\t[@+-]+/, 'keyword'],
        [/^\t/, 'white'],
        [/#.*$/, 'comment'],
        { include: '@refs' },
        [/"([^"\\]|\\.)*"/, 'string'],
        [/'[^']*'/, 'string'],
        [/[^$"'#]+/, ''],
      ],
      refs: [
        [/\$[@<^?*+%|]/, 'variable.predefined'],
        [/\$\$/, 'string.escape'],
        [/\$\(/, { token: 'variable', next: '@ref_paren' }],
        [/\$\{/, { token: 'variable', next: '@ref_brace' }],
        [/\$[A-Za-z0-9_]/, 'variable'],
      ],
      ref_paren: [
        [/\)/, { token: 'variable', next: '@pop' }],
        [/(subst|patsubst|strip|findstring|filter|filter-out|sort|word|words|wordlist|firstword|lastword|dir|notdir|suffix|basename|addsuffix|addprefix|join|wildcard|realpath|abspath|if|or|and|foreach|call|value|eval|origin|flavor|shell|error|warning|info)\b/, 'keyword'],
        { include: '@refs' },
        [/[^)$]+/, 'variable'],
      ],
      ref_brace: [
        [/\}/, { token: 'variable', next: '@pop' }],
        { include: '@refs' },
        [/[^}$]+/, 'variable'],
      ],
    },
  } as Monaco.languages.IMonarchLanguage);
}
