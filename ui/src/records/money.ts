/**
 * Money fields hold integers in the currency's minor unit (cents); people type and read major
 * units. All conversion here is on digit strings, never floating point: 0.1 + 0.2 has no place
 * in an invoice.
 */

const digitsCache = new Map<string, number>();

/** Minor-unit digits of an ISO 4217 currency (EUR 2, JPY 0, KWD 3), as the platform's ICU knows them. */
export function currencyDigits(currency: string): number {
  let digits = digitsCache.get(currency);
  if (digits === undefined) {
    try {
      digits =
        new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
          .maximumFractionDigits ?? 2;
    } catch {
      digits = 2;
    }
    digitsCache.set(currency, digits);
  }
  return digits;
}

export type MoneyParse = { ok: true; minor: number } | { ok: false; message: string };

/**
 * Reads an amount typed in major units. Forgiving about separators: the last `.` or `,` followed
 * by at most the currency's digits is the decimal point, other separators (`,` `.` space `'`)
 * group thousands — so `1,234.50`, `1.234,50`, `1 234,5` and `1234.5` all read as 1234.50.
 */
export function parseMoney(input: string, currency: string): MoneyParse {
  const digits = currencyDigits(currency);
  let text = input
    .trim()
    .replace(/[\s'\u00a0\u202f]|\p{Sc}/gu, '')
    .replace(/\u2212/g, '-');
  if (text.toUpperCase().endsWith(currency)) text = text.slice(0, -currency.length);
  if (text.toUpperCase().startsWith(currency)) text = text.slice(currency.length);
  const negative = text.startsWith('-');
  if (negative) text = text.slice(1);
  if (text === '') return { ok: false, message: 'Enter an amount.' };
  if (!/^[0-9.,]+$/.test(text)) return { ok: false, message: NOT_AN_AMOUNT };

  let whole = text;
  let fraction = '';
  const last = Math.max(text.lastIndexOf('.'), text.lastIndexOf(','));
  if (last >= 0) {
    const separator = text.charAt(last);
    const tail = text.slice(last + 1);
    const alone = text.indexOf(separator) === last;
    // "1,234" has three digits after its only comma: a thousands group, unless the currency has
    // three decimals. A shorter tail, or a separator unlike the ones before it, is a decimal point.
    const decimal = alone && tail.length <= digits && (tail.length !== 3 || digits === 3);
    if (decimal) {
      whole = text.slice(0, last);
      fraction = tail;
    } else if (tail.length !== 3) {
      return digits === 0
        ? { ok: false, message: `${currency} amounts have no decimals.` }
        : { ok: false, message: `Use at most ${String(digits)} decimals.` };
    }
  }
  const plain = /^[0-9]*$/.test(whole);
  const grouped = /^[1-9][0-9]{0,2}([.,])[0-9]{3}(?:\1[0-9]{3})*$/.test(whole);
  if (!plain && !grouped) return { ok: false, message: NOT_AN_AMOUNT };
  if (whole === '' && fraction === '') return { ok: false, message: NOT_AN_AMOUNT };

  const minor = Number((whole.replace(/[.,]/g, '') || '0') + fraction.padEnd(digits, '0'));
  if (!Number.isSafeInteger(minor)) return { ok: false, message: 'That amount is too large.' };
  return { ok: true, minor: negative && minor !== 0 ? -minor : minor };
}

const NOT_AN_AMOUNT = 'Enter an amount using digits, like 1250.00.';

/** The amount as an editable decimal, without grouping, e.g. `1234.50` (round-trips through parseMoney). */
export function moneyInputValue(minor: number, currency: string): string {
  const digits = currencyDigits(currency);
  const negative = minor < 0;
  const text = String(Math.abs(Math.trunc(minor))).padStart(digits + 1, '0');
  const value = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  return negative ? `-${value}` : value;
}

const formatters = new Map<string, Intl.NumberFormat>();

/** The amount for reading, in the user's locale with the currency, e.g. `€1,234.50`. */
export function formatMoney(minor: number, currency: string, locale?: string): string {
  const key = `${locale ?? ''}|${currency}`;
  let format = formatters.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: 'currency', currency });
    formatters.set(key, format);
  }
  // Through the decimal string, so that large amounts do not pick up binary rounding.
  return format.format(moneyInputValue(minor, currency) as unknown as number);
}
