// Accessibility checks of the page on screen; returns one sentence per problem.
const problems = [];
const describe = (el) => {
  let d = el.tagName.toLowerCase();
  if (el.id) d += '#' + el.id;
  else if (el.getAttribute('name')) d += '[name="' + el.getAttribute('name') + '"]';
  else if (el.classList.length) d += '.' + Array.from(el.classList).join('.');
  const text = (el.innerText || el.value || '').trim().replace(/\s+/g, ' ');
  if (text) d += ' "' + (text.length > 40 ? text.slice(0, 40) + '…' : text) + '"';
  return '<' + d + '>';
};
const rendered = (el) => {
  if (el.getClientRects().length === 0) return false;
  const style = getComputedStyle(el);
  if (style.visibility === 'hidden' || style.display === 'none') return false;
  const r = el.getBoundingClientRect();
  // Moved off the page (skip link, honeypot) or clipped to a pixel (visually hidden).
  if (r.right + window.scrollX <= 0 || r.bottom + window.scrollY <= 0) return false;
  if (r.width <= 1 && r.height <= 1) return false;
  return true;
};
const parse = (c) => {
  const m = c.match(/rgba?\(([^)]+)\)/);
  if (!m) return null;
  const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
  return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
};
const over = (top, under) => ({
  r: top.r * top.a + under.r * (1 - top.a),
  g: top.g * top.a + under.g * (1 - top.a),
  b: top.b * top.a + under.b * (1 - top.a),
  a: 1,
});
const background = (el) => {
  // Layers from the element up to the first opaque one, laid over white (the page default).
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const bg = parse(getComputedStyle(e).backgroundColor);
    if (bg && bg.a > 0) {
      layers.push(bg);
      if (bg.a >= 1) break;
    }
  }
  let colour = { r: 255, g: 255, b: 255, a: 1 };
  for (let i = layers.length - 1; i >= 0; i--) colour = over(layers[i], colour);
  return colour;
};
const opacity = (el) => {
  let o = 1;
  for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity);
  return o;
};
const luminance = (c) => {
  const ch = [c.r, c.g, c.b].map((v) => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  });
  return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
};
const hex = (c) => '#' + [c.r, c.g, c.b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');

// 1. Every visible form control has an accessible label.
for (const el of document.querySelectorAll('input, select, textarea')) {
  const type = (el.getAttribute('type') || '').toLowerCase();
  if (['hidden', 'submit', 'button', 'reset', 'image'].includes(type) || !rendered(el)) continue;
  const labelled = (el.labels && el.labels.length > 0 && Array.from(el.labels).some((l) => l.textContent.trim()))
    || (el.getAttribute('aria-label') || '').trim()
    || (el.getAttribute('aria-labelledby') || '').split(/\s+/).some((id) => id && document.getElementById(id) && document.getElementById(id).textContent.trim());
  if (!labelled) problems.push(describe(el) + ' has no label (add <label for=id>, a wrapping <label>, aria-label or aria-labelledby)');
}

// 2. Contrast of every visible piece of text (WCAG AA).
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
const seen = new Set();
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const el = node.parentElement;
  if (!node.textContent.trim() || !el || seen.has(el)) continue;
  if (['SCRIPT', 'STYLE', 'NOSCRIPT', 'OPTION', 'TITLE', 'TEXTAREA'].includes(el.tagName)) continue;
  seen.add(el);
  if (!rendered(el)) continue;
  const style = getComputedStyle(el);
  const fg = parse(style.color);
  if (!fg) continue;
  const bg = background(el);
  fg.a *= opacity(el);
  const ink = over(fg, bg);
  const [l1, l2] = [luminance(ink), luminance(bg)].sort((a, b) => b - a);
  const ratio = (l1 + 0.05) / (l2 + 0.05);
  const size = parseFloat(style.fontSize);
  const weight = parseInt(style.fontWeight, 10) || 400;
  const large = size >= 24 || (size >= 18.66 && weight >= 700);
  const need = large ? 3 : 4.5;
  if (ratio < need) {
    problems.push(describe(el) + ' has contrast ' + ratio.toFixed(2) + ':1 (' + hex(ink) + ' on ' + hex(bg)
      + ', ' + size + 'px weight ' + weight + '); WCAG AA needs ' + need + ':1');
  }
}

// 3. Images, buttons and links say what they are.
for (const img of document.querySelectorAll('img:not([alt])')) problems.push(describe(img) + ' has no alt text');
for (const el of document.querySelectorAll('a[href], button, [role="button"]')) {
  if (!rendered(el)) continue;
  const named = el.textContent.trim() || (el.getAttribute('aria-label') || '').trim()
    || el.getAttribute('aria-labelledby') || el.querySelector('img[alt]:not([alt=""])') || (el.getAttribute('title') || '').trim();
  if (!named) problems.push(describe(el) + ' has no text or aria-label');
}

// 4. One <h1>, and heading levels that never skip one going down.
const headings = Array.from(document.querySelectorAll('h1, h2, h3, h4, h5, h6'));
const h1s = headings.filter((h) => h.tagName === 'H1');
if (h1s.length !== 1) problems.push('the page has ' + h1s.length + ' <h1> elements; it needs exactly one');
let previous = 0;
for (const h of headings) {
  const level = Number(h.tagName[1]);
  if (level > previous + 1) {
    problems.push(describe(h) + ' skips from ' + (previous ? '<h' + previous + '>' : 'the start of the page') + ' to <h' + level + '>');
  }
  previous = level;
}
return problems;
