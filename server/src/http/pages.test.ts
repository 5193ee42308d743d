import { describe, expect, it } from 'vitest';
import { securityPageHtml } from './pages';

describe('securityPageHtml', () => {
  it('links a mailto: or https: contact', () => {
    expect(securityPageHtml('mailto:sec@example.com')).toContain(
      '<a href="mailto:sec@example.com">sec@example.com</a>',
    );
    expect(securityPageHtml('https://example.com/report')).toContain(
      '<a href="https://example.com/report">https://example.com/report</a>',
    );
  });

  it('shows any other contact as escaped text, never as markup or a link', () => {
    const html = securityPageHtml('javascript:alert(1)"><img src=x onerror=alert(1)>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('href="javascript:');
    expect(html).toContain('javascript:alert(1)&#34;&#62;&#60;img src=x onerror=alert(1)&#62;');
  });
});
