import { patternInWords } from './patternWords';

describe('patternInWords', () => {
  it.each([
    [
      '^[a-z][a-z0-9-]{1,30}$',
      'lower-case letters, digits and dashes, starting with a lower-case letter, 2 to 31 characters',
    ],
    [
      '^[a-z0-9-]+$',
      'lower-case letters, digits and dashes, at least 1 character',
    ],
    ['^[0-9]{5}$', 'digits, exactly 5 characters'],
    ['^\\d{3,4}$', 'digits, 3 to 4 characters'],
    [
      '^[A-Z][a-z]*$',
      'lower-case letters, starting with a capital letter, at least 1 character',
    ],
    [
      '^[a-zA-Z0-9_.\\-]{2,64}$',
      'lower-case letters, capital letters, digits, dashes, underscores and dots, 2 to 64 characters',
    ],
  ])('puts %s in words', (pattern, words) => {
    expect(patternInWords(pattern)).toBe(words);
  });

  it.each([
    // Groups, alternatives and anchors missing: no words that could mislead.
    '^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$',
    '^(dev|prod)$',
    '[a-z]+',
    // Positions after the first that take different characters.
    '^[a-z]+[0-9]+$',
    '^[a-z][0-9][a-z]$',
    // A class with characters it has no words for.
    '^[a-z@]+$',
    '^[^a-z]+$',
  ])('gives no words for %s', pattern => {
    expect(patternInWords(pattern)).toBeUndefined();
  });
});
