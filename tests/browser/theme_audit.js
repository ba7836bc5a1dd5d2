// The theme audit of tests/browser/test_theme.py: given the widgets' root elements, list the
// opaque backgrounds (with their luminance) and every text whose contrast against what it is
// drawn on (the ancestors' backgrounds composited, alpha included) is under __MIN__.
// SVG text (plotly's ticks and titles) is measured by its fill; hover labels are skipped.
(roots) => {
  const parse = (c) => {
    const m = c && c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const over = (top, under) => ({
    r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a), a: 1,
  });
  const white = {r: 255, g: 255, b: 255, a: 1};
  const page = parse(getComputedStyle(document.body).backgroundColor) || white;
  const backdrop = (el) => {
    const layers = [];
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    return layers.reverse().reduce((acc, c) => over(c, acc), page);
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const boxes = [], faint = [];
  let texts = 0;
  for (const root of roots) {
    for (const el of root.querySelectorAll('*')) {
      const rect = el.getBoundingClientRect();
      if (rect.width < 2 || rect.height < 2) continue;
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden' || style.display === 'none') continue;
      const own = parse(style.backgroundColor);
      if (own && own.a > 0.5 && rect.width > 40 && rect.height > 12) {
        const cls = String(el.className.baseVal ?? el.className);
        boxes.push({tag: el.tagName, cls, lum: lum(own)});
      }
      const svgText = el.namespaceURI === 'http://www.w3.org/2000/svg' && el.tagName === 'text';
      const direct = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      if (!(svgText ? el.textContent.trim() : direct) || el.closest('.hoverlayer')) continue;
      const under = backdrop(svgText ? el.ownerSVGElement : el);
      const ink = parse(svgText ? style.fill : style.color);
      if (!ink) continue;
      texts += 1;
      const shown = over(ink, under);
      const contrast = ratio(shown, under);
      if (contrast < __MIN__) faint.push({text: el.textContent.trim().slice(0, 40), contrast});
    }
  }
  return {boxes, faint, texts};
}
