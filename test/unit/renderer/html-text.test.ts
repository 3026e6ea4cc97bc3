import { describe, expect, it } from 'vitest';
import { htmlText } from '../../../src/renderer/src/ui/html-text';

describe('htmlText (tooltip text for ECharts formatters)', () => {
  it('turns the five markup characters into entities and leaves other text alone', () => {
    expect(htmlText(`<img src=x onerror="alert('x')">`)).toBe('&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;');
    expect(htmlText('AT&T &lt;')).toBe('AT&amp;T &amp;lt;'); // an entity in the text stays visible as typed
    expect(htmlText('blocks.3.mlp.hook_post · naïve ↵')).toBe('blocks.3.mlp.hook_post · naïve ↵');
  });
});
