import { describe, expect, it } from 'vitest';
import { currencyDigits, formatMoney, moneyInputValue, parseMoney } from './money';

const minor = (input: string, currency = 'EUR') => {
  const parsed = parseMoney(input, currency);
  return parsed.ok ? parsed.minor : parsed.message;
};

describe('parseMoney', () => {
  it('reads major units into integer minor units', () => {
    expect(minor('1234.5')).toBe(123450);
    expect(minor('1234.56')).toBe(123456);
    expect(minor('0.1')).toBe(10);
    expect(minor('.5')).toBe(50);
    expect(minor('5.')).toBe(500);
    expect(minor('0')).toBe(0);
    expect(minor('-12.30')).toBe(-1230);
    expect(minor('\u221212.30')).toBe(-1230);
  });

  it('accepts either decimal mark and common thousands separators', () => {
    expect(minor('1,234.50')).toBe(123450);
    expect(minor('1.234,50')).toBe(123450);
    expect(minor('1 234,5')).toBe(123450);
    expect(minor("1'234.50")).toBe(123450);
    expect(minor('1,234')).toBe(123400);
    expect(minor('1.234.567')).toBe(123456700);
    expect(minor('€ 99.95')).toBe(9995);
    expect(minor('99.95 EUR')).toBe(9995);
  });

  it('never goes through binary floating point', () => {
    // 1.15 * 100 is 114.99999999999999 in floating point.
    expect(minor('1.15')).toBe(115);
    expect(minor('4503599627370.49')).toBe(450359962737049);
  });

  it('follows the currency’s minor unit', () => {
    expect(currencyDigits('JPY')).toBe(0);
    expect(currencyDigits('KWD')).toBe(3);
    expect(minor('1,500', 'JPY')).toBe(1500);
    expect(minor('12.5', 'JPY')).toBe('JPY amounts have no decimals.');
    expect(minor('1.234', 'KWD')).toBe(1234);
  });

  it('refuses what is not an amount', () => {
    expect(minor('')).toBe('Enter an amount.');
    expect(minor('twelve')).toMatch(/digits/);
    expect(minor('1.234')).toBe(123400);
    expect(minor('1.2345')).toBe('Use at most 2 decimals.');
    expect(minor('0.001')).toMatch(/digits/);
    expect(minor('1,234.567')).toMatch(/digits/);
    expect(minor('1,23,456')).toMatch(/digits/);
    expect(minor('.')).toMatch(/digits/);
    expect(minor('99999999999999999')).toBe('That amount is too large.');
  });
});

describe('moneyInputValue', () => {
  it('writes minor units as an editable decimal that reads back the same', () => {
    expect(moneyInputValue(123450, 'EUR')).toBe('1234.50');
    expect(moneyInputValue(5, 'EUR')).toBe('0.05');
    expect(moneyInputValue(-1230, 'EUR')).toBe('-12.30');
    expect(moneyInputValue(1500, 'JPY')).toBe('1500');
    for (const value of [0, 1, 99, 100, 123456789, -42]) {
      expect(minor(moneyInputValue(value, 'EUR'))).toBe(value);
    }
  });
});

describe('formatMoney', () => {
  it('shows the amount with its currency', () => {
    expect(formatMoney(123450, 'EUR', 'en-US')).toBe('€1,234.50');
    expect(formatMoney(1500, 'JPY', 'en-US')).toBe('¥1,500');
    expect(formatMoney(-1230, 'USD', 'en-US')).toBe('-$12.30');
  });
});
