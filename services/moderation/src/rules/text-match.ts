// Word-list matching (WordListRule). A rule is compiled once into a single regex over all its
// words, shaped as a trie (shared prefixes written once), so a 1000-word list costs one scan of
// the text and each position follows one path, however many words share a prefix. Text and
// words are both folded (NFKC, invisible characters removed, case folded: see normalize.ts);
// a phrase matches across any run of whitespace.
import type { WordListRule } from '@kith/gen/kith/moderation/v1/rules_pb.js';
import { escapeRegex, foldText } from './normalize.js';

/**
 * A character that continues a word: a letter, digit, mark or connector (`_`) of a script that
 * separates words with spaces. Scripts written without spaces (Han, kana, Thai, Lao, Khmer,
 * Myanmar) have no boundary to find there, so a word next to them, or made of them, is whole.
 */
const WORD_CHAR =
  '[[\\p{L}\\p{N}\\p{M}\\p{Pc}]--[\\p{scx=Han}\\p{scx=Hiragana}\\p{scx=Katakana}' +
  '\\p{scx=Thai}\\p{scx=Lao}\\p{scx=Khmer}\\p{scx=Myanmar}]]';
const IS_WORD_CHAR = new RegExp(`^${WORD_CHAR}$`, 'v');

/** In the trie, a space stands for any run of whitespace. */
const SPACE = ' ';

export interface WordMatcher {
  /** The first listed word found in the text (as the rule lists it), or undefined. */
  match(text: string): string | undefined;
}

interface TrieNode {
  children: Map<string, TrieNode>;
  /** The listed word that ends here, if any. */
  word?: string;
}

/** Compiles a word list; words that fold to nothing (only spaces or invisibles) are ignored. */
export function compileWordList(rule: Pick<WordListRule, 'words' | 'wholeWord'>): WordMatcher {
  // One trie per pair of edge checks, so each lookaround is written once per trie, not once
  // per word: the class is large, and a thousand copies of it take V8 a second to compile.
  const tries = new Map<string, { before: boolean; after: boolean; root: TrieNode }>();
  const seen = new Set<string>();
  for (const word of rule.words) {
    const folded = foldText(word).trim().replace(/\s+/g, SPACE);
    if (folded === '' || seen.has(folded)) continue;
    seen.add(folded);
    const chars = [...folded];
    const before = rule.wholeWord && IS_WORD_CHAR.test(chars[0] ?? '');
    const after = rule.wholeWord && IS_WORD_CHAR.test(chars.at(-1) ?? '');
    const key = `${before}:${after}`;
    const trie = tries.get(key) ?? {
      before,
      after,
      root: { children: new Map<string, TrieNode>() },
    };
    tries.set(key, trie);
    let node = trie.root;
    for (const token of folded) {
      const next: TrieNode = node.children.get(token) ?? { children: new Map() };
      node.children.set(token, next);
      node = next;
    }
    node.word = word;
  }
  if (tries.size === 0) return { match: () => undefined };

  // Capture groups are empty markers at the end of each word, numbered in pattern order.
  const byCapture: string[] = [];
  const emit = (node: TrieNode): string => {
    const branches = [...node.children].map(([token, child]) => tokenSource(token) + emit(child));
    if (node.word !== undefined) {
      byCapture.push(node.word);
      branches.push('()'); // after the longer words: the longest match at a position wins
    }
    return branches.length === 1 ? (branches[0] ?? '') : `(?:${branches.join('|')})`;
  };
  const alternatives = [...tries.values()].map(({ before, after, root }) => {
    const source = `(?:${emit(root)})`;
    return `${before ? `(?<!${WORD_CHAR})` : ''}${source}${after ? `(?!${WORD_CHAR})` : ''}`;
  });
  const regex = new RegExp(alternatives.join('|'), 'iv');

  return {
    match(text) {
      const found = regex.exec(foldText(text));
      if (!found) return undefined;
      const index = found.findIndex((group, i) => i > 0 && group !== undefined);
      return byCapture[index - 1];
    },
  };
}

function tokenSource(token: string): string {
  return token === SPACE ? '\\s+' : escapeRegex(token);
}
