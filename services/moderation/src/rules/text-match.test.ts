import assert from 'node:assert/strict';
import { test } from 'vitest';
import { compileWordList } from './text-match.js';

const anywhere = (...words: string[]) => compileWordList({ words, wholeWord: false });
const whole = (...words: string[]) => compileWordList({ words, wholeWord: true });

test('a listed word is found case-insensitively and reported as listed', () => {
  assert.equal(anywhere('Bad').match('this is BAD news'), 'Bad');
  assert.equal(anywhere('bad').match('nothing to see'), undefined);
  assert.equal(anywhere('bad').match(''), undefined);
});

test('without whole_word a word matches inside longer words', () => {
  assert.equal(anywhere('ass').match('a class act'), 'ass');
});

test('with whole_word a word inside a longer word does not match', () => {
  const matcher = whole('ass');
  assert.equal(matcher.match('a class act'), undefined);
  assert.equal(matcher.match('assets'), undefined);
  assert.equal(matcher.match('ass_hat'), undefined);
  assert.equal(matcher.match('ass2'), undefined);
  assert.equal(matcher.match('what an ass.'), 'ass');
  assert.equal(matcher.match('ass'), 'ass');
  assert.equal(matcher.match('(ass)'), 'ass');
  assert.equal(matcher.match("ass's"), 'ass');
});

test('whole_word boundaries hold for letters of any script', () => {
  const matcher = whole('дурак');
  assert.equal(matcher.match('ты ДУРАК!'), 'дурак');
  assert.equal(matcher.match('дураки'), undefined);
  assert.equal(matcher.match('супердурак'), undefined);
  assert.equal(whole('bad').match('bad\u0301'), undefined, 'a combining mark continues the word');
  assert.equal(whole('ελλάδα').match('ΕΛΛΆΔΑ'), 'ελλάδα');
});

test('whole_word matches next to and inside text of scripts written without spaces', () => {
  assert.equal(whole('bad').match('这是bad的'), 'bad');
  assert.equal(whole('坏人').match('这是坏人吗'), '坏人');
  assert.equal(whole('バカ').match('お前はバカだ'), 'バカ');
  assert.equal(whole('坏人').match('bad坏人'), '坏人');
});

test('a phrase matches across any run of whitespace, line breaks included', () => {
  const matcher = whole('two words');
  assert.equal(matcher.match('say TWO    words now'), 'two words');
  assert.equal(matcher.match('two\n\t words'), 'two words');
  assert.equal(matcher.match('two\u00A0words'), 'two words');
  assert.equal(matcher.match('twowords'), undefined);
  assert.equal(matcher.match('two wordsmith'), undefined);
  assert.equal(whole('  two   words ').match('two words'), '  two   words ');
});

test('invisible characters inserted into a word do not evade it', () => {
  const matcher = whole('bad');
  for (const invisible of ['\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u00AD']) {
    assert.equal(matcher.match(`so b${invisible}a${invisible}d`), 'bad', escape(invisible));
  }
});

test('full-width letters, ligatures and other compatibility forms are folded by NFKC', () => {
  assert.equal(whole('bad').match('ｂａｄ'), 'bad');
  assert.equal(whole('BAD').match('ｂａｄ'), 'BAD');
  assert.equal(whole('offer').match('an ＯＦＦＥＲ'), 'offer');
  assert.equal(whole('offer').match('an oﬀer'), 'offer');
  assert.equal(whole('ｏｆｆｅｒ').match('offer'), 'ｏｆｆｅｒ');
  assert.equal(
    whole('café').match('cafe\u0301'),
    'café',
    'composed and decomposed forms are equal',
  );
});

test('case folding covers ß and final sigma', () => {
  assert.equal(whole('strasse').match('STRAẞE'), 'strasse');
  assert.equal(whole('straße').match('Strasse'), 'straße');
  assert.equal(whole('οδοσ').match('ΟΔΟΣ'), 'οδοσ');
  assert.equal(whole('οδος').match('οδοσ'), 'οδος');
});

test('regex syntax in words is literal', () => {
  const matcher = anywhere('a.b', '(x)', 'c++', '[y]', '$$$', 'p|q', 'back\\slash', 'a/b');
  assert.equal(matcher.match('axb'), undefined);
  assert.equal(matcher.match('a.b'), 'a.b');
  assert.equal(matcher.match('f(x)'), '(x)');
  assert.equal(matcher.match('i like c++'), 'c++');
  assert.equal(matcher.match('[y]'), '[y]');
  assert.equal(matcher.match('win $$$'), '$$$');
  assert.equal(matcher.match('p'), undefined);
  assert.equal(matcher.match('p|q'), 'p|q');
  assert.equal(matcher.match('back\\slash'), 'back\\slash');
  assert.equal(matcher.match('a/b'), 'a/b');
});

test('whole_word checks only the edges that are word characters', () => {
  const matcher = whole('c++', '#tag', '$$$');
  assert.equal(matcher.match('i like c++!'), 'c++');
  assert.equal(matcher.match('abc++'), undefined);
  assert.equal(matcher.match('x#tag'), '#tag');
  assert.equal(matcher.match('#tagged'), undefined);
  assert.equal(matcher.match('win$$$now'), '$$$');
});

test('the first match in the text is returned; at one position the longest word wins', () => {
  const matcher = anywhere('zzz', 'aaa', 'bad', 'bad word');
  assert.equal(matcher.match('aaa then zzz'), 'aaa');
  assert.equal(matcher.match('zzz then aaa'), 'zzz');
  assert.equal(matcher.match('a bad word'), 'bad word');
});

test('words folding to nothing are ignored and never match everything', () => {
  assert.equal(anywhere('\u200B').match('anything'), undefined);
  assert.equal(anywhere('   ', 'bad').match('anything'), undefined);
  assert.equal(anywhere('   ', 'bad').match('bad'), 'bad');
});

test('a 1000-word list is one matcher that finds any of its words', () => {
  const words = Array.from({ length: 1000 }, (_, i) => `word${i}x`);
  const matcher = whole(...words);
  assert.equal(matcher.match('nothing here '.repeat(500)), undefined);
  assert.equal(matcher.match(`${'filler '.repeat(500)}WORD999X`), 'word999x');
  assert.equal(matcher.match('word0x word500x'), 'word0x');
  assert.equal(matcher.match('word5000x'), undefined);
});

test('words sharing a prefix each match on their own terms', () => {
  const matcher = whole('scam', 'scammer', 'scam artist');
  assert.equal(matcher.match('a scammer!'), 'scammer');
  assert.equal(matcher.match('a scam.'), 'scam');
  assert.equal(matcher.match('scam  artist'), 'scam artist');
  assert.equal(matcher.match('scam artistry'), 'scam');
  assert.equal(matcher.match('scamm'), undefined);
  assert.equal(matcher.match('scammers'), undefined);
});

test('words equal once folded count once, as first listed', () => {
  assert.equal(whole('Bad', 'bad', 'ＢＡＤ').match('bad'), 'Bad');
});

test('a list whose words share long prefixes finds them in long repetitive text', () => {
  const prefix = 'w'.repeat(90);
  const matcher = anywhere(...Array.from({ length: 1000 }, (_, i) => `${prefix}${i}`));
  assert.equal(matcher.match('w'.repeat(10_000)), undefined);
  assert.equal(matcher.match(`${'w'.repeat(10_000)}999`), `${prefix}999`);
});
