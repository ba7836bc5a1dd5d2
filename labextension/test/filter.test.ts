import { describe, expect, it } from 'vitest';
import {
  addClause,
  describeFilterError,
  normalizeFilter,
  paramClause,
  quoteKey,
  quoteValue
} from '../src/filter';

describe('filter box', () => {
  it('sends nothing for a blank filter and trims the rest', () => {
    expect(normalizeFilter('   ')).toBeUndefined();
    expect(normalizeFilter("  params.a = '1' ")).toBe("params.a = '1'");
  });

  it('points at the 1-based column the parser reported', () => {
    const e = describeFilterError('metrics.acc >> 1', 'bad operator', 13);
    expect(e.before).toBe('metrics.acc ');
    expect(e.at).toBe('>');
    expect(e.after).toBe('> 1');
    expect(e.column).toBe(13);
  });

  it('reads the column from the message when the field is missing', () => {
    const message = "Invalid filter: expected a value at column 14 (found end of input)";
    const e = describeFilterError('metrics.acc >', message, null);
    expect(e.column).toBe(14);
    expect(e.before).toBe('metrics.acc >');
    expect(e.at).toBe(' ');
  });

  it('clamps columns outside the text and keeps the message without one', () => {
    expect(describeFilterError('abc', 'x', 99).before).toBe('abc');
    expect(describeFilterError('abc', 'x', 0).before).toBe('');
    const none = describeFilterError('abc', 'no column here', null);
    expect(none.column).toBeNull();
    expect(none.before).toBe('abc');
  });

  it('quotes values and keys for the filter language', () => {
    expect(quoteValue("it's")).toBe("'it''s'");
    expect(quoteKey('lr')).toBe('lr');
    expect(quoteKey('model.depth')).toBe('`model.depth`');
    expect(paramClause('model', 'rf')).toBe("params.model = 'rf'");
  });

  it('adds clauses with AND, once', () => {
    expect(addClause('', 'a = 1')).toBe('a = 1');
    expect(addClause('b = 2', 'a = 1')).toBe('b = 2 AND a = 1');
    expect(addClause('b = 2 AND a = 1', 'a = 1')).toBe('b = 2 AND a = 1');
  });
});
