import { describe, expect, it } from 'vitest';
import { consoleLog, describeError } from './console-log';

describe('consoleLog', () => {
  it('writes one JSON line per entry, at its level, that no field can relabel', () => {
    const lines: Array<[string, string]> = [];
    const log = consoleLog((level, line) => lines.push([level, line]));
    log.warn('blocked a navigation', { to: 'https://evil.example', level: 'info', message: 'fine' });
    expect(lines).toHaveLength(1);
    const [level, line] = lines[0]!;
    expect(level).toBe('warn');
    expect(JSON.parse(line)).toMatchObject({
      level: 'warn',
      message: 'blocked a navigation',
      to: 'https://evil.example',
    });
  });
});

describe('describeError', () => {
  it('keeps the kind and message only', () => {
    expect(describeError(new TypeError('bad'))).toBe('TypeError: bad');
    expect(describeError('a string')).toBe('unknown error');
  });
});
