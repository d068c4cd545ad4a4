// Tokenizes rule files with editors/spur.tmLanguage.json through vscode-textmate, the
// tokenizer of VS Code, and checks the scopes of keywords, strings, durations, comments
// and declared names against a small lexer of the language (language.md section 2).
//
// usage: node textmate_test.js SOURCE_ROOT NODE_MODULES
'use strict';

const fs = require('fs');
const path = require('path');

const [root, modules] = process.argv.slice(2);
const vsctm = require(path.join(modules, 'vscode-textmate'));
const oniguruma = require(path.join(modules, 'vscode-oniguruma'));

const KEYWORDS = new Set(
  ('rule group segment model const when then end priority cooldown limit per pending latest ' +
   'first each exclusive disabled and or not no in last session within as between contains ' +
   'matches is null true false send set unset increment by emit respond decide count sum avg ' +
   'min max distinct quiet holdout split if else goal drop').split(' '));
const KEYWORD_SCOPES = ['keyword', 'storage.type', 'constant.language', 'support.function'];
const DECLARATIONS = new Set(['rule', 'group', 'segment', 'model', 'const', 'event']);

let passed = 0;
let failed = 0;
function expect(what, ok, detail) {
  if (ok) {
    passed++;
  } else {
    failed++;
    console.log(`FAIL ${what}${detail ? ': ' + detail : ''}`);
  }
}

async function loadGrammar() {
  const wasm = fs.readFileSync(path.join(modules, 'vscode-oniguruma', 'release', 'onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scope) => {
      if (scope !== 'source.spur') return null;
      const file = path.join(root, 'editors', 'spur.tmLanguage.json');
      return vsctm.parseRawGrammar(fs.readFileSync(file, 'utf8'), file);
    },
  });
  return registry.loadGrammar('source.spur');
}

// The scopes of every character of every line of `text`.
function scopesOf(grammar, text) {
  let stack = vsctm.INITIAL;
  return text.split('\n').map((line) => {
    const result = grammar.tokenizeLine(line, stack);
    stack = result.ruleStack;
    const chars = new Array(line.length);
    for (const token of result.tokens) {
      for (let i = token.startIndex; i < Math.min(token.endIndex, line.length); i++)
        chars[i] = token.scopes.join(' ');
    }
    return { line, chars };
  });
}

// Walks a line as the language's lexer would and checks what each piece is scoped as.
function checkLine(where, { line, chars }) {
  const has = (from, to, scope) => {
    for (let i = from; i < to; i++) if (!chars[i].includes(scope)) return false;
    return true;
  };
  const anyOf = (i, scopes) => scopes.some((s) => chars[i].includes(s));
  let i = 0;
  let previousWord = null;
  while (i < line.length) {
    const c = line[i];
    if (c === '#') {
      expect(`${where}: comment`, has(i, line.length, 'comment.line.number-sign.spur'), line);
      return;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      const name = chars[i].includes('entity.name');  // `event "Product Added"`
      expect(`${where}: string ${line.slice(i, j + 1)}`,
             name || has(i, Math.min(j + 1, line.length), 'string.quoted.double.spur'), line);
      i = j + 1;
      previousWord = null;
      continue;
    }
    const duration = /^(?:\d+(?:ms|w|d|h|m|s))+(?![A-Za-z0-9_])/.exec(line.slice(i));
    if (duration && (i === 0 || !/[A-Za-z0-9_.]/.test(line[i - 1]))) {
      expect(`${where}: duration ${duration[0]}`,
             has(i, i + duration[0].length, 'constant.numeric.duration.spur'), line);
      i += duration[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(line.slice(i));
    if (word) {
      const text = word[0];
      const member = i > 0 && (line[i - 1] === '.' || line[i - 1] === '@');
      if (member) {
        expect(`${where}: property ${text}`, !anyOf(i, KEYWORD_SCOPES), line);
      } else if (previousWord !== null && DECLARATIONS.has(previousWord.text) &&
                 previousWord.at === 0) {
        expect(`${where}: declared name ${text}`, chars[i].includes('entity.name'), line);
      } else if (/^\s*\(/.test(line.slice(i + text.length)) && !KEYWORDS.has(text)) {
        expect(`${where}: function ${text}`, chars[i].includes('support.function.builtin.spur'),
               line);
      } else if (text === 'event' && i === 0 && line[i + text.length] === ' ') {
        expect(`${where}: declaration ${text}`, chars[i].includes('storage.type'), line);
      } else if (KEYWORDS.has(text) || text === 'features') {
        expect(`${where}: keyword ${text}`, anyOf(i, KEYWORD_SCOPES), line);
      } else {
        expect(`${where}: name ${text} is no keyword`, !anyOf(i, KEYWORD_SCOPES), line);
      }
      previousWord = { text, at: i };
      i += text.length;
      continue;
    }
    if (!/\s/.test(c)) previousWord = null;
    i++;
  }
}

function scopeAt(lines, lineIndex, needle, occurrence = 0) {
  const { line, chars } = lines[lineIndex];
  let at = -1;
  for (let k = 0; k <= occurrence; k++) at = line.indexOf(needle, at + 1);
  return at < 0 ? '' : chars[at];
}

(async () => {
  const grammar = await loadGrammar();

  // Every example, line by line, against the lexer above.
  const folder = path.join(root, 'rules', 'examples');
  const files = fs.readdirSync(folder).filter((f) => f.endsWith('.rules')).sort();
  expect('examples found', files.length >= 8, String(files.length));
  for (const file of files) {
    const lines = scopesOf(grammar, fs.readFileSync(path.join(folder, file), 'utf8'));
    lines.forEach((l, n) => checkLine(`${file}:${n + 1}`, l));
  }

  // Named cases, with the exact scope each must get.
  const sample = scopesOf(grammar, [
    'rule cart_recovery "Cart left for 24h"  # a comment',
    '  cooldown 3d by event.category',
    'when',
    '  add_to_cart as cart and no purchase within 24h and profile.weekend_end == 1',
    '  and event.goal == "x\\"y" and cart.@time > now() - 1h30m and 10% > 0.5',
    'then',
    '  send email { template: "cart", n: count(purchase in last 7d) }',
    'end',
    'event "Product Added" "A product was put in the cart"',
    '  quiet 22:00..08:00 in "Europe/Paris"',
  ].join('\n'));
  const cases = [
    [0, 'rule', 'storage.type.declaration.spur'],
    [0, 'cart_recovery', 'entity.name.function.spur'],
    [0, '"Cart', 'string.quoted.double.spur'],
    [0, '# a comment', 'comment.line.number-sign.spur'],
    [1, 'cooldown', 'keyword.other.option.spur'],
    [1, '3d', 'constant.numeric.duration.spur'],
    [1, 'event', 'variable.language.spur'],
    [1, 'category', 'variable.other.property.spur'],
    [2, 'when', 'keyword.control.spur'],
    [3, 'as', 'keyword.other.option.spur'],
    [3, '24h', 'constant.numeric.duration.spur'],
    [3, 'no', 'keyword.operator.word.spur'],
    [3, 'weekend_end', 'variable.other.property.spur'],
    [4, 'goal', 'variable.other.property.spur'],
    [4, '\\"', 'constant.character.escape.spur'],
    [4, '@time', 'variable.other.property.spur'],
    [4, 'now', 'support.function.builtin.spur'],
    [4, '1h30m', 'constant.numeric.duration.spur'],
    [4, '10%', 'constant.numeric.percent.spur'],
    [4, '0.5', 'constant.numeric.spur'],
    [5, 'then', 'keyword.control.spur'],
    [6, 'send', 'keyword.other.action.spur'],
    [6, 'count', 'support.function.aggregate.spur'],
    [6, '7d', 'constant.numeric.duration.spur'],
    [7, 'end', 'keyword.control.spur'],
    [8, 'event', 'storage.type.declaration.spur'],
    [8, '"Product', 'entity.name.type.event.spur'],
    [8, '"A product', 'string.quoted.double.spur'],
    [9, '22:00', 'constant.numeric.time.spur'],
  ];
  for (const [line, needle, scope] of cases) {
    const got = scopeAt(sample, line, needle);
    expect(`\`${needle}\` on line ${line + 1} is ${scope}`, got.includes(scope), got);
  }

  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
})().catch((e) => {
  console.log(`FAIL ${e.stack}`);
  process.exit(1);
});
